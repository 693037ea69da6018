"""The concurrency lab: one sensor workload run under each execution model, timed per item
on one clock, against the ideal.

A workload is N fetches of a station's reading from the real sensor service over
loopback, each with a chosen service latency L, followed by C ms of real CPU work on the
payload. Every fetch asks for the reading at one fixed second (``at``), so every engine
must come back with identical readings — ``identical_readings`` checks it.

Engines (``ENGINES``): sequential; a thread pool; a process pool with results through
``add_done_callback``; asyncio with an aiohttp fan-out (CPU work offloaded to a process
pool when C > 0); one ``multiprocessing.Process`` per item (capped: the naive pattern);
and gevent, which runs in its own subprocess (``services.lab_gevent``) because
``monkey.patch_all`` must never touch the app.

``run_lab`` runs the chosen engines one after another and reports progress. Call it in a
process of its own (the page runs it as a background job): it makes that process a
process-group leader, so ``kill_run(pid)`` stops it and every worker it started.

Given ``loop_trace`` (a file path), the asyncio engine runs with the event-loop tracer
attached, and its CPU jobs (C > 0) go through a ``TracedPool`` over the same warm pool;
once its clock has stopped, the loop's callbacks and the jobs are written there as
Chrome Trace Event JSON (for Perfetto) and summed up in the run's ``loop``. The newest
``LOOP_TRACES_KEPT`` such files in that folder are kept, and a half-written one that a dead
process left is removed by the next write.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import functools
import hashlib
import json
import multiprocessing
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp

from services.errors import LabInputError
from services.trace_export import chrome_trace
from services.tracer import Job, LoopTracer, TracedPool

ENGINES = ("sequential", "threads", "processes", "asyncio", "process_per_item", "gevent")
MAX_N = 2000
MAX_LATENCY_MS = 2000
MAX_CPU_MS = 200
MAX_WORKERS = 64
MAX_PER_ITEM = 50  # one Process per item: at most this many items
MAX_SERIAL_S = 60.0  # sequential (and per-item) runs that would take longer are refused
ASYNC_BOUND = 500  # requests in flight at once for asyncio and gevent
FETCH_TIMEOUT_S = 15.0
CORES = os.cpu_count() or 1
LOOP_TRACES_KEPT = 5
LOOP_TRACE_GLOB = "asyncio-loop-*.json"  # what loop_trace_name makes, and is_loop_trace_name accepts
# A loop trace is written to a .partial file, then renamed. One older than this was left by a
# process that died while writing (the largest run writes in well under a second).
PARTIAL_STALE_S = 600.0
_LOOP_TRACE_NAME = re.compile(r"asyncio-loop-[0-9-]+\.json")
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Workload:
    n: int
    latency_ms: float
    cpu_ms: float
    workers: int
    sensor_url: str
    stations: tuple[str, ...]
    at: int = 0  # the second every reading is taken at (0: now, fixed by ``fixed``)
    iterations_per_ms: int = 0  # CPU work units per ms on this machine (0: measure)

    def fixed(self) -> Workload:
        """The same workload with the reading time and the CPU calibration pinned."""
        return replace(self, at=self.at or int(time.time()) - 1,
                       iterations_per_ms=self.iterations_per_ms or calibrate())

    def check(self, engines: list[str]) -> None:
        """Raise LabInputError for anything the lab will not run (a NaN fails its range)."""
        if not 1 <= self.n <= MAX_N:
            raise LabInputError("lab.err.n_range", limit=MAX_N)
        if not 0 <= self.latency_ms <= MAX_LATENCY_MS:
            raise LabInputError("lab.err.latency_range", limit=MAX_LATENCY_MS)
        if not 0 <= self.cpu_ms <= MAX_CPU_MS:
            raise LabInputError("lab.err.cpu_range", limit=MAX_CPU_MS)
        if not 1 <= self.workers <= MAX_WORKERS:
            raise LabInputError("lab.err.workers_range", limit=MAX_WORKERS)
        if not engines:
            raise LabInputError("lab.err.no_engine")
        unknown = [e for e in engines if e not in ENGINES]
        if unknown:
            raise LabInputError("lab.err.unknown_engine", engine=unknown[0])
        if "process_per_item" in engines and self.n > MAX_PER_ITEM:
            raise LabInputError("lab.err.per_item_cap", limit=MAX_PER_ITEM)
        serial_s = self.n * (self.latency_ms + self.cpu_ms) / 1000
        if "sequential" in engines and serial_s > MAX_SERIAL_S:
            raise LabInputError("lab.err.too_slow", seconds=f"{serial_s:.0f}", limit=f"{MAX_SERIAL_S:.0f}")

    def station(self, index: int) -> str:
        return self.stations[index % len(self.stations)]

    def ideal_s(self, request_ceiling: float) -> float:
        """The floor no engine can beat: all I/O overlapped (bounded by the loopback request
        ceiling), or all CPU work spread over every core, whichever is longer."""
        io = max(self.latency_ms / 1000, self.n / request_ceiling if request_ceiling else 0.0)
        return max(io, self.n * self.cpu_ms / 1000 / CORES)


@dataclass
class Item:
    index: int
    start_ns: int
    end_ns: int
    pid: int
    thread: str
    reading: tuple[str, int, float, float] | None  # station, ts, °C, %RH
    error: str = ""


@dataclass
class EngineRun:
    engine: str
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this process and every child it waited for
    items: list[Item] = field(default_factory=list)
    error: str = ""
    loop: dict[str, Any] | None = None  # the traced asyncio loop's summary (see write_loop_trace)

    @property
    def throughput(self) -> float:
        return len(self.items) / self.wall_s if self.wall_s else 0.0


# -- the per-item work (top level: process pools pickle it) -----------------------------

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies. A pool worker whose parent
    was killed would otherwise wait forever: its siblings keep the task pipe open."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: cancel still kills the run's known children
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def calibrate(ms: float = 20.0, samples: int = 5) -> int:
    """How many units of the CPU work fit in one ms here (the median of a few samples)."""
    rates = []
    for _ in range(samples):
        payload, units, start = b"calibrate", 0, time.perf_counter()
        while time.perf_counter() - start < ms / 1000:
            payload = _burn(payload, 50)
            units += 50
        rates.append(units / ((time.perf_counter() - start) * 1000))
    return max(1, int(sorted(rates)[samples // 2]))


def _burn(payload: bytes, units: int) -> bytes:
    digest = payload
    for _ in range(units):
        digest = hashlib.sha256(digest).digest()
    return digest


def parse(body: str, cpu_units: int) -> tuple[str, int, float, float]:
    """The reading in a payload, after ``cpu_units`` of real CPU work on it."""
    _burn(body.encode(), cpu_units)
    data = json.loads(body)
    return (str(data["station"]), int(data["ts"]), float(data["temperature_c"]), float(data["humidity_pct"]))


def station_ids(sensor_url: str) -> tuple[str, ...]:
    """Every station the sensor service lists (the workload's items cycle over them)."""
    with urllib.request.urlopen(f"{sensor_url}/stations", timeout=5) as resp:
        return tuple(s["id"] for s in json.load(resp)["stations"])


def reading_url(w: Workload, index: int) -> str:
    return f"{w.sensor_url}/stations/{w.station(index)}?at={w.at}&latency_ms={w.latency_ms:g}"


def fetch(w: Workload, index: int) -> str:
    with urllib.request.urlopen(reading_url(w, index), timeout=FETCH_TIMEOUT_S) as resp:
        return resp.read().decode()


def item_work(w: Workload, index: int) -> Item:
    """Fetch and parse one item where this runs (thread, process, greenlet)."""
    start = time.perf_counter_ns()
    try:
        reading, error = parse(fetch(w, index), int(w.cpu_ms * w.iterations_per_ms)), ""
    except (OSError, ValueError, KeyError) as err:
        reading, error = None, f"{type(err).__name__}: {err}"
    return Item(index, start, time.perf_counter_ns(), os.getpid(), threading.current_thread().name, reading, error)


def _timed_parse(body: str, units: int) -> tuple[tuple[str, int, float, float], int]:
    return parse(body, units), os.getpid()


# -- engines ------------------------------------------------------------------------------

Report = Callable[[Item], None]


def run_sequential(w: Workload, report: Report) -> None:
    for i in range(w.n):
        report(item_work(w, i))


def run_threads(w: Workload, report: Report) -> None:
    with ThreadPoolExecutor(w.workers, thread_name_prefix="lab") as pool:
        for item in pool.map(lambda i: item_work(w, i), range(w.n)):
            report(item)


def warm_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool with every worker already started: the app keeps long-lived pools,
    so starting one is not counted as the engine's time."""
    pool = ProcessPoolExecutor(workers, initializer=die_with_parent)
    for future in [pool.submit(os.getpid) for _ in range(workers)]:
        future.result()
    return pool


def run_processes(w: Workload, report: Report, work: Callable[[Workload, int], Item] = item_work,
                  pool: ProcessPoolExecutor | None = None) -> None:
    """Submit every item; each result reaches ``report`` through its future's done-callback."""
    lock, left, finished = threading.Lock(), [w.n], threading.Event()

    def done(future: Future[Item]) -> None:  # runs in the parent (the pool's result thread)
        with lock:
            report(future.result())
            left[0] -= 1
            if not left[0]:
                finished.set()

    own = pool is None
    pool = pool or warm_pool(w.workers)
    try:
        for i in range(w.n):
            pool.submit(work, w, i).add_done_callback(done)
        finished.wait()
    finally:
        if own:
            pool.shutdown()


@dataclass
class LoopTrace:
    """What a traced asyncio run leaves behind: its loop's tracer (detached) and its jobs."""

    tracer: LoopTracer | None = None
    jobs: list[Job] = field(default_factory=list)


def run_asyncio(w: Workload, report: Report, pool: ProcessPoolExecutor | None = None,
                traced: LoopTrace | None = None) -> None:
    """The aiohttp fan-out; with C > 0 each payload's CPU work goes to ``pool``. With
    ``traced``, the loop runs traced and ``traced`` gets what was recorded."""
    asyncio.run(_fan_out(w, report, pool, traced))


async def _fan_out(w: Workload, report: Report, pool: ProcessPoolExecutor | None,
                   traced: LoopTrace | None = None) -> None:
    loop = asyncio.get_running_loop()
    tracer = LoopTracer(loop).attach() if traced is not None else None
    units = int(w.cpu_ms * w.iterations_per_ms)
    bound = asyncio.Semaphore(min(ASYNC_BOUND, w.n))
    own = pool is None and units > 0
    if own:
        pool = warm_pool(min(w.workers, CORES))
    # traced: each job's submit, start and end in its worker, on the trace's clock
    timed_pool = TracedPool(executor=pool, capacity=MAX_N) if tracer is not None and units else None

    async def one(session: aiohttp.ClientSession, index: int) -> None:
        start = time.perf_counter_ns()
        pid, reading, error = os.getpid(), None, ""
        try:
            async with bound, session.get(reading_url(w, index)) as resp:
                resp.raise_for_status()
                body = await resp.text()
            if timed_pool is not None:
                reading, pid = await asyncio.wrap_future(timed_pool.submit(_timed_parse, body, units))
            elif units:
                reading, pid = await loop.run_in_executor(pool, _timed_parse, body, units)
            else:
                reading = parse(body, 0)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError) as err:
            error = f"{type(err).__name__}: {err}"
        report(Item(index, start, time.perf_counter_ns(), pid, "", reading, error))  # slots show the overlap

    try:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
            async with asyncio.TaskGroup() as group:
                for i in range(w.n):
                    group.create_task(one(session, i), name=f"fetch {i}")
    finally:
        if tracer is not None and traced is not None:
            tracer.detach()
            traced.tracer, traced.jobs = tracer, timed_pool.jobs() if timed_pool is not None else []
        if own and pool is not None:
            pool.shutdown(wait=True)


