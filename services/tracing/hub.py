"""An app process's loop, traced on demand and served over loopback HTTP to the web workers.

The trace lives in the one process that owns the loop, so every gunicorn worker shows the
same trace. Two loops are served: the collector's (on its own port, ``serve_trace``) and
the sensor service's (the same routes on the service's own server, ``trace_routes``).
``TraceHub`` owns a ``LoopTracer`` and attaches it when a page first asks for rows; when
nobody has asked for ``idle_s`` it detaches, so a loop nobody watches runs untraced. It
also owns a small ``TracedPool`` (started on first use) whose jobs draw the worker-process
lanes.

Its HTTP routes (``services.tracing.routes``):
    GET  /trace?after=SEQ&window_s=S   rows after SEQ (or the last S seconds), names
                                       resolved, their links (``links``), pool jobs,
                                       lag samples, counters
    GET  /trace/tasks/{serial}         a task: name, coroutine, creation site, stack, state
    POST /trace/tasks/{serial}/cancel  cancel it, if the hub allows (``cancellable``)
    POST /trace/watch                  keep the tracer attached without taking rows
    POST /trace/block?ms=N             a task that blocks the loop for N ms
    POST /trace/jobs?n=N&ms=M          N CPU jobs of M ms in the worker pool
    GET  /trace/export?window_s=S      the last S seconds as Chrome Trace Event JSON
    GET  /trace/health                 answers at once, with no side effect (health checks)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from services.core.children import APP_PACKAGES, ROOT
from services.core.errors import TraceRefused
from services.tracing.answer import INTERNAL_KEPT, Answering, window_ns
from services.tracing.columns import Callback
from services.tracing.export import chrome_trace
from services.tracing.limits import MAX_BLOCK_MS, MAX_JOB_MS, MAX_JOBS
from services.tracing.pool import Job, TracedPool, burn_cpu
from services.tracing.records import coro_name
from services.tracing.tracer import LoopTracer

logger = logging.getLogger(__name__)

POOL_WORKERS = 2
PLAIN_LANE = "callbacks"

# The project's own source: its packages and app module, wherever they are installed (the
# folder itself may hold a venv, and an installed app sits among the libraries).
_APP_SOURCES = (*(f"{ROOT / name}{os.sep}" for name in APP_PACKAGES), str(ROOT / "app.py"))


def _app_file(path: str) -> bool:
    return path.startswith(_APP_SOURCES)


class TraceHub(Answering):
    """``async with TraceHub(loop): ...`` — see the module docstring; its answers are made
    in ``answer.Answering``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        idle_s: float = 30.0,
        cancellable: Callable[[asyncio.Task[Any]], bool] = lambda task: False,
        app_coroutines: frozenset[str] = frozenset(),
        tracer: LoopTracer | None = None,
        machinery: Callable[[Callback], bool] | None = None,
        coroutine_machinery: bool = False,
    ) -> None:
        """``machinery(row)``: whether a row is loop or library machinery rather than the
        traced program's own code (default: not looplens's own sources); asked once per task
        or callback, the hub keeps the answers; with ``coroutine_machinery`` (as the default
        is) it tells a task's step by its coroutine and whether the task's name starts with
        "looplens:" only, and is asked once per coroutine."""
        self.loop = loop
        self.idle_s = idle_s
        self.cancellable = cancellable
        # library coroutines whose tasks do the app's own work (a web server's request tasks)
        self.app_coroutines = app_coroutines
        self.tracer = tracer or LoopTracer(loop)
        self.row_cost_ns = 0.0  # measured on entry
        self._seen_at = 0.0
        self._pool: TracedPool | None = None
        self._idle_task: asyncio.Task[None] | None = None
        self._internal: dict[tuple[int, int], bool] = {}
        self._machinery = machinery or self._app_machinery
        self._blocks = 0
        self._block_tasks: set[asyncio.Task[None]] = set()
        super().__init__(coroutine_machinery or machinery is None)

    async def __aenter__(self) -> TraceHub:
        self.row_cost_ns = await asyncio.to_thread(row_cost_ns)  # its own loop, in a thread
        self._idle_task = asyncio.create_task(self._detach_when_idle(), name="looplens: trace idle check")
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in [*self._block_tasks, self._idle_task]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.tracer.detach()
        if self._pool is not None:
            await asyncio.to_thread(self._pool.close)

    async def _detach_when_idle(self) -> None:
        while True:
            await asyncio.sleep(min(self.idle_s, 1.0))
            if self.tracer.attached and time.monotonic() - self._seen_at > self.idle_s:
                logger.info("nobody watched the trace for %.0f s; detaching", self.idle_s)
                self.tracer.detach()

    def watched(self) -> None:
        self._seen_at = time.monotonic()
        if not self.tracer.attached:
            logger.info("trace watched: attaching to the loop of pid %d", self.tracer.pid)
            self.tracer.attach()

    # -- naming -----------------------------------------------------------------------

    def internal(self, c: Callback) -> bool:
        """Loop and library machinery rather than the app's own code (the page can hide it)."""
        key = (c.task, 0 if c.task else c.code)
        known = self._internal.get(key)
        if known is None:
            known = bool(self._machinery(c))  # the answer writes it as JSON's true or false
            if len(self._internal) >= INTERNAL_KEPT:
                self._internal.clear()  # a cache: tasks come and go, answers are cheap to redo
            self._internal[key] = known
        return known

    def _app_machinery(self, c: Callback) -> bool:
        """The default ``machinery``: anything but looplens's own code and the tasks of
        ``app_coroutines``."""
        if not c.task:
            return not _app_file(getattr(self.tracer.code_of(c), "co_filename", ""))
        coro = self.tracer.coro_code(c.task)
        return (
            coro is None
            or self.lane(c).startswith("looplens:")
            or not (_app_file(getattr(coro, "co_filename", "")) or coro_name(coro) in self.app_coroutines)
        )

    def lane(self, c: Callback) -> str:
        return self.tracer.task_name(c.task) if c.task else PLAIN_LANE

    # -- what a page asks (and ``answer``'s: ``Answering``) --------------------------

    def _jobs(self) -> list[Job]:
        return self._pool.jobs() if self._pool is not None else []

    def task(self, serial: int) -> dict[str, Any] | None:
        info = self.tracer.task_info(serial)
        if info is None:
            return None
        task = self.tracer.live_task(serial)
        return {
            "serial": info.serial,
            "name": info.name,
            "coro": info.coro,
            "site": info.site,
            "state": info.state,
            "stack": list(info.stack),
            "alive": info.alive,
            "cancellable": bool(task is not None and info.alive and self.cancellable(task)),
        }

    def cancel(self, serial: int) -> str:
        task = self.tracer.live_task(serial)
        if task is None or task.done():
            raise TraceRefused("trace.err.task_gone")
        if not self.cancellable(task):
            raise TraceRefused("trace.err.not_cancellable")
        task.cancel()
        return task.get_name()

    def block(self, ms: float) -> str:
        """Start a task that blocks the loop for ``ms`` (the freeze the page makes visible)."""
        if not 1 <= ms <= MAX_BLOCK_MS:
            raise TraceRefused("trace.err.block_range")
        if self._block_tasks:
            raise TraceRefused("trace.err.busy")  # one block at a time: the loop is not a toy
        self._blocks += 1
        name = f"block-loop-{ms:g}ms-{self._blocks}"  # an identifier: the same in both languages

        async def block_the_loop() -> None:
            await asyncio.sleep(0)  # answer the request first
            time.sleep(ms / 1000)  # the mistake on purpose: a blocking call on the loop

        task = self.loop.create_task(block_the_loop(), name=name)
        self._block_tasks.add(task)
        task.add_done_callback(self._block_tasks.discard)
        return name

    def jobs(self, n: int, ms: float) -> int:
        """Submit ``n`` CPU jobs of ``ms`` each to the worker pool; each result comes back to
        the loop through ``call_soon_threadsafe`` (a done-callback of the pool's future)."""
        if not (1 <= n <= MAX_JOBS and 1 <= ms <= MAX_JOB_MS):
            raise TraceRefused("trace.err.jobs_range")
        for attempt in (1, 2):
            if self._pool is None:
                self._pool = TracedPool(POOL_WORKERS, capacity=2000)
            try:
                for _ in range(n):
                    self._pool.submit(burn_cpu, ms, on_done=self._job_back)
                return n
            except BrokenProcessPool:  # a worker died (killed): start a new pool, once
                logger.warning("the trace pool lost a worker; starting a new pool (attempt %d)", attempt)
                broken, self._pool = self._pool, None
                broken.executor.shutdown(wait=False, cancel_futures=True)
        raise TraceRefused("trace.err.pool_broken")

    def _job_back(self, result: int) -> None:
        """In the pool's result thread: hand the job's result to the loop."""
        self.loop.call_soon_threadsafe(_job_done, result)

    def export(self, window_s: float) -> dict[str, Any]:
        self.watched()
        end = time.perf_counter_ns()
        start = end - window_ns(window_s)
        rows = [c for c in self.tracer.callbacks(-1) if c.end_ns]  # the whole ring, not a cursor
        return chrome_trace(self.tracer, start, end, jobs=self._jobs(), callbacks=rows)


def _job_done(result: int) -> None:
    """A pool job's result, back on the loop (its own row in the trace)."""


def row_cost_ns(n: int = 5_000) -> float:
    """What tracing adds per callback, measured here: a traced call_soon + run against a
    plain one on a private loop (the page's overhead estimate is rows/s × this)."""

    def noop() -> None:
        pass

    def timed(loop: asyncio.AbstractEventLoop) -> int:
        start = time.perf_counter_ns()
        for _ in range(n):
            loop.call_soon(noop)
        loop.call_soon(loop.stop)
        loop.run_forever()
        return time.perf_counter_ns() - start

    loop = asyncio.new_event_loop()
    try:
        plain = min(timed(loop) for _ in range(3))
        with LoopTracer(loop, capacity=n + 10, lag_interval_s=0):
            traced = min(timed(loop) for _ in range(3))
    finally:
        loop.close()
    return max(0.0, (traced - plain) / n)
