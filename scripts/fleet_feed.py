"""Synthetic readings for a whole simulated fleet, written straight into a reading store:
the Fleet page's browser journeys and ``bench/history.py`` use it where polling 2,000
stations over HTTP every second would take this machine's two cores from what is measured.

``FleetFeed`` stores one reading per sensor every period, as the collector would (its
heartbeat too), and can silence a sensor; ``seed_history`` fills days of past readings
(the rollups' triggers run as for any write).
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.live.meta import write_heartbeat
from services.live.store import ReadingStore, now_ms
from services.sensors.stations import Station


@dataclass(frozen=True)
class Reading:
    station_id: str
    ts: float
    temperature_c: float | None
    humidity_pct: float | None


def value(station: Station, ts: float, rng: random.Random) -> tuple[float, float]:
    """A plausible (°C, %RH) for ``station`` at ``ts``: its daily swing, a little noise."""
    phase = math.sin(2 * math.pi * ((ts / 86_400) % 1) - math.pi / 2)
    temp = station.mean_temp_c + station.daily_swing_c * phase + rng.gauss(0, 0.15)
    hum = min(100.0, max(0.0, station.mean_humidity_pct - 2 * phase + rng.gauss(0, 0.5)))
    return round(temp, 2), round(hum, 1)


class FleetFeed:
    """``with FleetFeed(store_path, stations, period_s=1.0) as feed: feed.silence("sim-0500")``."""

    def __init__(self, store_path: Path, stations: Sequence[Station], period_s: float = 1.0, seed: int = 3) -> None:
        self.store_path, self.stations, self.period_s = store_path, list(stations), period_s
        self.silent: set[str] = set()
        self.rounds = 0
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FleetFeed:
        if self._thread is not None:
            raise RuntimeError("the feed is already running")
        self._thread = threading.Thread(target=self._run, name="fleet-feed", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FleetFeed:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def silence(self, key: str) -> None:
        self.silent.add(key)

    def _run(self) -> None:
        with ReadingStore(self.store_path) as store:
            next_at = time.monotonic()
            while not self._stop.is_set():
                now = time.time()
                stored = now_ms()
                readings = [
                    (Reading(s.id, now, *value(s, now, self._rng)), stored)
                    for s in self.stations
                    if s.id not in self.silent
                ]
                store.add(readings)
                write_heartbeat(store, os.getpid(), now, self.period_s, stations=len(self.stations))
                self.rounds += 1
                next_at += self.period_s
                self._stop.wait(max(0.0, next_at - time.monotonic()))


def seed_history(store_path: Path, stations: Sequence[Station], days: float, step_s: int = 60) -> int:
    """Fill the ``days`` before now with a reading per sensor every ``step_s``; returns rows."""
    with ReadingStore(store_path):
        pass  # the schema, the rollups' table and triggers
    rng = random.Random(1)
    end = int(time.time()) // step_s * step_s
    start = end - int(days * 86_400)
    rows = 0
    with contextlib.closing(sqlite3.connect(store_path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        for chunk in _chunks(start, end, step_s):
            db.execute("BEGIN")
            db.executemany(
                "INSERT OR IGNORE INTO readings (station, ts, temperature_c, humidity_pct, stored_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                ((s.id, ts, *value(s, ts, rng), ts * 1000) for ts in chunk for s in stations),
            )
            db.execute("COMMIT")
            rows += len(chunk) * len(stations)
    return rows


def _chunks(start: int, end: int, step_s: int, per_chunk: int = 30) -> Iterator[range]:
    for first in range(start, end, step_s * per_chunk):
        yield range(first, min(end, first + step_s * per_chunk), step_s)