def _per_item_child(w: Workload, index: int, results: Any) -> None:
    die_with_parent()
    results.put(item_work(w, index))  # the way back to the parent: a queue, not a callback


def run_process_per_item(w: Workload, report: Report) -> None:
    """The naive pattern: a new Process for every item, results back through a queue."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = [context.Process(target=_per_item_child, args=(w, i, results), name=f"item-{i}")
                for i in range(w.n)]
    for child in children:
        child.start()
    for _ in children:
        report(results.get(timeout=FETCH_TIMEOUT_S + 30))
    for child in children:
        child.join()


def run_gevent(w: Workload, report: Report) -> None:
    """In ``python -m services.lab_gevent``: the workload in, one JSON item per line out."""
    with subprocess.Popen([sys.executable, "-m", "services.lab_gevent"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, cwd=ROOT) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(asdict(w)))
        proc.stdin.close()
        for line in proc.stdout:
            data = json.loads(line)
            data["reading"] = tuple(data["reading"]) if data["reading"] else None
            report(Item(**data))
    if proc.returncode != 0:
        raise RuntimeError(f"the gevent process exited with code {proc.returncode}")


RUNNERS: dict[str, Callable[[Workload, Report], None]] = {
    "sequential": run_sequential, "threads": run_threads, "processes": run_processes,
    "asyncio": run_asyncio, "process_per_item": run_process_per_item, "gevent": run_gevent,
}


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_engine(engine: str, w: Workload, report: Report | None = None, run: EngineRun | None = None,
               loop_trace: Path | None = None) -> EngineRun:
    """One engine over the whole workload (into ``run``, if given, as items finish);
    ``report`` sees each item as it finishes; ``loop_trace``: see the module docstring."""
    run = run or EngineRun(engine)

    def keep(item: Item) -> None:
        run.items.append(item)
        if report is not None:
            report(item)

    runner = RUNNERS[engine]
    pool = None  # a pool engine's workers are started before the clock (see warm_pool)
    if engine == "processes":
        pool = warm_pool(w.workers)
    elif engine == "asyncio" and w.cpu_ms:
        pool = warm_pool(min(w.workers, CORES))
    if pool is not None:
        runner = functools.partial(runner, pool=pool)  # type: ignore[call-arg]
    traced = LoopTrace()
    if engine == "asyncio" and loop_trace is not None:
        runner = functools.partial(runner, traced=traced)  # type: ignore[call-arg]
    cpu, start = _cpu_s(), time.perf_counter()
    try:
        runner(w, keep)
    except Exception as err:  # an engine's failure is a result to show, not a crash
        run.error = f"{type(err).__name__}: {err}"
    finally:
        run.wall_s = time.perf_counter() - start
        if pool is not None:
            pool.shutdown()
    run.cpu_s = _cpu_s() - cpu  # after the shutdown: a child's CPU time counts once it is reaped
    run.items.sort(key=lambda item: item.index)
    if traced.tracer is not None and loop_trace is not None:
        run.loop = write_loop_trace(traced.tracer, loop_trace, traced.jobs)
    return run


def loop_trace_name() -> str:
    """A new loop trace's file name: when, and which process wrote it."""
    return f"asyncio-loop-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.json"


