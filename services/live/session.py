"""What one Live page shows, and what changes from one push to the next (no Dash here).

A ``LiveSession`` belongs to one browser page's stream. ``rebuild`` loads the shown
window from the store; ``advance`` takes the rows stored since and returns a
``Delta``: the points to append, card fields that changed, stations that went
offline or came back, the alert list. The Dash side turns a snapshot into a figure
and a delta into a small ``Patch``.

Bounding the window without deleting points one by one: every station and metric
has two traces ("chunks") in the figure. New points are appended to the *head*
chunk. In raw views (5 min: every reading shown) once the head alone covers the
whole window, the other chunk is entirely off screen, so it is replaced by a
one-point bridge and becomes the new head: one small assignment instead of a
delete per point. In downsampled views (1 h, 24 h) the head takes raw readings
until it holds ``TAIL_MAX`` points, then the page is rebuilt from the store.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from services.live.store import ReadingStore, Row
from services.live.view import METRICS, LiveView, dew_point_c, from_unit, local_time, to_unit, x_value

MAX_BUCKETS = 300  # a downsampled trace: ≤ 300 time buckets × ≤ 2 points (min and max)
RAW_MAX_POINTS = 600  # a view expecting more readings per station than this is downsampled
TAIL_MAX = 300  # raw points appended to a downsampled view before it is rebuilt


# -- per-station numbers ---------------------------------------------------------------


@dataclass
class StationStats:
    """Current value and min / max (with when) / mean over the shown range."""

    n: int = 0
    ts: int = 0
    temp: float = math.nan
    hum: float = math.nan
    t_min: tuple[float, int] = (math.inf, 0)
    t_max: tuple[float, int] = (-math.inf, 0)
    h_min: tuple[float, int] = (math.inf, 0)
    h_max: tuple[float, int] = (-math.inf, 0)
    t_sum: float = 0.0
    h_sum: float = 0.0

    @classmethod
    def of(cls, rows: Iterable[Row]) -> StationStats:
        stats = cls()
        for row in rows:
            stats.add(row)
        return stats

    def add(self, row: Row) -> None:
        self.n += 1
        if row.ts >= self.ts:
            self.ts, self.temp, self.hum = row.ts, row.temperature_c, row.humidity_pct
        t, h = row.temperature_c, row.humidity_pct
        if t < self.t_min[0]:
            self.t_min = (t, row.ts)
        if t > self.t_max[0]:
            self.t_max = (t, row.ts)
        if h < self.h_min[0]:
            self.h_min = (h, row.ts)
        if h > self.h_max[0]:
            self.h_max = (h, row.ts)
        self.t_sum += t
        self.h_sum += h

    def card(self, unit: str) -> dict[str, str]:
        """The text of each card field, in ``unit`` (°C or °F) and %RH."""
        if not self.n:
            return {k: "–" for k in CARD_FIELDS}
        deg = f"°{unit}"

        def temp(value: float) -> str:
            return f"{to_unit(value, unit):.1f} {deg}"

        def when(ts: int) -> str:
            return local_time(ts).strftime("%H:%M:%S")

        return {
            "temp": temp(self.temp),
            "hum": f"{self.hum:.1f} %RH",
            "dew": temp(dew_point_c(self.temp, self.hum)),
            "t_min": temp(self.t_min[0]),
            "t_min_at": when(self.t_min[1]),
            "t_max": temp(self.t_max[0]),
            "t_max_at": when(self.t_max[1]),
            "t_avg": temp(self.t_sum / self.n),
            "h_min": f"{self.h_min[0]:.1f} %RH",
            "h_min_at": when(self.h_min[1]),
            "h_max": f"{self.h_max[0]:.1f} %RH",
            "h_max_at": when(self.h_max[1]),
            "h_avg": f"{self.h_sum / self.n:.1f} %RH",
            "at": when(self.ts),
        }


CARD_FIELDS = (
    "temp",
    "hum",
    "dew",
    "t_min",
    "t_min_at",
    "t_max",
    "t_max_at",
    "t_avg",
    "h_min",
    "h_min_at",
    "h_max",
    "h_max_at",
    "h_avg",
    "at",
)


# -- downsampling ------------------------------------------------------------------------


def minmax_indices(ts: np.ndarray, values: np.ndarray, start: float, width: float) -> np.ndarray:
    """Indices of the smallest and largest value in each ``width``-second bucket from
    ``start``, in time order: every extreme survives, so a spike is never smoothed away."""
    if len(ts) == 0:
        return np.empty(0, dtype=np.int64)
    buckets = np.floor((ts - start) / width).astype(np.int64)
    keep: list[int] = []
    edges = np.flatnonzero(np.diff(buckets)) + 1
    for lo, hi in zip(np.r_[0, edges], np.r_[edges, len(ts)], strict=True):
        segment = values[lo:hi]
        keep.extend({lo + int(np.argmin(segment)), lo + int(np.argmax(segment))})
    return np.array(sorted(keep), dtype=np.int64)


# -- what a push carries ------------------------------------------------------------------


@dataclass
class Series:
    x: list[str]
    y: list[float]


@dataclass
class StationSnapshot:
    station: str
    temperature: Series
    humidity: Series
    card: dict[str, str]
    offline: bool
    alerts: list[str]


@dataclass
class Snapshot:
    view: LiveView
    start: float
    end: float
    downsampled: bool
    stations: list[StationSnapshot]
    alerts: dict[str, Series]  # metric → markers on points beyond the thresholds
    cursor: int


@dataclass
class Delta:
    end: float
    cursor: int
    appends: dict[int, Series] = field(default_factory=dict)  # trace index → new points
    resets: dict[int, Series] = field(default_factory=dict)  # trace index → its whole new data
    cards: dict[tuple[str, str], str] = field(default_factory=dict)  # (station, field) → text
    status: dict[str, tuple[bool, list[str]]] = field(default_factory=dict)  # station → (offline, alerts)
    alerting: list[str] | None = None  # the banner's stations, when it changed
    rebuild: bool = False  # the downsampled tail is full: rebuild from the store instead


def trace_index(position: int, metric: str, chunk: int) -> int:
    """Figure layout: per station, temperature chunks 0/1 then humidity chunks 0/1; after
    the stations, the alert markers (temperature chunks 0/1, humidity chunks 0/1)."""
    return 4 * position + 2 * METRICS.index(metric) + chunk


@dataclass
class _Ring:
    """Two traces taking turns (see the module docstring)."""

    traces: tuple[int, int]
    bridge: bool  # lines: start a reused chunk at the last point, so the line is unbroken
    head: int = 1  # chunk 0 holds what the rebuild loaded
    head_len: int = 0
    head_first_ts: float = math.inf
    last: tuple[str, float] | None = None

    def add(self, delta: Delta, first_ts: int, points: Series, start: float) -> None:
        """Append ``points`` (measured from ``first_ts`` on) to the head chunk."""
        if not points.x:
            return
        if self.head_first_ts <= start:
            self.head = 1 - self.head
            self.head_len, self.head_first_ts = 0, math.inf
            seed = [self.last] if self.bridge and self.last else []
            delta.resets[self.traces[self.head]] = Series([p[0] for p in seed], [p[1] for p in seed])
            delta.appends.pop(self.traces[self.head], None)
        pending = delta.appends.setdefault(self.traces[self.head], Series([], []))
        pending.x.extend(points.x)
        pending.y.extend(points.y)
        self.head_len += len(points.x)
        self.head_first_ts = min(self.head_first_ts, first_ts)
        self.last = (points.x[-1], points.y[-1])


@dataclass
class _Track:
    """One station's state on one page."""

    position: int
    rings: dict[str, _Ring] = field(default_factory=dict)
    last_stored_ms: int | None = None
    rows: deque[Row] = field(default_factory=deque)  # raw views: the rows in the window
    stats: StationStats = field(default_factory=StationStats)
    card: dict[str, str] = field(default_factory=dict)
    offline: bool = False
    alerts: list[str] = field(default_factory=list)


