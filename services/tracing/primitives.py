"""Queues, locks, semaphores and events, and the loop's executor jobs, as the agent sees
them: each ``asyncio.Queue`` / ``Lock`` / ``Semaphore`` / ``BoundedSemaphore`` /
``Event`` made while the agent runs is registered (a weak reference and where it was
made: one frame read at creation, nothing on its hot path), and the agent's thread samples
their state every ``SAMPLE_S`` — a queue's size and waiting putters and getters, a lock's
or semaphore's holders and waiters, an event's waiters — into bounded rings, as counter
tracks on the trace's clock. ``run_in_executor`` (so ``asyncio.to_thread`` too) on a
traced loop records each job: when it was submitted, ran and finished, and on which thread.

At most ``TRACKED`` objects are followed (those made later are counted, not followed),
``SAMPLES`` samples each, ``JOBS`` jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

SAMPLE_S = 0.05
TRACKED = 200
SAMPLES = 1200  # a minute at SAMPLE_S
JOBS = 2000
KINDS = {
    asyncio.Queue: "queue",
    asyncio.Lock: "lock",
    asyncio.Semaphore: "semaphore",
    asyncio.Event: "event",
}  # (subclasses — PriorityQueue, LifoQueue, BoundedSemaphore — share their base's)
_ASYNCIO = os.path.dirname(asyncio.__file__)


def _state(kind: str, obj: Any) -> tuple[int, int, int]:
    """(level, waiting a, waiting b): a queue's size, putters, getters; a lock's held (0/1)
    and waiters; a semaphore's free slots and waiters; an event's set (0/1) and waiters."""
    if kind == "queue":
        return obj.qsize(), len(obj._putters or ()), len(obj._getters or ())
    waiters = len(obj._waiters or ())
    if kind == "lock":
        return int(obj.locked()), waiters, 0
    if kind == "semaphore":
        return obj._value, waiters, 0
    return int(obj.is_set()), waiters, 0


class Followed:
    """One object followed: its kind, where it was made, its samples (t_ns, level, a, b)."""

    def __init__(self, serial: int, kind: str, obj: Any, site: str, maxsize: int) -> None:
        self.serial, self.kind, self.site, self.maxsize = serial, kind, site, maxsize
        self.ref = weakref.ref(obj)
        self.samples: deque[tuple[int, int, int, int]] = deque(maxlen=SAMPLES)

    def as_dict(self, since_ns: int) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "kind": self.kind,
            "site": self.site,
            "maxsize": self.maxsize,
            "alive": self.ref() is not None,
            "samples": [list(s) for s in self.samples if s[0] >= since_ns],
        }


class Primitives:
    """``install()`` follows what is made from then on; ``uninstall()`` stops (idempotent)."""

    def __init__(self) -> None:
        self.followed: list[Followed] = []
        self.not_followed = 0
        self.jobs: deque[list[Any]] = deque(maxlen=JOBS)  # [submitted, start, end, thread, name]
        self._saved: dict[type, Callable[..., None]] = {}
        self._lock = threading.Lock()

    def install(self) -> None:
        for cls, kind in KINDS.items():
            if cls in self._saved:
                continue
            original = cls.__dict__["__init__"]
            self._saved[cls] = original
            type.__setattr__(cls, "__init__", self._registering(original, kind))

    def uninstall(self) -> None:
        for cls, original in self._saved.items():
            type.__setattr__(cls, "__init__", original)
        self._saved.clear()

    def _registering(self, original: Callable[..., None], kind: str) -> Callable[..., None]:
        primitives = self

        def __init__(obj: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 - it is one
            original(obj, *args, **kwargs)
            primitives._follow(kind, obj)

        return __init__

    def _follow(self, kind: str, obj: Any) -> None:
        with self._lock:
            if len(self.followed) >= TRACKED:
                self.not_followed += 1
                return
            frame = sys._getframe(2)
            while frame.f_back is not None and frame.f_code.co_filename.startswith(_ASYNCIO):
                frame = frame.f_back  # past asyncio's own (a subclass's __init__)
            site = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} ({frame.f_code.co_name})"
            maxsize = getattr(obj, "_maxsize", 0) if kind == "queue" else 0
            self.followed.append(Followed(len(self.followed) + 1, kind, obj, site, maxsize))

    def sample(self) -> None:
        """One sample of each live object (the agent's thread, every ``SAMPLE_S``)."""
        now = time.perf_counter_ns()
        with self._lock:
            followed = list(self.followed)
        for f in followed:
            obj = f.ref()
            if obj is not None:
                with contextlib.suppress(Exception):  # a deque changing under us: next time
                    f.samples.append((now, *_state(f.kind, obj)))

    def snapshot(self, since_ns: int) -> dict[str, Any]:
        with self._lock:
            followed = list(self.followed)
        return {
            "objects": [f.as_dict(since_ns) for f in followed],
            "not_followed": self.not_followed,
            "jobs": [j for j in self.jobs if (j[2] or j[1] or j[0]) >= since_ns],
        }

    # -- executor jobs --------------------------------------------------------------------

    def watch_executor(self, loop: asyncio.AbstractEventLoop) -> None:
        """Record each ``run_in_executor`` job of ``loop`` (an instance attribute, like the
        tracer's hooks)."""
        original = loop.run_in_executor
        jobs = self.jobs

        def run_in_executor(executor: Any, func: Callable[..., Any], *args: Any) -> Any:
            job = [time.perf_counter_ns(), 0, 0, "", _job_name(func)]
            jobs.append(job)

            def timed(*inner: Any) -> Any:
                job[1], job[3] = time.perf_counter_ns(), threading.current_thread().name
                try:
                    return func(*inner)
                finally:
                    job[2] = time.perf_counter_ns()

            return original(executor, timed, *args)

        loop.run_in_executor = run_in_executor  # type: ignore[assignment]


def _job_name(func: Any) -> str:
    """What a job runs: past ``functools.partial`` and the ``Context.run`` that
    ``asyncio.to_thread`` wraps it in."""
    while isinstance(func, functools.partial):
        inner = func.func
        func = func.args[0] if getattr(inner, "__name__", "") == "run" and func.args else inner
    return str(getattr(func, "__qualname__", None) or repr(func))[:80]


EXECUTOR_TRACK = -2  # the executor's jobs, in the loop's process (one track per worker thread after it)
LABELS = {"queue": ("size", "putters", "getters"), "lock": ("held", "waiters"), "semaphore": ("free", "waiters"),
          "event": ("set", "waiters")}  # fmt: skip


def primitive_events(pid: int, snapshot: dict[str, Any], origin: int) -> list[dict[str, Any]]:
    """Trace events: a counter track per queue, lock … (``ph: C``), a span per executor job
    on its worker thread's track."""
    events: list[dict[str, Any]] = []
    for o in snapshot["objects"]:
        names = LABELS[o["kind"]]
        for t, *values in o["samples"]:
            args = dict(zip(names, values, strict=False))
            events.append(
                {"ph": "C", "name": f"{o['kind']} {o['site']}", "pid": pid, "ts": (t - origin) / 1000, "args": args}
            )
    threads: dict[str, int] = {}
    for submitted, started, ended, thread, name in snapshot["jobs"]:
        if not ended:
            continue
        if thread not in threads:
            threads[thread] = EXECUTOR_TRACK - len(threads)
            events.append(
                {
                    "ph": "M",
                    "name": "thread_name",
                    "pid": pid,
                    "tid": threads[thread],
                    "args": {"name": f"executor {thread}"},
                }
            )
        events.append({"ph": "X", "name": name, "cat": "executor", "pid": pid, "tid": threads[thread],
                       "ts": (started - origin) / 1000, "dur": (ended - started) / 1000,
                       "args": {"waited_ms": round((started - submitted) / 1e6, 3)}})  # fmt: skip
    return events