def is_loop_trace_name(name: str) -> bool:
    """Whether ``name`` is one ``loop_trace_name`` makes (no folder, nothing else)."""
    return _LOOP_TRACE_NAME.fullmatch(name) is not None


def write_loop_trace(tracer: LoopTracer, path: Path, jobs: list[Job]) -> dict[str, Any]:
    """The traced loop and its pool jobs as Chrome Trace Event JSON at ``path`` (older
    ones beyond ``LOOP_TRACES_KEPT`` removed), and its summary."""
    rows = [c for c in tracer.callbacks() if c.end_ns]  # not the step that detached it
    start = min((c.start_ns for c in rows), default=0)
    end = max((c.end_ns for c in rows), default=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    try:
        partial.write_text(json.dumps(chrome_trace(tracer, start, end, jobs=jobs, callbacks=rows),
                                      separators=(",", ":")))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)  # a failed write (a full disk) leaves nothing half-written
    _prune(path.parent)
    stats = tracer.statistics()
    return {"file": path.name, "callbacks": len(rows), "tasks": stats.tasks, "dropped": stats.dropped,
            "jobs": len(jobs), "workers": len({j.pid for j in jobs if j.pid}),
            "longest_ms": max((c.duration_ns for c in rows), default=0) / 1e6,
            "latest_ms": max((c.late_ns for c in rows), default=0) / 1e6,
            "lag_ms": max((lag for _, lag in tracer.lag()), default=0) / 1e6}


