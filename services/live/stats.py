"""One station's numbers over the shown range: the current value, min / max (with when)
and mean of each metric, and the text of each card field."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from services.live.store import Row
from services.live.view import dew_point_c, local_time, to_unit


@dataclass
class StationStats:
    """Current value and min / max (with when) / mean over the shown range; a sensor may
    send one metric at a time, so each metric keeps its own count."""

    n: int = 0
    ts: int = 0
    temp: float = math.nan
    hum: float = math.nan
    t_n: int = 0
    h_n: int = 0
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
        t, h = row.temperature_c, row.humidity_pct
        latest = row.ts >= self.ts
        if latest:
            self.ts = row.ts
        if t is not None:
            self.temp = t if latest else self.temp
            self.t_n += 1
            self.t_sum += t
            self.t_min = min(self.t_min, (t, row.ts), key=lambda p: p[0])
            self.t_max = (t, row.ts) if t > self.t_max[0] else self.t_max
        if h is not None:
            self.hum = h if latest else self.hum
            self.h_n += 1
            self.h_sum += h
            self.h_min = min(self.h_min, (h, row.ts), key=lambda p: p[0])
            self.h_max = (h, row.ts) if h > self.h_max[0] else self.h_max

    def card(self, unit: str) -> dict[str, str]:
        """The text of each card field, in ``unit`` (°C or °F) and %RH; "–" for what is missing."""
        out = {k: "–" for k in CARD_FIELDS}
        if not self.n:
            return out
        deg = f"°{unit}"

        def temp(value: float) -> str:
            return f"{to_unit(value, unit):.1f} {deg}"

        def when(ts: int) -> str:
            return local_time(ts).strftime("%H:%M:%S")

        out["at"] = when(self.ts)
        if self.t_n:
            out |= {
                "temp": temp(self.temp),
                "t_min": temp(self.t_min[0]),
                "t_min_at": when(self.t_min[1]),
                "t_max": temp(self.t_max[0]),
                "t_max_at": when(self.t_max[1]),
                "t_avg": temp(self.t_sum / self.t_n),
            }
        if self.h_n:
            out |= {
                "hum": f"{self.hum:.1f} %RH",
                "h_min": f"{self.h_min[0]:.1f} %RH",
                "h_min_at": when(self.h_min[1]),
                "h_max": f"{self.h_max[0]:.1f} %RH",
                "h_max_at": when(self.h_max[1]),
                "h_avg": f"{self.h_sum / self.h_n:.1f} %RH",
            }
        if self.t_n and self.h_n:
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
