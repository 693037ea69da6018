"""An app process's loop, traced on demand and served over loopback HTTP to the web workers.

The trace lives in the one process that owns the loop, so every gunicorn worker shows the
same trace. Two loops are served: the collector's (on its own port, ``serve_trace``) and
the sensor service's (the same routes on the service's own server, ``trace_routes``).
``TraceHub`` owns a ``LoopTracer`` and attaches it when a page first asks for rows; when
nobody has asked for ``idle_s`` it detaches, so a loop nobody watches runs untraced. It
also owns a small ``TracedPool`` (started on first use) whose jobs draw the worker-process
lanes.

Routes (``trace_routes(hub)``):
    GET  /trace?after=SEQ&window_s=S   rows after SEQ (or the last S seconds), names
                                       resolved, pool jobs, lag samples, counters
    GET  /trace/tasks/{serial}         a task: name, coroutine, creation site, stack, state
    POST /trace/tasks/{serial}/cancel  cancel it, if the hub allows (``cancellable``)
    POST /trace/watch                  keep the tracer attached without taking rows
    POST /trace/block?ms=N             a task that blocks the loop for N ms
    POST /trace/jobs?n=N&ms=M          N CPU jobs of M ms in the worker pool
    GET  /trace/export?window_s=S      the last S seconds as Chrome Trace Event JSON
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from services.errors import TraceRefused
from services.trace_export import chrome_trace
from services.tracer import Callback, Job, LoopTracer, TracedPool

logger = logging.getLogger(__name__)

MAX_ROWS = 6000  # rows one answer carries at most (the newest are kept)
MAX_WINDOW_S = 120.0
MAX_BLOCK_MS = 5000
MAX_JOBS, MAX_JOB_MS = 64, 500
SLOW_KEPT = 200  # the slowest recent callbacks (≥ SLOW_FLOOR_NS) a new page starts with
SLOW_FLOOR_NS = 1_000_000
POOL_WORKERS = 2
INTERNAL_KEPT = 20_000  # cached "is this loop machinery?" answers
PLAIN_LANE = "callbacks"

_APP_DIR = str(Path(__file__).resolve().parent.parent)


def _app_file(path: str) -> bool:
    """The project's own source (the venv may sit inside the project directory)."""
    return path.startswith(_APP_DIR) and not path.startswith((sys.prefix, sys.base_prefix))


def burn_cpu(ms: float) -> int:
    """A pool job: real CPU work for about ``ms`` milliseconds; returns the loop count."""
    end = time.perf_counter() + ms / 1000
    n = 0
    while time.perf_counter() < end:
        n += sum(i * i for i in range(200)) > 0
    return n


