"""One Fleet page's picture of every sensor (no Dash here).

``rebuild`` reads, for every sensor: its newest reading (a table of them, kept by the store), today's
temperature min/max from the rollups (hourly buckets for the whole hours since local
midnight, 5-minute buckets for the edges: never the raw rows) and the last hour as twelve
5-minute means (the sparkline). ``advance`` takes the rows stored since and updates the
current values, today's min/max and each sensor's status; it re-reads the last hour when a
5-minute bucket closes and asks for a rebuild when the day changes. ``row`` is what the
page's table shows of one sensor, in a language.

Status: *never seen* (no reading kept), *offline* (its source says so, or silent for
``offline_periods`` of its own period), *alert* (its reading is beyond the thresholds),
else *ok*; offline and alert say since when.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.core.i18n import t
from services.live.meta import SOURCES_KEY, unavailable
from services.live.rollups import FIVE_MINUTES, HOUR
from services.live.store import ReadingStore, Row
from services.live.view import Thresholds, local_time
from services.sensors.stations import Station

SPARK_POINTS = 12  # the last hour, in 5-minute means


@dataclass
class SensorState:
    station: Station
    t: float | None = None
    h: float | None = None
    ts: float = 0.0  # when the newest reading was measured
    seen_ms: int | None = None  # when it was stored
    lo: float | None = None  # today's temperature min / max
    hi: float | None = None
    spark: list[float | None] = field(default_factory=lambda: [None] * SPARK_POINTS)
    status: str = "never"
    since: float | None = None  # offline: last seen; alert: first reading beyond
    battery: float | None = None


def day_start(now: float) -> int:
    """Local midnight of the day ``now`` is in."""
    midnight = datetime.fromtimestamp(now).astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp())


def today_spans(start: int, now: float) -> list[tuple[int, int, int]]:
    """(resolution, from, to) reads covering [start, now]: whole hours hourly, the edges in
    5-minute buckets (a half-hour time zone's midnight is not on an hour)."""
    first_hour = -(-start // HOUR) * HOUR
    last_hour = int(now) // HOUR * HOUR
    if first_hour >= last_hour:
        return [(FIVE_MINUTES, start, int(now) + 1)]
    return [(FIVE_MINUTES, start, first_hour), (HOUR, first_hour, last_hour), (FIVE_MINUTES, last_hour, int(now) + 1)]


def _lower(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _higher(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass
class Advance:
    changed: set[str]  # sensors whose row may show something new
    status: set[str]  # of them, those whose status changed
    rebuild: bool = False  # a new day: today's min/max start again


class FleetBoard:
    """``board.rebuild(now)``; then each turn ``board.advance(store.since(board.cursor, keys), now)``."""

    def __init__(
        self,
        store: ReadingStore,
        stations: Mapping[str, Station],
        *,
        period_s: float,
        offline_periods: int = 3,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.store = store
        self.sensors = {key: SensorState(s) for key, s in stations.items()}
        self.keys = list(self.sensors)
        self.period_s, self.offline_periods = period_s, offline_periods
        self.thresholds = thresholds or Thresholds()
        self.unavailable: set[str] = set()
        self.cursor = 0
        self.day = 0
        self.spark_bucket = 0  # the 5-minute bucket the sparklines end in

    # -- reading the store ------------------------------------------------------------

    def rebuild(self, now: float) -> None:
        with self.store.snapshot():  # each sensor's newest as of the cursor, even if a write lands meanwhile
            self.cursor = self.store.max_id()
            for row in self.store.latest_all():
                if (sensor := self.sensors.get(row.station)) is not None:  # (the store may hold others)
                    self._take(sensor, row)
        self.day = day_start(now)
        for sensor in self.sensors.values():
            sensor.lo = sensor.hi = None
        for resolution, start, end in today_spans(self.day, now):
            for b in self.store.temperatures(resolution, start, end):
                if (shown := self.sensors.get(b.station)) is not None:  # (the store may hold others)
                    shown.lo, shown.hi = _lower(shown.lo, b.t_min), _higher(shown.hi, b.t_max)
        self.read_sparks(now)
        self.read_meta()
        self.update_status(now)

    def read_sparks(self, now: float) -> None:
        """The last hour of every sensor: the 5-minute means of the 12 buckets up to now's."""
        self.spark_bucket = int(now) // FIVE_MINUTES * FIVE_MINUTES
        first = self.spark_bucket - (SPARK_POINTS - 1) * FIVE_MINUTES
        sparks: dict[str, list[float | None]] = {key: [None] * SPARK_POINTS for key in self.keys}
        for b in self.store.temperatures(FIVE_MINUTES, first, self.spark_bucket + FIVE_MINUTES):
            if b.t_mean is not None and b.station in sparks:
                sparks[b.station][(b.start - first) // FIVE_MINUTES] = round(b.t_mean, 1)
        for key, spark in sparks.items():
            self.sensors[key].spark = spark

    def read_meta(self) -> None:
        """What the sources say beside the readings: batteries, and who is unavailable."""
        self.unavailable = unavailable(self.store)
        snapshot = self.store.meta(SOURCES_KEY) or {"sources": []}
        for source in snapshot["sources"]:
            for found in source.get("sensors", ()):
                sensor = self.sensors.get(found.get("key"))
                if sensor is not None and found.get("battery") is not None:
                    sensor.battery = float(found["battery"])

    # -- following what arrives -----------------------------------------------------------

    def advance(self, rows: Iterable[Row], now: float) -> Advance:
        """What changed with ``rows`` (those stored since ``cursor``) and the time."""
        touched: set[str] = set()
        for row in rows:
            self.cursor = max(self.cursor, row.id)
            sensor = self.sensors.get(row.station)
            if sensor is None:
                continue
            touched.add(row.station)
            if row.ts >= self.day and row.temperature_c is not None:
                sensor.lo = _lower(sensor.lo, row.temperature_c)
                sensor.hi = _higher(sensor.hi, row.temperature_c)
            if row.ts >= sensor.ts:
                self._take(sensor, row)
        if day_start(now) != self.day:
            return Advance(set(self.keys), set(), rebuild=True)
        if int(now) // FIVE_MINUTES * FIVE_MINUTES != self.spark_bucket:
            self.read_sparks(now)
            touched = set(self.keys)
        status = self.update_status(now)
        return Advance(touched | status, status)

    def _take(self, sensor: SensorState, row: Row) -> None:
        sensor.ts, sensor.seen_ms = row.ts, max(sensor.seen_ms or 0, row.stored_ms)
        sensor.t = row.temperature_c if row.temperature_c is not None else sensor.t
        sensor.h = row.humidity_pct if row.humidity_pct is not None else sensor.h

    def update_status(self, now: float) -> set[str]:
        """Each sensor's status now; returns the sensors whose status changed."""
        changed: set[str] = set()
        for key, sensor in self.sensors.items():
            status, since = self._status(key, sensor, now)
            if status != sensor.status:
                sensor.status, sensor.since = status, since
                changed.add(key)
        return changed

    def _status(self, key: str, sensor: SensorState, now: float) -> tuple[str, float | None]:
        if sensor.seen_ms is None:
            return "never", None
        after_s = self.offline_periods * max(self.period_s, sensor.station.period_s)
        if key in self.unavailable or now - sensor.seen_ms / 1000 > after_s:
            return "offline", sensor.seen_ms / 1000
        limits = self.thresholds
        if (sensor.t is not None and limits.outside("temperature", sensor.t)) or (
            sensor.h is not None and limits.outside("humidity", sensor.h)
        ):
            return "alert", sensor.ts if sensor.status != "alert" else sensor.since
        return "ok", None

    # -- what the table shows -------------------------------------------------------------

    def sources(self) -> list[str]:
        return sorted({s.station.source for s in self.sensors.values()})

    def row(self, key: str, lang: str, now: float) -> dict[str, Any]:
        """One row of the table: numbers rounded as shown, texts in ``lang``."""
        s = self.sensors[key]
        return {
            "id": key,
            "name": s.station.name(lang),
            "source": s.station.source,
            "t": _round(s.t, 1),
            "h": _round(s.h, 0),
            "spark": s.spark,
            "lo": _round(s.lo, 1),
            "hi": _round(s.hi, 1),
            "status": s.status,
            "state": status_text(s.status, s.since, lang, now),
            "battery": _round(s.battery, 0),
        }

    def rows(self, lang: str, now: float) -> list[dict[str, Any]]:
        return [self.row(key, lang, now) for key in self.keys]

    def statistics(self) -> dict[str, int]:
        counts = {status: 0 for status in ("ok", "alert", "offline", "never")}
        for sensor in self.sensors.values():
            counts[sensor.status] += 1
        return {"sensors": len(self.sensors), **counts}


def _round(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits) if digits else float(round(value))


def status_text(status: str, since: float | None, lang: str, now: float) -> str:
    """ "offline since 14:02" (a time of another day says its date too), in ``lang``."""
    if since is None:
        return t(f"fleet.status.{status}", lang)
    at = local_time(since)
    same_day = day_start(since) == day_start(now)
    when = at.strftime("%H:%M" if same_day else "%m-%d %H:%M")
    return t(f"fleet.status.{status}_since", lang, time=when)


def first_rows(
    store: ReadingStore, stations: Mapping[str, Station], period_s: float, lang: str
) -> list[dict[str, Any]]:
    """Every row as the page first shows it (before its stream has started)."""
    board = FleetBoard(store, stations, period_s=period_s)
    now = time.time()
    board.rebuild(now)
    return board.rows(lang, now)
