"""A whole lab run, in a process of its own (the page runs it as a background job).

``run_lab`` measures the loopback request ceiling (``services.lab.ceiling``), then runs
the chosen engines one after another over the same fixed workload and reports progress. ``run_job`` wraps it in the
run's policy: one run per server at a time (a lock file holding the run's pid), a lower
priority (``NICE``) so the collector keeps its period, and a watch of the collector's
heartbeat during the run. The run leads its own process group, so ``stop_run`` stops
it and every worker it started.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from services.core.errors import LabInputError
from services.core.settings import Settings
from services.lab.ceiling import Ceiling, request_ceiling
from services.lab.engines import identical_readings, run_engine
from services.lab.lanes import swimlanes
from services.lab.loop_trace import loop_trace_name
from services.lab.workload import EngineRun, Workload, served_stations
from services.live.meta import heartbeat_at

logger = logging.getLogger(__name__)

NICE = 10  # a run's priority below the collector's


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


@dataclass
class LabResult:
    workload: Workload
    engines: list[str]
    origin_ns: int
    ceiling: Ceiling  # loopback requests per second, measured before the engines
    runs: list[EngineRun] = field(default_factory=list)
    running: EngineRun | None = None  # the engine under way (progress only)
    collector_gap_s: float | None = None  # longest time between collector heartbeats seen

    @property
    def model_s(self) -> float:
        """The model's floor (``Workload.ideal_s``) at the measured ceiling."""
        return self.workload.ideal_s(self.ceiling.rate)

    @property
    def ideal_s(self) -> float:
        """The model's floor, or the time of the fastest complete run when one beat it: an
        ideal is never above what a run achieved (the page says why it was lowered)."""
        return min([self.model_s, *(r.wall_s for r in self.runs if self.complete(r))])

    def complete(self, run: EngineRun) -> bool:
        """Every item fetched and parsed (a run of failures can be quick, and proves nothing)."""
        return not run.error and len(run.items) == self.workload.n and not any(i.error for i in run.items)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the page: a row per finished engine and the swimlanes so far."""
        ideal, model = self.ideal_s, self.model_s
        terms = self.workload.ideal_terms(self.ceiling.rate)
        shown = self.runs + ([self.running] if self.running else [])
        return {
            "n": self.workload.n,
            "latency_ms": self.workload.latency_ms,
            "cpu_ms": self.workload.cpu_ms,
            "workers": self.workload.workers,
            "ideal_s": ideal,
            "model_s": model,
            "model_term": max(terms, key=lambda term: terms[term]),
            "ceiling": self.ceiling.rate,
            "ceiling_low": self.ceiling.low,
            "ceiling_median": self.ceiling.median,
            "ceiling_rounds": len(self.ceiling.rounds),
            "engines": self.engines,
            "running": self.running.engine if self.running else None,
            "done": len(self.running.items) if self.running else 0,
            "rows": [
                {
                    "engine": r.engine,
                    "wall_s": r.wall_s,
                    "cpu_s": r.cpu_s,
                    "throughput": r.throughput,
                    "ratio": r.wall_s / ideal if ideal else 0.0,
                    "beat_model": self.complete(r) and r.wall_s < model,
                    "items": len(r.items),
                    "failed": sum(1 for item in r.items if item.error),
                    "error": r.error,
                    "loop": r.loop,
                }
                for r in self.runs
            ],
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
        gaps = [b - a for a, b in zip(self.beats, self.beats[1:], strict=False)]
        return max(gaps) if gaps else None


def run_lab(
    w: Workload,
    engines: list[str],
    progress: Callable[[LabResult], None] | None = None,
    heartbeat: Callable[[], float | None] | None = None,
    every_s: float = 0.5,
    loop_trace: Path | None = None,
) -> LabResult:
    """Every chosen engine over the same (fixed) workload, one after another; ``progress``
    sees the result so far as each engine starts, at most every ``every_s`` while items
    finish, and once all are done — never a step back; ``loop_trace``: see the module
    docstring."""
    w.check(engines)
    if not w.stations:
        raise LabInputError("lab.err.no_stations")
    w = w.fixed()
    ceiling = request_ceiling(w.sensor_url, w.stations[0])
    result = LabResult(w, engines, time.perf_counter_ns(), ceiling)  # the clock starts after measuring
    lock, last = threading.Lock(), [0.0]

    def tell(every: float = 0.0) -> None:
        if progress is not None and time.monotonic() - last[0] >= every:
            with lock:
                last[0] = time.monotonic()
                progress(result)

    with _HeartbeatWatch(heartbeat or (lambda: None)) as watch:
        for engine in engines:
            result.running = EngineRun(engine)
            tell()
            run = run_engine(engine, w, lambda _item: tell(every_s), run=result.running, loop_trace=loop_trace)
            with lock:
                result.runs.append(run)
                result.running = None  # no progress here: the next engine's start is the next step
        tell()
    result.collector_gap_s = watch.longest_gap()
    return result


def run_job(job: dict[str, Any], settings: Settings, progress: Callable[[LabResult | None], None]) -> dict[str, Any]:
    """A checked job (``n``, ``latency_ms``, ``cpu_ms``, ``workers``, ``engines``, ``trace``)
    run with the lab's policy, in the calling process (the page's background job): the
    result as plain data, or ``{"error": key, "params": …}``. ``progress(None)`` says the
    run has started (this process leads it); then it gets the result so far."""
    with run_lock(settings.lab_lock_path) as mine:
        if not mine:
            return {"error": "lab.err.busy"}
        os.nice(NICE)
        become_run_leader()
        progress(None)
        try:
            stations = served_stations(settings.effective_sensor_url)
        except (OSError, ValueError, KeyError):
            return {"error": "lab.err.sensor"}
        workload = Workload(
            job["n"], job["latency_ms"], job["cpu_ms"], job["workers"], settings.effective_sensor_url, stations
        )
        loop_trace = settings.lab_dir / loop_trace_name() if job.get("trace") else None
        try:
            result = run_lab(
                workload, job["engines"], progress, lambda: heartbeat_at(settings.store_path), loop_trace=loop_trace
            )
        except LabInputError as err:
            return {"error": err.code, "params": err.params}
        except Exception:
            logger.exception("lab run crashed")
            return {"error": "lab.err.crashed"}
        return {**result.as_dict(), "collector_period_s": settings.collector_period_s}
