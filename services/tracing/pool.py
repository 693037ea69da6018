"""``TracedPool``: a process pool whose jobs are timed on the tracer's clock, so worker
processes get lanes beside the loop's tasks. ``perf_counter_ns`` is CLOCK_MONOTONIC on
Linux, one clock for every process of the machine, so a worker's times share the axis
with the loop's."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Future as ConcurrentFuture
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NamedTuple

from services.core.children import die_with_parent


def burn_cpu(ms: float) -> int:
    """A pool job: real CPU work for about ``ms`` milliseconds; returns the loop count."""
    end = time.perf_counter() + ms / 1000
    n = 0
    while time.perf_counter() < end:
        n += sum(i * i for i in range(200)) > 0
    return n


class Job(NamedTuple):
    """One job of a ``TracedPool``: submitted in the parent, run in a worker."""

    job: int
    name: str
    submitted_ns: int
    start_ns: int  # in the worker
    end_ns: int
    pid: int  # the worker's
    done_start_ns: int  # the parent's done-callback: start (0: not yet) …
    done_ns: int  # … and end


def _timed_call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, int, int, int]:
    start = time.perf_counter_ns()
    result = fn(*args)
    return result, start, time.perf_counter_ns(), os.getpid()


class TracedPool:
    """A ``ProcessPoolExecutor`` whose jobs are timed on the shared clock: submit (parent),
    start and end (worker pid), and the done-callback that ran in the parent."""

    def __init__(
        self, workers: int | None = None, capacity: int = 50_000, executor: ProcessPoolExecutor | None = None
    ) -> None:
        # Its own workers start fresh (spawn): a forked one would inherit this process's
        # listening sockets, and they die with this process (never an orphan holding a port).
        self.executor = executor or ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=die_with_parent
        )  # given one: its owner shuts it down
        self.capacity = capacity
        self._jobs: dict[int, list[Any]] = {}
        self._next = 0
        self.dropped = 0

    def submit(
        self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None
    ) -> ConcurrentFuture[Any]:
        """Run ``fn(*args)`` in a worker; ``on_done(result)`` runs in the parent when it ends."""
        job = self._next
        self._next += 1
        self._jobs[job] = [job, getattr(fn, "__qualname__", repr(fn)), time.perf_counter_ns(), 0, 0, 0, 0, 0]
        if len(self._jobs) > self.capacity:
            del self._jobs[next(iter(self._jobs))]
            self.dropped += 1
        inner = self.executor.submit(_timed_call, fn, args)
        outer: ConcurrentFuture[Any] = ConcurrentFuture()

        def done(future: ConcurrentFuture[Any]) -> None:
            begun = time.perf_counter_ns()
            row = self._jobs.get(job)
            try:
                result, start, end, pid = future.result()
            except BaseException as exc:  # the worker's error goes to whoever waits
                outer.set_exception(exc)
                return
            if row is not None:
                row[3:7] = [start, end, pid, begun]
            if on_done is not None:
                on_done(result)
            if row is not None:
                row[7] = time.perf_counter_ns()
            outer.set_result(result)

        inner.add_done_callback(done)
        return outer

    def jobs(self) -> list[Job]:
        return [Job(*row) for row in list(self._jobs.values())]

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> TracedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
