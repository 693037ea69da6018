"""What one Live page shows, and what changes from one push to the next (no Dash here).

A ``LiveSession`` belongs to one browser page's stream. ``rebuild`` loads the shown
window from the store; ``advance`` takes the rows stored since and returns a
``Delta``: the points to append, card fields that changed, stations that went
offline or came back, the alert list. The Dash side turns a snapshot into a figure
and a delta into a small ``Patch``.

Lines by colour, not by station: a browser redraws the whole figure at every update, and
its cost grows with the number of traces far more than with points (204 traces: 95 ms a
redraw; the same points in 4: 28 ms). So the stations share ``LINE_GROUPS`` colours; a
group's line is one trace holding its stations' lines, separated by gaps, each point naming
its station (``text``). Up to ``LINE_GROUPS`` stations, each has a trace of its own.

Bounding the window without deleting points one by one: a group's line (and a metric's
alert markers) is one trace, in which each station keeps one run; its new points go in at
the end of it. Every ``REFILL`` of a window, a trace is filled anew with what the window
shows: one assignment instead of a delete per point, so a trace holds one to 1.5 windows.
The traces take their turns over that time, so no push carries the whole window (236 kB
at 50 stations), and a fill makes the points of the stations it shows only. (Two traces
taking turns cost the browser more: 40 at 50 stations, a redraw 38 ms against 29.) A
downsampled view (1 h) takes raw readings until a station has ``TAIL_MAX`` new points or
what was loaded has left the window; then the page is rebuilt from the store.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from services.live.downsample import downsample_indices
from services.live.stats import StationStats
from services.live.store import ReadingStore, Row
from services.live.view import METRICS, LiveView, from_unit, to_unit, x_value

MAX_POINTS = 600  # a downsampled trace: at most this many points, its two extremes included
RAW_MAX_POINTS = 600  # a view expecting more readings per station than this is downsampled
TAIL_MAX = 300  # raw points appended to a downsampled view before it is rebuilt
LINE_GROUPS = 9  # colours, so line traces per metric: the palette's first 9
REFILL = 0.5  # of the window: how often a raw view's trace is filled anew


# -- what a push carries ------------------------------------------------------------------


@dataclass
class Series:
    x: list[str | None]
    y: list[float | None]
    text: list[str | None] = field(default_factory=list)  # lines: each point's station (None: a gap)


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
    inserts: dict[int, list[tuple[int, Series]]] = field(default_factory=dict)  # trace → (where, points), in order
    resets: dict[int, Series] = field(default_factory=dict)  # trace index → its whole new data
    cards: dict[tuple[str, str], str] = field(default_factory=dict)  # (station, field) → text
    status: dict[str, tuple[bool, list[str]]] = field(default_factory=dict)  # station → (offline, alerts)
    alerting: dict[str, list[str]] | None = None  # the banner's stations and their breaches, when changed
    rebuild: bool = False  # rebuild from the store instead (a late reading; a downsampled view run out)


def groups(stations: int) -> int:
    """How many line groups (colours) ``stations`` stations are drawn in."""
    return min(stations, LINE_GROUPS)


def shared_lines(stations: int) -> bool:
    """Whether some of ``stations`` stations share a line group (so no legend names them)."""
    return stations > groups(stations)


def group_of(position: int, stations: int) -> int:
    """The line group (colour) of the station at ``position`` among ``stations``."""
    return position % groups(stations)


def group_members(group: int, stations: int) -> range:
    """The positions of the stations in line group ``group`` (those ``group_of`` puts there)."""
    return range(group, stations, groups(stations))


def trace_index(group: int, metric: str) -> int:
    """Figure layout: per line group, temperature then humidity; then the alert markers in that order."""
    return 2 * group + METRICS.index(metric)


@dataclass
class _Held:
    """What one trace holds (see the module docstring). In a group's line each station has
    one run: its new points go in at the end of it, as a browser draws a trace of many short
    runs far slower (1,450 runs: a redraw 97 ms, not 60)."""

    trace: int
    lines: bool  # a group's lines (a run per station) rather than alert markers
    filled: float  # its turn in the rota: filled anew once this is ``REFILL`` of a window ago
    runs: dict[str, int] = field(default_factory=dict)  # its runs in order: station → entries (its gap first)

    def fill(self, delta: Delta, line: Series, runs: dict[str, int], due: float, every: float) -> None:
        """Replace what the trace holds with ``line`` (its runs: ``runs``), before any ``add``;
        its next turn keeps its place (every ``every`` s), so turns taken late together part."""
        delta.resets[self.trace] = line
        self.runs = runs
        self.filled += every * math.ceil((due - self.filled) / every)

    def add(self, delta: Delta, points: Series, station: str = "") -> None:
        """Add ``points``; a line's at the end of ``station``'s run."""
        if not points.x:
            return
        n = len(points.x)
        if self.lines and station in self.runs and station != next(reversed(self.runs)):
            at = 0
            for other, size in self.runs.items():  # the end of its run
                at += size
                if other == station:
                    break
            delta.inserts.setdefault(self.trace, []).append((at, Series(points.x, points.y, [station] * n)))
            self.runs[station] += n
            return
        pending = delta.appends.setdefault(self.trace, Series([], []))
        if self.lines and station not in self.runs:  # its run starts after a gap
            self.runs[station] = 0
            if len(self.runs) > 1:
                pending.x.append(None)
                pending.y.append(None)
                pending.text.append(None)
                self.runs[station] = 1
        pending.x.extend(points.x)
        pending.y.extend(points.y)
        if self.lines:
            pending.text.extend([station] * n)
            self.runs[station] += n


def line_of(runs: list[tuple[str, Series]]) -> tuple[Series, dict[str, int]]:
    """A group's line from its stations' points, in order: their runs one after another, a
    gap between, each point named by its station's id; and the entries of each run."""
    line, sizes = Series([], [], []), {}
    for station, series in runs:
        if not series.x:
            continue
        gap = 1 if line.x else 0
        if gap:
            line.x.append(None)
            line.y.append(None)
            line.text.append(None)
        line.x.extend(series.x)
        line.y.extend(series.y)
        line.text.extend([station] * len(series.x))
        sizes[station] = gap + len(series.x)
    return line, sizes