def _prune(folder: Path) -> None:
    """Keep the newest ``LOOP_TRACES_KEPT`` loop traces, and drop what a dead writer left."""
    for old in sorted(folder.glob(LOOP_TRACE_GLOB), key=_mtime)[:-LOOP_TRACES_KEPT]:
        old.unlink(missing_ok=True)
    stale = time.time() - PARTIAL_STALE_S
    for left in folder.glob(LOOP_TRACE_GLOB.replace(".json", ".partial")):
        if _mtime(left) < stale:
            left.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # another worker pruned it first
        return float("inf")


def identical_readings(runs: list[EngineRun]) -> bool:
    """Every engine that finished returned the same reading for every item."""
    complete = [r for r in runs if not r.error and len(r.items) > 0]
    if not complete:
        return False
    first = [item.reading for item in complete[0].items]
    return None not in first and all([item.reading for item in r.items] == first for r in complete[1:])


def request_ceiling(sensor_url: str, station: str, n: int = 400) -> float:
    """Loopback requests per second the sensor service answers at zero latency, measured
    now with an unbounded aiohttp fan-out."""
    async def burst() -> float:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            async def one() -> None:
                async with session.get(f"{sensor_url}/stations/{station}?latency_ms=0") as resp:
                    await resp.read()
            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return n / (time.perf_counter() - start)

    return asyncio.run(burst())