class TraceHub:
    """``async with TraceHub(loop): ...`` — see the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, idle_s: float = 30.0,
                 cancellable: Callable[[asyncio.Task[Any]], bool] = lambda task: False,
                 app_coroutines: frozenset[str] = frozenset(),
                 tracer: LoopTracer | None = None) -> None:
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
        self._slow: deque[dict[str, Any]] = deque(maxlen=SLOW_KEPT)
        self._slow_after = -1
        self._blocks = 0
        self._sent = (0, time.perf_counter_ns())  # (recorded, when) at the last answer

    async def __aenter__(self) -> TraceHub:
        self.row_cost_ns = await asyncio.to_thread(row_cost_ns)  # its own loop, in a thread
        self._idle_task = asyncio.create_task(self._detach_when_idle(), name="looplens: trace idle check")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._idle_task
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
            if c.task:
                record = self.tracer.task_record(c.task)
                known = (record is None or self.lane(c).startswith("looplens:")
                         or not (_app_file(getattr(record.coro_code, "co_filename", ""))
                                 or record.coro in self.app_coroutines))
            else:
                known = not _app_file(getattr(self.tracer.code_of(c), "co_filename", ""))
            if len(self._internal) >= INTERNAL_KEPT:
                self._internal.clear()  # a cache: tasks come and go, answers are cheap to redo
            self._internal[key] = known
        return known

    def lane(self, c: Callback) -> str:
        return self.tracer.task_name(c.task) if c.task else PLAIN_LANE

    def _row(self, c: Callback) -> list[Any]:
        return [c.seq, c.kind, c.start_ns, c.end_ns, max(0, c.late_ns), c.task, self.lane(c),
                self.tracer.name_of(c), self.internal(c)]

    # -- what a page asks -------------------------------------------------------------

    def poll(self, after: int = -1, window_s: float = 10.0) -> dict[str, Any]:
        """Rows after ``after`` (a new page: the last ``window_s`` seconds), newest
        ``MAX_ROWS`` at most, plus jobs, lag and counters. Attaches the tracer if needed."""
        self.watched()
        now = time.perf_counter_ns()
        window_ns = int(min(max(window_s, 1.0), MAX_WINDOW_S) * 1e9)
        rows = [c for c in self.tracer.callbacks(-1 if after < 0 else after) if c.end_ns]
        if after < 0:
            rows = [c for c in rows if c.end_ns >= now - window_ns]
        skipped = max(0, len(rows) - MAX_ROWS)
        rows = rows[skipped:]
        self._keep_slow(rows)
        stats = self.tracer.statistics()
        recorded, at = self._sent
        self._sent = (stats.recorded, now)
        rate = (stats.recorded - recorded) / max((now - at) / 1e9, 1e-3) if after >= 0 else 0.0
        since = now - window_ns if after < 0 else now - 5_000_000_000
        return {
            "pid": self.tracer.pid,
            "now_ns": now,
            "wall_offset_ns": time.time_ns() - time.perf_counter_ns(),
            "cursor": rows[-1][0] if rows else max(after, stats.recorded - 1),
            "rows": [self._row(c) for c in rows],
            "skipped": skipped,
            "jobs": [list(j) for j in self._jobs() if j.end_ns >= since],
            "lag": [[at, lag] for at, lag in self.tracer.lag() if at >= since],
            "slow": list(self._slow) if after < 0 else [],
            "stats": {"recorded": stats.recorded, "dropped": stats.dropped, "tasks": stats.tasks,
                      "events_per_s": round(rate, 1),
                      "overhead_pct": round(rate * self.row_cost_ns / 1e7, 4),
                      "capacity": stats.capacity},
        }

    def _keep_slow(self, rows: list[Callback]) -> None:
        for c in rows:
            if c.seq > self._slow_after and c.duration_ns >= SLOW_FLOOR_NS:
                self._slow.append(self._row(c))
        if rows:
            self._slow_after = max(self._slow_after, rows[-1].seq)

    def _jobs(self) -> list[Job]:
        return self._pool.jobs() if self._pool is not None else []

    def task(self, serial: int) -> dict[str, Any] | None:
        info = self.tracer.task_info(serial)
        if info is None:
            return None
        task = self.tracer.live_task(serial)
        return {"serial": info.serial, "name": info.name, "coro": info.coro, "site": info.site,
                "state": info.state, "stack": list(info.stack), "alive": info.alive,
                "cancellable": bool(task is not None and info.alive and self.cancellable(task))}

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
        self._blocks += 1
        name = f"block the loop {ms:g} ms #{self._blocks}"

        async def block_the_loop() -> None:
            await asyncio.sleep(0)  # answer the request first
            time.sleep(ms / 1000)  # the mistake on purpose: a blocking call on the loop

        self.loop.create_task(block_the_loop(), name=name)
        return name

    def jobs(self, n: int, ms: float) -> int:
        """Submit ``n`` CPU jobs of ``ms`` each to the worker pool; each result comes back to
        the loop through ``call_soon_threadsafe`` (a done-callback of the pool's future)."""
        if not (1 <= n <= MAX_JOBS and 1 <= ms <= MAX_JOB_MS):
            raise TraceRefused("trace.err.jobs_range")
        if self._pool is None:
            self._pool = TracedPool(POOL_WORKERS, capacity=2000)
        for _ in range(n):
            self._pool.submit(burn_cpu, ms, on_done=lambda result: self.loop.call_soon_threadsafe(_job_done, result))
        return n

    def export(self, window_s: float) -> dict[str, Any]:
        self.watched()
        end = time.perf_counter_ns()
        start = end - int(min(max(window_s, 1.0), MAX_WINDOW_S) * 1e9)
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


# -- HTTP -------------------------------------------------------------------------------

def _number(request: web.Request, name: str, default: float) -> float:
    try:
        return float(request.query.get(name, default))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be a number") from None


def trace_routes(hub: TraceHub) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    def refused(err: TraceRefused) -> web.Response:
        return web.json_response({"error": err.code}, status=409)

    @routes.get("/trace")
    async def poll(request: web.Request) -> web.Response:
        return web.json_response(hub.poll(int(_number(request, "after", -1)), _number(request, "window_s", 10)))

    @routes.post("/trace/watch")
    async def watch(request: web.Request) -> web.Response:
        hub.watched()  # a paused page: keep tracing, send nothing
        return web.json_response({"attached": hub.tracer.attached})

    @routes.get("/trace/tasks/{serial:\\d+}")
    async def task(request: web.Request) -> web.Response:
        info = hub.task(int(request.match_info["serial"]))
        return web.json_response(info) if info else refused(TraceRefused("trace.err.task_gone"))

    @routes.post("/trace/tasks/{serial:\\d+}/cancel")
    async def cancel(request: web.Request) -> web.Response:
        try:
            return web.json_response({"cancelled": hub.cancel(int(request.match_info["serial"]))})
        except TraceRefused as err:
            return refused(err)

    @routes.post("/trace/block")
    async def block(request: web.Request) -> web.Response:
        try:
            return web.json_response({"task": hub.block(_number(request, "ms", 200))})
        except TraceRefused as err:
            return refused(err)

    @routes.post("/trace/jobs")
    async def jobs(request: web.Request) -> web.Response:
        try:
            return web.json_response({"jobs": hub.jobs(int(_number(request, "n", 8)), _number(request, "ms", 50))})
        except TraceRefused as err:
            return refused(err)

    @routes.get("/trace/export")
    async def export(request: web.Request) -> web.Response:
        return web.json_response(hub.export(_number(request, "window_s", 30)))

    return routes


@contextlib.asynccontextmanager
async def serve_trace(hub: TraceHub, host: str, port: int):  # type: ignore[no-untyped-def]
    """Serve ``trace_routes(hub)`` on host:port while the block runs. A port in use is logged
    and the collector runs on without a trace (it must not stop collecting for this)."""
    app = web.Application()
    app.add_routes(trace_routes(hub))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
            logger.info("trace served on http://%s:%d/trace", host, port)
        except OSError as err:
            logger.error("cannot serve the trace on %s:%d (%s); running without it", host, port, err)
        yield hub
    finally:
        await runner.cleanup()