@dataclass
class _Track:
    """One station's state on one page."""

    group: int
    appended: int = 0  # raw readings appended since the rebuild
    last_stored_ms: int | None = None
    rows: deque[Row] = field(default_factory=deque)  # raw views: the rows in the window
    stats: StationStats = field(default_factory=StationStats)
    card: dict[str, str] = field(default_factory=dict)
    offline: bool = False
    alerts: list[str] = field(default_factory=list)


class LiveSession:
    def __init__(
        self,
        view: LiveView,
        store: ReadingStore,
        *,
        period_s: float,
        offline_periods: int = 3,
        periods: dict[str, float] | None = None,
    ) -> None:
        self.view = view
        self.store = store
        self.period_s = period_s
        self.offline_periods = offline_periods
        self.periods = periods or {}  # a sensor's own reporting period, when longer than the collector's
        self.unavailable: set[str] = set()  # sensors their source says are offline
        self.downsampled = view.range_s / period_s > RAW_MAX_POINTS
        self.thinned = False  # the last rebuild left points out (a downsampled view with many readings)
        self.cursor = 0
        self.end = 0.0
        self._tracks: dict[str, _Track] = {}
        self._lines: dict[tuple[int, str], _Held] = {}  # (line group, metric) → its trace
        self._marks: dict[str, _Held] = {}  # metric → its alert markers' trace
        self._alerting: dict[str, list[str]] = {}

    @property
    def start(self) -> float:
        return self.end - self.view.range_s

    def rebuild(self, now: float, max_id: int | None = None) -> Snapshot:
        """Everything the page shows at ``now`` (rows up to ``max_id``, default all),
        loaded from the store. Blocking: long ranges read many rows, so the stream
        runs this in a thread."""
        view = self.view
        self.end, self.thinned = now, False
        self.cursor = self.store.max_id() if max_id is None else max_id
        rows = self.store.window(view.stations, self.start, now, self.cursor)
        last_seen = self.store.last_stored_ms(view.stations)
        by_station: dict[str, list[Row]] = {s: [] for s in view.stations}
        for row in rows:
            by_station[row.station].append(row)
        n = groups(len(view.stations))
        members: dict[tuple[int, str], list[tuple[str, Series]]] = {(g, m): [] for g in range(n) for m in METRICS}
        alert_series = {m: Series([], []) for m in METRICS}
        out = []
        self._tracks = {}
        for position, station in enumerate(view.stations):
            station_rows = by_station[station]
            group = group_of(position, len(view.stations))
            track = _Track(group, stats=StationStats.of(station_rows), last_stored_ms=last_seen.get(station))
            if not self.downsampled:
                track.rows.extend(station_rows)
            series = dict(zip(METRICS, self._series(station_rows), strict=True))
            for metric in METRICS:
                members[(group, metric)].append((station, series[metric]))
                marked = self._marked(metric, series[metric])
                alert_series[metric].x.extend(marked.x)
                alert_series[metric].y.extend(marked.y)
            self._refresh_status(station, track, now)
            track.card = track.stats.card(view.unit)
            self._tracks[station] = track
            shown = (series["temperature"], series["humidity"], dict(track.card), track.offline, list(track.alerts))
            out.append(StationSnapshot(station, *shown))
        self._lines = {key: _Held(trace_index(*key), True, now, line_of(runs)[1]) for key, runs in members.items()}
        self._marks = {m: _Held(trace_index(n, m), False, now) for m in METRICS}
        turn = 0.0 if self.downsampled else view.range_s * REFILL / (2 * n + 2)
        for held in (*self._lines.values(), *self._marks.values()):
            held.filled -= turn * held.trace  # their turns spread over the traces
        self._alerting = self._alert_list()
        return Snapshot(view, self.start, now, self.downsampled, out, alert_series, self.cursor)

    def _series(self, rows: Sequence[Row]) -> tuple[Series, Series]:
        """The points shown for one station: every reading, or min and max per bucket."""
        if not rows:
            return Series([], []), Series([], [])
        if not self.downsampled:
            points = _points(rows, self.view.unit)
            return points["temperature"], points["humidity"]
        result = []
        for metric in METRICS:
            have = [r for r in rows if _value(r, metric) is not None]
            ts = np.fromiter((r.ts for r in have), float, len(have))
            values = np.fromiter((_value(r, metric) for r in have), float, len(have))
            keep = downsample_indices(ts, values, MAX_POINTS - 2)  # room for the two extremes
            self.thinned |= len(keep) < len(have)
            result.append(_points([have[i] for i in keep], self.view.unit)[metric])
        return result[0], result[1]

    def advance(self, rows: Sequence[Row], now: float) -> Delta:
        """What the page needs after ``rows`` (stored since the cursor) at time ``now``."""
        self.end = now
        delta = Delta(end=now, cursor=max([self.cursor, *(r.id for r in rows)]))
        self.cursor = delta.cursor
        self._refill(delta)
        new: dict[str, list[Row]] = {}
        for row in rows:
            new.setdefault(row.station, []).append(row)
        for station, track in self._tracks.items():
            # A late reading (older than one shown) is in the store, in time order; the
            # page shows it from its next rebuild, not as a line drawn back in time. The
            # missing half of the newest reading (the store joined it) is a rebuild too.
            if any(r.ts == track.stats.ts for r in new.get(station, ())):
                delta.rebuild = True
            fresh = sorted((r for r in new.get(station, []) if r.ts > track.stats.ts), key=lambda r: r.ts)
            if fresh:
                self._append(station, track, fresh, delta)
            expired = self._expire(track)
            if fresh or expired:
                card = track.stats.card(self.view.unit)
                delta.cards.update({(station, k): v for k, v in card.items() if track.card.get(k) != v})
                track.card = card
            before = (track.offline, track.alerts)
            self._refresh_status(station, track, now)
            if (track.offline, track.alerts) != before:
                delta.status[station] = (track.offline, list(track.alerts))
        alerting = self._alert_list()
        if alerting != self._alerting:
            delta.alerting = self._alerting = alerting
        return delta

    def _append(self, station: str, track: _Track, fresh: list[Row], delta: Delta) -> None:
        for row in fresh:
            track.stats.add(row)
            track.last_stored_ms = max(track.last_stored_ms or 0, row.stored_ms)
        if not self.downsampled:
            track.rows.extend(fresh)
        elif track.appended + len(fresh) > TAIL_MAX:
            delta.rebuild = True
        track.appended += len(fresh)
        for metric, points in _points(fresh, self.view.unit).items():
            self._lines[(track.group, metric)].add(delta, points, station)
            self._marks[metric].add(delta, self._marked(metric, points))

    def _marked(self, metric: str, points: Series) -> Series:
        """The alert markers on ``points`` (shown values): those beyond the thresholds."""
        unit, limits = self.view.unit if metric == "temperature" else "", self.view.thresholds
        marked = [i for i, y in enumerate(points.y) if y is not None and limits.outside(metric, from_unit(y, unit))]
        return Series([points.x[i] for i in marked], [points.y[i] for i in marked])

    def _refill(self, delta: Delta) -> None:
        """Fill anew each trace whose turn it is, from the rows in the window; a downsampled
        view, which keeps no rows, is rebuilt once what it loaded has left the window."""
        every = self.view.range_s * REFILL
        due = self.start if self.downsampled else self.end - every
        if all(held.filled >= due for held in (*self._lines.values(), *self._marks.values())):
            return
        if self.downsampled:
            delta.rebuild = True
            return
        shown: dict[str, dict[str, Series]] = {}

        def points(s: str) -> dict[str, Series]:  # a station's points, made once a fill needs them
            if s not in shown:
                shown[s] = _points([r for r in self._tracks[s].rows if r.ts >= self.start], self.view.unit)
            return shown[s]

        for (group, metric), held in self._lines.items():
            if held.filled < due:
                runs = [(s, points(s)[metric]) for s, t in self._tracks.items() if t.group == group]
                held.fill(delta, *line_of(runs), due, every)
        for metric, held in self._marks.items():
            if held.filled < due:
                limited = self.view.thresholds.limits(metric) != (None, None)  # else no station has a marker
                marks = [self._marked(metric, points(s)[metric]) for s in self._tracks] if limited else []
                marked = Series([x for m in marks for x in m.x], [y for m in marks for y in m.y])
                held.fill(delta, marked, {}, due, every)

    def _expire(self, track: _Track) -> bool:
        """Raw views: drop rows that left the window and recompute the stats exactly."""
        if self.downsampled or not track.rows or track.rows[0].ts >= self.start:
            return False
        while track.rows and track.rows[0].ts < self.start:
            track.rows.popleft()
        track.stats = StationStats.of(track.rows)
        return True

    def _refresh_status(self, station: str, track: _Track, now: float) -> None:
        """Offline: its source says so, or silent for ``offline_periods`` of its own period."""
        seen = track.last_stored_ms
        after_ms = self.offline_periods * max(self.period_s, self.periods.get(station, 0.0)) * 1000
        track.offline = station in self.unavailable or seen is None or now * 1000 - seen > after_ms
        stats = track.stats
        track.alerts = [] if not stats.n or track.offline else self.view.thresholds.breaches(stats.temp, stats.hum)

    def _alert_list(self) -> dict[str, list[str]]:
        return {s: list(t.alerts) for s, t in self._tracks.items() if t.alerts}


def _value(row: Row, metric: str) -> float | None:
    return row.temperature_c if metric == "temperature" else row.humidity_pct


def _points(rows: Sequence[Row], unit: str) -> dict[str, Series]:
    """Rows as (x, shown value) points of each metric (a missing metric has no point);
    the x strings are made once."""
    xs = [x_value(r.ts) for r in rows]
    temp, hum = Series([], []), Series([], [])
    for x, r in zip(xs, rows, strict=True):
        if r.temperature_c is not None:
            temp.x.append(x)
            temp.y.append(to_unit(r.temperature_c, unit))
        if r.humidity_pct is not None:
            hum.x.append(x)
            hum.y.append(r.humidity_pct)
    return {"temperature": temp, "humidity": hum}