# -- a whole run, in its own process ------------------------------------------------------

def become_run_leader() -> None:
    """Make this process lead its own process group, and take the group down with it on
    SIGTERM, so cancelling a run leaves no worker behind."""
    os.setpgid(0, 0)

    def stop(_signum: int, _frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.killpg(0, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)


def kill_run(pid: int) -> None:
    """Stop a run and every process it started (its group)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextlib.contextmanager
def run_lock(path: Path) -> Iterator[bool]:
    """One run per server: True while this process holds the lock (its pid is written in
    the lock file), False if another run holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield True


def stop_run(path: Path, pid: int) -> bool:
    """Kill run ``pid`` and its workers — only if it is the run holding the lock now (the
    pid comes from a page, so it is checked against the lock, never trusted)."""
    try:
        with open(path) as lock:
            holder = int(lock.read().strip() or 0)
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)  # succeeds only when nobody runs
            return False
    except BlockingIOError:
        pass  # a run holds the lock
    except (OSError, ValueError):
        return False
    if holder != pid or pid <= 1:
        return False
    kill_run(pid)
    return True


# -- what the page draws --------------------------------------------------------------------

@dataclass(frozen=True)
class Lane:
    engine: str
    label: str
    x: list[float | None]  # seconds from the run's start: start, end, gap per item
    y: list[str | None]


