"""Long-lived worker processes for short jobs whose answer a page awaits (the Query page's
fetch): ``await pool.run(job_id, fn, *args, on_progress=...)``.

Each worker runs one job at a time and has its own pipe: the job's progress and its result
come back over it the moment they happen, and the awaiting coroutine wakes on the pipe's
file descriptor — nothing is polled. Workers are started on first need (at most ``size``)
and kept, so a job costs a message, not a process start. ``cancel(job_id)`` kills the
worker running that job (its coroutine raises ``JobCancelled``); the next job starts a
fresh one. A worker dies with the process that owns the pool.

``fn`` is an ``async`` function importable by name (it is sent to the worker by
reference): ``fn(*args, progress)`` where ``progress(message)`` reports along the way.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

from services.core.children import die_with_parent

logger = logging.getLogger(__name__)

Job = Callable[..., Awaitable[Any]]
_CONTEXT = multiprocessing.get_context("spawn")  # a clean interpreter: the owner has threads


class JobCancelled(Exception):
    """The job's worker was killed (``cancel``), or died."""


class PoolBusy(Exception):
    """Every worker is running a job."""


def _serve(conn: Connection, owner: int, preload: tuple[str, ...]) -> None:
    """A worker's life: import what its jobs need, then run each job it is sent on one event
    loop, report, wait for the next."""
    die_with_parent(owner)
    for module in preload:
        importlib.import_module(module)
    loop = asyncio.new_event_loop()
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:
            return

        def progress(message: Any) -> None:
            conn.send(("progress", message))

        try:
            result = loop.run_until_complete(fn(*args, progress))
        except Exception as err:  # the job's own fault: its owner decides what the page says
            logger.exception("job %s failed", getattr(fn, "__name__", fn))
            conn.send(("failed", repr(err)))
        else:
            conn.send(("done", result))


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


class _Worker:
    def __init__(self, preload: tuple[str, ...]) -> None:
        self.conn, child = _CONTEXT.Pipe()
        args = (child, os.getpid(), preload)
        self.process = _CONTEXT.Process(target=_serve, args=args, name="looplens job", daemon=True)
        self.process.start()
        child.close()

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    async def receive(self) -> tuple[str, Any]:
        """The next message, awaited on the pipe's descriptor (EOFError: the worker is gone)."""
        loop = asyncio.get_running_loop()
        while not self.conn.poll():
            ready = loop.create_future()
            loop.add_reader(self.conn.fileno(), _wake, ready)
            try:
                await ready
            finally:
                loop.remove_reader(self.conn.fileno())
        message: tuple[str, Any] = self.conn.recv()
        return message

    def close(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=2)


class JobPool:
    """Up to ``size`` long-lived workers (see the module docstring); each imports the modules
    named in ``preload`` as it starts (its jobs' own), not when its first job comes."""

    def __init__(self, size: int, preload: tuple[str, ...] = ()) -> None:
        self.size = size
        self.preload = preload
        self.refused = 0  # jobs turned away because every worker was busy
        self._idle: list[_Worker] = []
        self._busy: dict[str, _Worker] = {}

    def idle_pids(self) -> list[int]:
        return [worker.pid for worker in self._idle]

    def worker_pid(self, job_id: str) -> int | None:
        worker = self._busy.get(job_id)
        return worker.pid if worker else None

    async def run(self, job_id: str, fn: Job, *args: Any, on_progress: Callable[[Any], None]) -> Any:
        """``fn(*args, progress)`` in a worker; its result. Raises ``PoolBusy``,
        ``JobCancelled``, or ``RuntimeError`` if the job raised."""
        if job_id in self._busy:
            raise ValueError(f"job {job_id} is already running")
        worker = self._take()
        self._busy[job_id] = worker
        try:
            kind, value = await self._follow(worker, fn, args, on_progress)
        except (EOFError, OSError) as err:
            worker.close()
            raise JobCancelled(job_id) from err
        except BaseException:
            worker.close()  # the awaiting coroutine was cancelled: the worker may still run the job
            raise
        finally:
            del self._busy[job_id]
            if worker.process.is_alive():
                self._idle.append(worker)
        if kind == "failed":
            raise RuntimeError(value)
        return value

    @staticmethod
    async def _follow(worker: _Worker, fn: Job, args: tuple[Any, ...], on_progress: Callable[[Any], None]) -> Any:
        worker.conn.send((fn, args))
        while True:
            kind, value = await worker.receive()
            if kind != "progress":
                return kind, value
            on_progress(value)

    def _take(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            worker.close()
        if len(self._busy) >= self.size:
            self.refused += 1
            raise PoolBusy
        return _Worker(self.preload)

    def warm(self) -> None:
        """Start a worker now if none is idle (a page that will ask soon was opened), so its
        first job does not wait for an interpreter to start."""
        if not self._idle and len(self._busy) < self.size:
            self._idle.append(_Worker(self.preload))

    def cancel(self, job_id: str) -> bool:
        """Kill the worker running ``job_id`` (False: no such job is running here)."""
        worker = self._busy.get(job_id)
        if worker is None:
            return False
        worker.process.kill()
        return True

    def close(self) -> None:
        for worker in [*self._idle, *self._busy.values()]:
            worker.close()
        self._idle.clear()
