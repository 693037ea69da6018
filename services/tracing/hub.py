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
from collections import deque
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from services.core.children import APP_PACKAGES, ROOT
from services.core.errors import TraceRefused
from services.tracing.answer import KEY, Answer, Named, page_row
from services.tracing.columns import Callback
from services.tracing.export import chrome_trace
from services.tracing.limits import MAX_BLOCK_MS, MAX_JOB_MS, MAX_JOBS, MAX_WINDOW_S, SLOW_FLOOR_MS, SLOW_KEPT
from services.tracing.pool import Job, TracedPool, burn_cpu
from services.tracing.records import Statistics, coro_name, step_name
from services.tracing.tracer import LoopTracer

logger = logging.getLogger(__name__)

MAX_ROWS = 6000  # rows one answer carries at most (the newest are kept)
SLOW_FLOOR_NS = int(SLOW_FLOOR_MS * 1e6)
POOL_WORKERS = 2
INTERNAL_KEPT = 20_000  # cached "is this loop machinery?" answers
PLAIN_LANE = "callbacks"

# The project's own source: its packages and app module, wherever they are installed (the
# folder itself may hold a venv, and an installed app sits among the libraries).
_APP_SOURCES = (*(f"{ROOT / name}{os.sep}" for name in APP_PACKAGES), str(ROOT / "app.py"))


def _app_file(path: str) -> bool:
    return path.startswith(_APP_SOURCES)


