"""One station's numbers over the shown range: the current value, min / max (with when)
and mean of each metric, and the text of each card field."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.live.store import Row
from services.live.view import dew_point_c, local_time, to_unit


@dataclass
class MetricStats:
    """One metric's current value, count, sum and extremes (with when) over the range."""

    n: int = 0
    last: float = math.nan
    total: float = 0.0
    low: tuple[float, int] = (math.inf, 0)
    high: tuple[float, int] = (-math.inf, 0)

    def add(self, value: float, ts: int, latest: bool) -> None:
        if latest:
            self.last = value
        self.n += 1
        self.total += value
        if value < self.low[0]:
            self.low = (value, ts)
        if value > self.high[0]:
            self.high = (value, ts)


@dataclass
class StationStats:
    """Current value and min / max (with when) / mean over the shown range; a sensor may
    send one metric at a time, so each metric keeps its own numbers."""

    n: int = 0
    ts: int = 0
    t: MetricStats = field(default_factory=MetricStats)
    h: MetricStats = field(default_factory=MetricStats)

    @property
    def temp(self) -> float:
        return self.t.last

    @property
    def hum(self) -> float:
        return self.h.last

    @classmethod
    def of(cls, rows: Iterable[Row]) -> StationStats:
        stats = cls()
        for row in rows:
            stats.add(row)
        return stats

    def add(self, row: Row) -> None:
        self.n += 1
        latest = row.ts >= self.ts
        if latest:
            self.ts = row.ts
        if row.temperature_c is not None:
            self.t.add(row.temperature_c, row.ts, latest)
        if row.humidity_pct is not None:
            self.h.add(row.humidity_pct, row.ts, latest)

    def card(self, unit: str) -> dict[str, str]:
        """The text of each card field, in ``unit`` (°C or °F) and %RH; "–" for what is missing."""
        out = {k: "–" for k in CARD_FIELDS}
        if not self.n:
            return out
        deg = f"°{unit}"

        def temp(value: float) -> str:
            return f"{to_unit(value, unit):.1f} {deg}"

        def hum(value: float) -> str:
            return f"{value:.1f} %RH"

        def when(ts: int) -> str:
            return local_time(ts).strftime("%H:%M:%S")

        out["at"] = when(self.ts)
        for prefix, now_key, metric, shown in (("t", "temp", self.t, temp), ("h", "hum", self.h, hum)):
            if metric.n:
                out |= {
                    now_key: shown(metric.last),
                    f"{prefix}_min": shown(metric.low[0]),
                    f"{prefix}_min_at": when(metric.low[1]),
                    f"{prefix}_max": shown(metric.high[0]),
                    f"{prefix}_max_at": when(metric.high[1]),
                    f"{prefix}_avg": shown(metric.total / metric.n),
                }
        if self.t.n and self.h.n:
            out["dew"] = temp(dew_point_c(self.temp, self.hum))
        return out


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