def swimlanes(engine: str, items: list[Item], origin_ns: int, max_items: int = 600,
              max_lanes: int = 16) -> list[Lane]:
    """Items as bars on lanes: one lane per worker (process and thread); items that overlap
    on one worker (coroutines, greenlets) are spread over slots so concurrency shows.
    At most ``max_items`` bars (evenly picked) and ``max_lanes`` lanes per engine."""
    step = max(1, -(-len(items) // max_items))
    shown = sorted(items[::step], key=lambda item: item.start_ns)
    free_at: dict[tuple[int, str], list[int]] = {}  # worker → end of the last bar per slot
    placed = []
    for item in shown:
        slots = free_at.setdefault((item.pid, item.thread), [])
        slot = next((k for k, end in enumerate(slots) if end <= item.start_ns), len(slots))
        if slot == len(slots):
            slots.append(0)
        slots[slot] = item.end_ns
        placed.append((item, slot))
    rows: dict[str, list[Item]] = {}
    for item, slot in placed:
        label = f"{engine} · pid {item.pid}" + (f" · {item.thread}" if item.thread not in ("MainThread", "") else "")
        if len(free_at[(item.pid, item.thread)]) > 1:
            label += f" #{slot + 1}"
        rows.setdefault(label, []).append(item)
    lanes = []
    for label, row in list(rows.items())[:max_lanes]:
        xs: list[float | None] = []
        for item in row:
            xs += [(item.start_ns - origin_ns) / 1e9, (item.end_ns - origin_ns) / 1e9, None]
        lanes.append(Lane(engine, label, xs, [label, label, None] * len(row)))
    return lanes


@dataclass
class LabResult:
    workload: Workload
    engines: list[str]
    origin_ns: int
    ceiling: float  # loopback requests per second, measured at the start of the run
    runs: list[EngineRun] = field(default_factory=list)
    running: EngineRun | None = None  # the engine under way (progress only)
    collector_gap_s: float | None = None  # longest time between collector heartbeats seen

    @property
    def ideal_s(self) -> float:
        return self.workload.ideal_s(self.ceiling)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the page: a row per finished engine and the swimlanes so far."""
        ideal = self.ideal_s
        shown = self.runs + ([self.running] if self.running else [])
        return {
            "n": self.workload.n, "latency_ms": self.workload.latency_ms, "cpu_ms": self.workload.cpu_ms,
            "workers": self.workload.workers, "ideal_s": ideal, "ceiling": self.ceiling,
            "engines": self.engines, "running": self.running.engine if self.running else None,
            "done": len(self.running.items) if self.running else 0,
            "rows": [{"engine": r.engine, "wall_s": r.wall_s, "cpu_s": r.cpu_s, "throughput": r.throughput,
                      "ratio": r.wall_s / ideal if ideal else 0.0, "items": len(r.items),
                      "failed": sum(1 for item in r.items if item.error), "error": r.error, "loop": r.loop}
                     for r in self.runs],
            "identical": identical_readings(self.runs) if len(self.runs) > 1 else None,
            "collector_gap_s": self.collector_gap_s,
            "lanes": [asdict(lane) for r in shown for lane in swimlanes(r.engine, list(r.items), self.origin_ns)],
        }


class _HeartbeatWatch:
    """Samples the collector's heartbeat time while a run goes on (does the collector keep
    its period while the lab loads the machine?)."""

    def __init__(self, read: Callable[[], float | None], every_s: float = 0.2) -> None:
        self.read, self.every_s = read, every_s
        self.beats: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lab-heartbeat-watch", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            at = self.read()
            if at is not None and (not self.beats or at != self.beats[-1]):
                self.beats.append(at)

    def __enter__(self) -> _HeartbeatWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def longest_gap(self) -> float | None:
        gaps = [b - a for a, b in zip(self.beats, self.beats[1:])]
        return max(gaps) if gaps else None


def run_lab(w: Workload, engines: list[str], progress: Callable[[LabResult], None] | None = None,
            heartbeat: Callable[[], float | None] | None = None, every_s: float = 0.5,
            loop_trace: Path | None = None) -> LabResult:
    """Every chosen engine over the same (fixed) workload, one after another; ``progress``
    sees the result so far at most every ``every_s`` while items finish; ``loop_trace``:
    see the module docstring."""
    w.check(engines)
    if not w.stations:
        raise LabInputError("lab.err.no_stations")
    w = w.fixed()
    ceiling = request_ceiling(w.sensor_url, w.stations[0])
    result = LabResult(w, engines, time.perf_counter_ns(), ceiling)  # the clock starts after measuring
    lock, last = threading.Lock(), [0.0]

    def report(_item: Item) -> None:
        if progress is not None and time.monotonic() - last[0] >= every_s:
            with lock:
                last[0] = time.monotonic()
                progress(result)

    with _HeartbeatWatch(heartbeat or (lambda: None)) as watch:
        for engine in engines:
            result.running = EngineRun(engine)
            run = run_engine(engine, w, report, run=result.running, loop_trace=loop_trace)
            with lock:
                result.runs.append(run)
                result.running = None
            if progress is not None:
                progress(result)
    result.collector_gap_s = watch.longest_gap()
    return result
