"""The lab's workload and the work of one item.

A workload is N fetches of a station's reading from the real sensor service over
loopback, each with a chosen service latency L, followed by C ms of real CPU work on the
payload. Every fetch asks for the reading at one fixed second (``at``), so every engine
must come back with identical readings. ``Workload.check`` holds the lab's limits.
``item_work`` (top level: process pools pickle it) fetches and parses one item wherever
it runs, timed on the machine's monotonic clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from typing import Any

from services.core.errors import LabInputError

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
        return replace(
            self, at=self.at or int(time.time()) - 1, iterations_per_ms=self.iterations_per_ms or calibrate()
        )

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

    def ideal_terms(self, request_ceiling: float) -> dict[str, float]:
        """The model's three floors, in seconds: one service latency (all I/O overlapped),
        every request at the loopback request ceiling, all CPU work spread over every core."""
        return {
            "latency": self.latency_ms / 1000,
            "io": self.n / request_ceiling if request_ceiling else 0.0,
            "cpu": self.n * self.cpu_ms / 1000 / CORES,
        }

    def ideal_s(self, request_ceiling: float) -> float:
        """The model's floor: the longest of ``ideal_terms``."""
        return max(self.ideal_terms(request_ceiling).values())


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


def served_stations(sensor_url: str) -> tuple[str, ...]:
    """Every station the sensor service lists (the workload's items cycle over them)."""
    with urllib.request.urlopen(f"{sensor_url}/stations", timeout=5) as resp:
        return tuple(s["id"] for s in json.load(resp)["stations"])


def reading_url(w: Workload, index: int) -> str:
    return f"{w.sensor_url}/stations/{w.station(index)}?at={w.at}&latency_ms={w.latency_ms:g}"


def fetch(w: Workload, index: int) -> str:
    with urllib.request.urlopen(reading_url(w, index), timeout=FETCH_TIMEOUT_S) as resp:
        return str(resp.read().decode())


def item_work(w: Workload, index: int) -> Item:
    """Fetch and parse one item where this runs (thread, process, greenlet)."""
    start = time.perf_counter_ns()
    try:
        reading, error = parse(fetch(w, index), int(w.cpu_ms * w.iterations_per_ms)), ""
    except (OSError, ValueError, KeyError) as err:
        reading, error = None, f"{type(err).__name__}: {err}"
    return Item(index, start, time.perf_counter_ns(), os.getpid(), threading.current_thread().name, reading, error)


def timed_parse(body: str, units: int) -> tuple[tuple[str, int, float, float], int]:
    return parse(body, units), os.getpid()