class TraceHub:
    """``async with TraceHub(loop): ...`` — see the module docstring."""

    yield_keys = 0  # answered on the loop's own thread: nobody to let the GIL go to

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
        self._coroutine_machinery = coroutine_machinery or machinery is None
        self._by_coroutine: dict[tuple[Any, bool], bool] = {}
        self._slow: deque[list[Any]] = deque(maxlen=SLOW_KEPT)
        self._slow_after = -1
        self._blocks = 0
        self._block_tasks: set[asyncio.Task[None]] = set()
        self._sent = (0, time.perf_counter_ns())  # (recorded, when) at the last answer

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

    def _named(self, c: Callback, names: dict[tuple[int, int], Named]) -> Named:
        """A row's lane, name and whether it is machinery; ``names`` memoises them within one
        answer (its rows mostly step the same few tasks and callbacks)."""
        key = (c.task, 0 if c.task else c.code)
        named = names.get(key)
        if named is None:
            named = names[key] = (self.lane(c), self.tracer.name_of(c), self.internal(c))
        return named

    def _extra(self, seq: int, duration_ns: int) -> Any:
        """A row's last field, if it has one (None: it has not; see ``AgentHub``)."""
        return None

    # -- what a page asks -------------------------------------------------------------

    def poll(self, after: int = -1, window_s: float = 10.0) -> dict[str, Any]:
        """``answer`` as Python lists."""
        return self.answer(after, window_s).as_dict()

    def poll_body(self, after: int = -1, window_s: float = 10.0) -> bytes:
        """``answer`` as the JSON the route sends (``json.dumps(poll(...))``, made cheaply)."""
        return self.answer(after, window_s).json()

    def answer(self, after: int = -1, window_s: float = 10.0) -> Answer:
        """Rows after ``after`` (a new page: the last ``window_s`` seconds), newest
        ``MAX_ROWS`` at most, plus jobs, lag and counters. Attaches the tracer if needed."""
        self.watched()
        now = time.perf_counter_ns()
        after = max(after, -1)
        floor = now - window_ns(window_s) if after < 0 else 0
        taken = self.tracer.take(after, MAX_ROWS, floor, SLOW_FLOOR_NS)
        stats = self.tracer.statistics()
        cut = taken.row(0)[0] if taken.row_count else stats.recorded
        skipped, slow = self.tracer.passed_over(after, cut, floor, SLOW_FLOOR_NS)
        names: dict[tuple[int, int], Named] = {}
        named = self._name_keys(taken.keys, names)
        longs = [(i, taken.row(i)) for i in taken.longs]
        extras = {i: x for i, row in longs if (x := self._extra(row[0], row[3] - row[2])) is not None}
        self._keep_slow(slow, longs, named, extras, names)
        if taken.row_count or slow:
            self._slow_after = max(
                self._slow_after, taken.row(taken.row_count - 1)[0] if taken.row_count else slow[-1].seq
            )
        recorded, at = self._sent
        self._sent = (stats.recorded, now)
        # a page's first answer has no rate yet (None: "measuring", not 0 events/s)
        rate = (stats.recorded - recorded) / max((now - at) / 1e9, 1e-3) if after >= 0 else None
        since = answer_since(now, after, window_s)
        head = {
            "pid": self.tracer.pid,
            "now_ns": now,
            "wall_offset_ns": time.time_ns() - time.perf_counter_ns(),
            "cursor": taken.row(taken.row_count - 1)[0] if taken.row_count else max(after, stats.recorded - 1),
        }
        tail = {
            "skipped": skipped,
            "jobs": [list(j) for j in self._jobs() if j.end_ns >= since],
            "lag": [[at, lag] for at, lag in self.tracer.lag(since)],
            "slow": list(self._slow) if after < 0 else [],
            "stats": self._stats(stats, rate),
        }
        return Answer(head, taken, named, extras, tail)

    def _name_keys(self, keys: list[tuple[int, int, int]], names: dict[tuple[int, int], Named]) -> list[Named]:
        """Each naming key's names (``_named``), kept in ``names`` too. A hub that answers from
        another thread than its loop's lets the GIL go every ``yield_keys`` keys (see there)."""
        named, every = [], self.yield_keys or len(keys) + 1
        for i, (task, code, seq) in enumerate(keys, 1):
            if task and self._coroutine_machinery:
                named.append(self._task_named(task, seq, names))
            else:
                named.append(self._named(self._first(task, code, seq), names))
            if i % every == 0:
                time.sleep(0)  # releases the GIL: the loop's thread, if waiting, may take it now
        return named

    def _task_named(self, task: int, seq: int, names: dict[tuple[int, int], Named]) -> Named:
        """``_named`` for a task's step, read off the tracer without a row, and machinery asked
        once per coroutine (an answer under load names thousands of tasks, each new)."""
        lane, coro = self.tracer.task_name(task), self.tracer.coro_code(task)
        key = (coro, lane.startswith("looplens:"))
        inside = self._by_coroutine.get(key)
        if inside is None:
            if len(self._by_coroutine) >= INTERNAL_KEPT:
                self._by_coroutine.clear()
            inside = self._by_coroutine[key] = self.internal(self._first(task, 0, seq))
        named = names[task, 0] = (lane, step_name(task, coro), inside)
        return named

    def _first(self, task: int, code: int, seq: int) -> Callback:
        """The row that first had this naming key (what ``machinery`` is shown), or, if the ring
        has overwritten it since, a row with the key and nothing else."""
        return self.tracer.callback(seq) or Callback(seq, 0, 0, 0, 0, 0, task, -1, code)

    def _stats(self, stats: Statistics, rate: float | None) -> dict[str, Any]:
        return {
            "recorded": stats.recorded,
            "dropped": stats.dropped,
            "tasks": stats.tasks,
            "events_per_s": None if rate is None else round(rate, 1),
            "overhead_pct": None if rate is None else round(rate * self.row_cost_ns / 1e7, 4),
            "capacity": stats.capacity,
        }

    def _keep_slow(
        self,
        slow: list[Callback],
        longs: list[tuple[int, tuple[int, ...]]],
        named: list[Named],
        extras: dict[int, Any],
        names: dict[tuple[int, int], Named],
    ) -> None:
        """Keep the slow rows not kept yet: those passed over (``slow``), then the answer's."""
        for c in slow:
            if c.seq > self._slow_after and c.duration_ns >= SLOW_FLOOR_NS:
                numbers = (c.seq, c.kind, c.start_ns, c.end_ns, max(0, c.late_ns), c.task)
                self._slow.append(page_row(numbers, self._named(c, names), self._extra(c.seq, c.duration_ns)))
        for i, row in longs:
            seq, _kind, start, end, *_ = row
            if seq > self._slow_after and end - start >= SLOW_FLOOR_NS:
                self._slow.append(page_row(row, named[row[KEY]], extras.get(i)))

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


def window_ns(window_s: float) -> int:
    """A page's window, held to 1 s … ``MAX_WINDOW_S``, in ns."""
    return int(min(max(window_s, 1.0), MAX_WINDOW_S) * 1e9)


def answer_since(now: int, after: int, window_s: float) -> int:
    """From when an answer carries jobs, lag and other samples: a new page's whole window,
    a following answer's last 5 s."""
    return now - (window_ns(window_s) if after < 0 else 5_000_000_000)


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
