"""Long ranges on a Live page: which numbers a window is drawn from (``plan``) and the
picture they make (``history_snapshot``: a min–max band and a mean line per station and
metric, and the cards over the range), read from the statistics, never from the raw rows.

The choice: a window of up to ``RAW_SPAN_S`` whose raw rows are still kept shows the raw
readings (the live stream, thinned by MinMaxLTTB past ``session.RAW_MAX_POINTS``); a longer
one shows buckets, at most ``MAX_POINTS`` per station and metric and ``FIGURE_POINTS`` in
the figure: 5-minute statistics while they are kept and a week at most, hourly ones beyond,
merged into wider buckets when even those would be too many (1 year: 5 hours; 7 days of
50 stations: hourly).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from services.live.rollups import FIVE_MINUTE_DAYS, FIVE_MINUTES, HOUR, Bucket
from services.live.session import Series, StationSnapshot
from services.live.stats import CARD_FIELDS
from services.live.store import ReadingStore, Row
from services.live.view import METRICS, LiveView, dew_point_c, local_time, to_unit

RAW_SPAN_S = 2 * 3600  # the longest window drawn from raw readings
MAX_POINTS = 7 * 86_400 // FIVE_MINUTES  # per station and metric: 2,016, a week of 5-minute buckets
# A figure holds at most this many buckets in all (6 stations at MAX_POINTS; 50: 240 each), so
# what the browser is sent and draws stays about the same however many stations are shown:
# 50 stations' overlapping bands at 240 points each still have more points than a phone has
# pixels across, and draw in a quarter of the time 806 each took.
FIGURE_POINTS = 12_000
WHEN = "%m-%d %H:%M"  # a card's "when" on a long range: the start of the bucket it happened in


@dataclass(frozen=True)
class Plan:
    """What a window is drawn from: raw readings (``resolution`` None) or the ``resolution``
    statistics merged into ``bucket_s``-second points."""

    start: float
    end: float
    resolution: int | None = None
    bucket_s: int = 0

    @property
    def raw(self) -> bool:
        return self.resolution is None


def plan(view: LiveView, end: float, now: float, raw_kept_s: float) -> Plan:
    """The plan of ``view``'s window ending at ``end`` (its own end if it is fixed), seen at
    ``now`` by a store keeping raw rows for ``raw_kept_s``."""
    if view.window is None and view.range_s <= RAW_SPAN_S:
        return Plan(end - view.range_s, end)  # the live stream's own ranges
    start, end = view.window or (end - view.range_s, end)
    return plan_window(start, end, now, raw_kept_s, len(view.stations))


def plan_window(start: float, end: float, now: float, raw_kept_s: float, stations: int = 1) -> Plan:
    span = end - start
    if span <= RAW_SPAN_S and start >= now - raw_kept_s:
        return Plan(start, end)
    points = min(MAX_POINTS, FIGURE_POINTS // max(1, stations))
    five_kept = start >= now - FIVE_MINUTE_DAYS * 86_400
    # Past half an hour a point, hourly statistics: at most twice as coarse, 12 times fewer rows read.
    base = FIVE_MINUTES if five_kept and span <= MAX_POINTS * FIVE_MINUTES and span / points <= HOUR / 2 else HOUR
    return Plan(start, end, base, base * max(1, math.ceil(span / points / base)))


def daily_resolution(start: float, now: float) -> int:
    """The statistics a per-day table of a window from ``start`` is made of."""
    return FIVE_MINUTES if start >= now - FIVE_MINUTE_DAYS * 86_400 else HOUR


def read_buckets(store: ReadingStore, stations: Sequence[str], p: Plan, *, raw: bool = False) -> list[Bucket]:
    """The plan's buckets (``raw``: recomputed from the raw rows, to compare)."""
    assert p.resolution is not None
    first = p.start - p.start % p.bucket_s  # the bucket the window starts in
    return store.rollups_grouped(stations, p.resolution, p.bucket_s, first, p.end, raw=raw)


# -- the picture ---------------------------------------------------------------------------


def wall_ms(ts: float) -> float:
    """A bucket's start as the number a Plotly date axis shows as local wall time (the axis
    reads milliseconds as UTC): 8 bytes a point instead of a 19-character date."""
    offset = local_time(ts).utcoffset()
    return (ts + (offset.total_seconds() if offset else 0.0)) * 1000


@dataclass
class Band:
    """One station's metric: per bucket, its start (``wall_ms``), min, mean and max."""

    x: np.ndarray
    low: np.ndarray
    mean: np.ndarray
    high: np.ndarray


@dataclass
class HistorySnapshot:
    view: LiveView
    plan: Plan
    stations: list[StationSnapshot]
    bands: dict[tuple[str, str], Band] = field(default_factory=dict)  # (station, metric) → band

    @property
    def start(self) -> float:
        return self.plan.start

    @property
    def end(self) -> float:
        return self.plan.end