class LiveSession:
    def __init__(self, view: LiveView, store: ReadingStore, *, period_s: float, offline_periods: int = 3) -> None:
        self.view = view
        self.store = store
        self.period_s = period_s
        self.offline_after_ms = offline_periods * period_s * 1000
        self.downsampled = view.range_s / period_s > RAW_MAX_POINTS
        self.cursor = 0
        self.end = 0.0
        self._tracks: dict[str, _Track] = {}
        self._alert_rings: dict[str, _Ring] = {}
        self._alerting: list[str] = []

    @property
    def start(self) -> float:
        return self.end - self.view.range_s

    def rebuild(self, now: float, max_id: int | None = None) -> Snapshot:
        """Everything the page shows at ``now`` (rows up to ``max_id``, default all),
        loaded from the store. Blocking: long ranges read many rows, so the stream
        runs this in a thread."""
        view = self.view
        self.end = now
        self.cursor = self.store.max_id() if max_id is None else max_id
        rows = self.store.window(view.stations, self.start, now, self.cursor)
        last_seen = self.store.last_stored_ms(view.stations)
        by_station: dict[str, list[Row]] = {s: [] for s in view.stations}
        for row in rows:
            by_station[row.station].append(row)
        n = len(view.stations)
        self._alert_rings = {m: _Ring((trace_index(n, m, 0), trace_index(n, m, 1)), bridge=False) for m in METRICS}
        alert_series = {m: Series([], []) for m in METRICS}
        out = []
        self._tracks = {}
        for position, station in enumerate(view.stations):
            station_rows = by_station[station]
            track = _Track(position, stats=StationStats.of(station_rows), last_stored_ms=last_seen.get(station))
            if not self.downsampled:
                track.rows.extend(station_rows)
            series = dict(zip(METRICS, self._series(station_rows), strict=True))
            for metric in METRICS:
                ring = _Ring((trace_index(position, metric, 0), trace_index(position, metric, 1)), bridge=True)
                if series[metric].x:
                    ring.last = (series[metric].x[-1], series[metric].y[-1])
                track.rings[metric] = ring
                for i in self._outside(metric, series[metric]):
                    alert_series[metric].x.append(series[metric].x[i])
                    alert_series[metric].y.append(series[metric].y[i])
            self._refresh_status(track, now)
            track.card = track.stats.card(view.unit)
            self._tracks[station] = track
            out.append(
                StationSnapshot(
                    station,
                    series["temperature"],
                    series["humidity"],
                    dict(track.card),
                    track.offline,
                    list(track.alerts),
                )
            )
        self._alerting = self._alert_list()
        return Snapshot(view, self.start, now, self.downsampled, out, alert_series, self.cursor)

    def _series(self, rows: Sequence[Row]) -> tuple[Series, Series]:
        """The points shown for one station: every reading, or min and max per bucket."""
        if not rows:
            return Series([], []), Series([], [])
        if not self.downsampled:
            points = _points(rows, self.view.unit)
            return points["temperature"], points["humidity"]
        width = self.view.range_s / MAX_BUCKETS
        ts = np.fromiter((r.ts for r in rows), float, len(rows))
        result = []
        for metric in METRICS:
            values = np.fromiter(
                (r.temperature_c if metric == "temperature" else r.humidity_pct for r in rows), float, len(rows)
            )
            keep = minmax_indices(ts, values, self.start, width)
            result.append(_points([rows[i] for i in keep], self.view.unit)[metric])
        return result[0], result[1]

    def _outside(self, metric: str, series: Series) -> list[int]:
        """Where ``series`` (shown values) is beyond the thresholds: alert markers."""
        unit = self.view.unit if metric == "temperature" else ""
        return [i for i, y in enumerate(series.y) if self.view.thresholds.outside(metric, from_unit(y, unit))]

    def advance(self, rows: Sequence[Row], now: float) -> Delta:
        """What the page needs after ``rows`` (stored since the cursor) at time ``now``."""
        self.end = now
        delta = Delta(end=now, cursor=max([self.cursor, *(r.id for r in rows)]))
        self.cursor = delta.cursor
        new: dict[str, list[Row]] = {}
        for row in rows:
            new.setdefault(row.station, []).append(row)
        for station, track in self._tracks.items():
            fresh = sorted(new.get(station, []), key=lambda r: r.ts)
            if fresh:
                self._append(track, fresh, delta)
            expired = self._expire(track)
            if fresh or expired:
                card = track.stats.card(self.view.unit)
                delta.cards.update({(station, k): v for k, v in card.items() if track.card.get(k) != v})
                track.card = card
            before = (track.offline, track.alerts)
            self._refresh_status(track, now)
            if (track.offline, track.alerts) != before:
                delta.status[station] = (track.offline, list(track.alerts))
        alerting = self._alert_list()
        if alerting != self._alerting:
            delta.alerting = self._alerting = alerting
        return delta

    def _append(self, track: _Track, fresh: list[Row], delta: Delta) -> None:
        for row in fresh:
            track.stats.add(row)
            track.last_stored_ms = max(track.last_stored_ms or 0, row.stored_ms)
        if not self.downsampled:
            track.rows.extend(fresh)
        elif track.rings["temperature"].head_len + len(fresh) > TAIL_MAX:
            delta.rebuild = True
        for metric, points in _points(fresh, self.view.unit).items():
            track.rings[metric].add(delta, fresh[0].ts, points, self.start)
            marked = self._outside(metric, points)
            if marked:
                alerts = Series([points.x[i] for i in marked], [points.y[i] for i in marked])
                self._alert_rings[metric].add(delta, fresh[marked[0]].ts, alerts, self.start)

    def _expire(self, track: _Track) -> bool:
        """Raw views: drop rows that left the window and recompute the stats exactly."""
        if self.downsampled or not track.rows or track.rows[0].ts >= self.start:
            return False
        while track.rows and track.rows[0].ts < self.start:
            track.rows.popleft()
        track.stats = StationStats.of(track.rows)
        return True

    def _refresh_status(self, track: _Track, now: float) -> None:
        seen = track.last_stored_ms
        track.offline = seen is None or now * 1000 - seen > self.offline_after_ms
        stats = track.stats
        track.alerts = [] if not stats.n or track.offline else self.view.thresholds.breaches(stats.temp, stats.hum)

    def _alert_list(self) -> list[str]:
        return [s for s, t in self._tracks.items() if t.alerts]


def _points(rows: Sequence[Row], unit: str) -> dict[str, Series]:
    """Rows as (x, shown value) points of each metric; the x strings are made once."""
    xs = [x_value(r.ts) for r in rows]
    return {
        "temperature": Series(xs, [to_unit(r.temperature_c, unit) for r in rows]),
        "humidity": Series(list(xs), [r.humidity_pct for r in rows]),
    }