@dataclass(frozen=True)
class Presence:
    """What the cards need to say offline: when each station last reported, how long its
    silence may last, and the sensors their source says are offline."""

    now: float
    after_s: dict[str, float]
    unavailable: frozenset[str] = frozenset()


def history_snapshot(
    store: ReadingStore, view: LiveView, p: Plan, presence: Presence, *, raw: bool = False
) -> HistorySnapshot:
    """The bands and cards of ``view`` over the plan's window. Blocking: run it in a thread."""
    buckets = read_buckets(store, view.stations, p, raw=raw)
    by_station: dict[str, list[Bucket]] = {s: [] for s in view.stations}
    for b in buckets:
        by_station[b.station].append(b)
    labels = {start: wall_ms(start) for start in {b.start for b in buckets}}  # stations share the buckets
    snap = HistorySnapshot(view, p, [])
    for station in view.stations:
        rows = by_station[station]
        for metric in METRICS:
            snap.bands[(station, metric)] = _band(rows, metric, view.unit, labels)
        latest = store.latest(station)
        card = _card(rows, latest, view.unit)
        seen = latest.stored_ms if latest else None  # its newest reading (kept by the store: one row read)
        offline = (
            station in presence.unavailable
            or seen is None
            or presence.now * 1000 - seen > presence.after_s.get(station, math.inf) * 1000
        )
        alerts = [] if offline or latest is None else _breaches(view, latest)
        snap.stations.append(StationSnapshot(station, Series([], []), Series([], []), card, offline, alerts))
    return snap


def _band(rows: list[Bucket], metric: str, unit: str, labels: dict[int, float]) -> Band:
    have = [b for b in rows if (b.t_n if metric == "temperature" else b.h_n)]
    offset = 2 if metric == "temperature" else 6  # Bucket: station, start, t_n, t_mean, t_min, t_max, h_n, …
    values = np.array([(b[offset + 2], b[offset + 1], b[offset + 3]) for b in have], dtype=float).reshape(-1, 3)
    if metric == "temperature" and unit == "F":
        values = np.round(values * 9 / 5 + 32, 2)
    x = np.fromiter((labels[b.start] for b in have), float, len(have))
    shown = values.astype(np.float32)  # 7 digits: more than a sensor's; half the bytes sent
    return Band(x, shown[:, 0], shown[:, 1], shown[:, 2])


def _card(rows: list[Bucket], latest: Row | None, unit: str) -> dict[str, str]:
    """The card over the range: the newest reading now, min / max (in which bucket) and the
    mean of every reading, from the buckets."""
    out = dict.fromkeys(CARD_FIELDS, "–")
    deg = f"°{unit}"
    shown = {"t": lambda v: f"{to_unit(v, unit):.1f} {deg}", "h": lambda v: f"{v:.1f} %RH"}
    if latest is not None:
        out["at"] = local_time(latest.ts).strftime(WHEN)
        if latest.temperature_c is not None:
            out["temp"] = shown["t"](latest.temperature_c)
        if latest.humidity_pct is not None:
            out["hum"] = shown["h"](latest.humidity_pct)
        if latest.temperature_c is not None and latest.humidity_pct is not None:
            out["dew"] = shown["t"](dew_point_c(latest.temperature_c, latest.humidity_pct))
    for prefix in ("t", "h"):
        have = [(b.start, *m) for b in rows if (m := _numbers(b, prefix))[0]]
        if not have:
            continue
        n = sum(h[1] for h in have)
        low = min(have, key=lambda h: h[3])
        high = max(have, key=lambda h: h[4])
        out |= {
            f"{prefix}_min": shown[prefix](low[3]),
            f"{prefix}_min_at": local_time(low[0]).strftime(WHEN),
            f"{prefix}_max": shown[prefix](high[4]),
            f"{prefix}_max_at": local_time(high[0]).strftime(WHEN),
            f"{prefix}_avg": shown[prefix](sum(h[1] * h[2] for h in have) / n),
        }
    return out


def _numbers(b: Bucket, prefix: str) -> tuple[int, float, float, float]:
    """(count, mean, min, max) of one metric of a bucket (zeros when it has none)."""
    n, mean, low, high = (b.t_n, b.t_mean, b.t_min, b.t_max) if prefix == "t" else (b.h_n, b.h_mean, b.h_min, b.h_max)
    return (n, mean or 0.0, low or 0.0, high or 0.0) if n else (0, 0.0, 0.0, 0.0)


def _breaches(view: LiveView, latest: Row) -> list[str]:
    """Which limits the station's newest reading passes (as the live cards say)."""
    if latest.temperature_c is None or latest.humidity_pct is None:
        return []
    return view.thresholds.breaches(latest.temperature_c, latest.humidity_pct)
