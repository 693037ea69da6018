"""The Live page's CSV export: the shown window's readings, in the shown unit, or on a long
range the statistics it shows, saying their resolution."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from services.live.rollups import Bucket
from services.live.store import Row
from services.live.view import dew_point_c, local_time, to_unit


def csv_text(rows: Sequence[Row], unit: str, stations: dict[str, Any]) -> str:
    """Rows as CSV: ISO-8601 local times with their UTC offset, values in ``unit``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["time", "station", "name", f"temperature_{unit.lower()}", "humidity_pct", f"dew_point_{unit.lower()}"]
    )
    for r in sorted(rows, key=lambda r: (r.ts, r.station)):
        station = stations.get(r.station)
        writer.writerow(
            [
                local_time(r.ts).isoformat(),
                r.station,
                station.name_en if station else r.station,
                "" if r.temperature_c is None else f"{to_unit(r.temperature_c, unit):.2f}",
                "" if r.humidity_pct is None else f"{r.humidity_pct:.2f}",
                _dew(r.temperature_c, r.humidity_pct, unit),
            ]
        )
    return out.getvalue()


def _dew(temp_c: float | None, hum_pct: float | None, unit: str) -> str:
    """Blank when a sensor sent one metric only."""
    if temp_c is None or hum_pct is None:
        return ""
    return f"{to_unit(dew_point_c(temp_c, hum_pct), unit):.2f}"


def resolution_name(bucket_s: int) -> str:
    """How a CSV names what one of its rows stands for: 5min, 1h, 5h."""
    return f"{bucket_s // 60}min" if bucket_s < 3600 else f"{bucket_s // 3600}h"


def buckets_csv(buckets: Sequence[Bucket], bucket_s: int, unit: str, stations: dict[str, Any]) -> str:
    """Statistics as CSV: per bucket (its start, local ISO 8601) and station, min / mean / max
    of each metric and how many readings made them; every row says its resolution."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    deg = unit.lower()
    writer.writerow(["time", "resolution", "station", "name",
                     f"temperature_{deg}_min", f"temperature_{deg}_mean", f"temperature_{deg}_max", "temperature_n",
                     "humidity_min", "humidity_mean", "humidity_max", "humidity_n"])  # fmt: skip
    resolution = resolution_name(bucket_s)

    def number(value: float | None, temperature: bool = False) -> str:
        return "" if value is None else f"{to_unit(value, unit) if temperature else value:.2f}"

    for b in sorted(buckets, key=lambda b: (b.start, b.station)):
        station = stations.get(b.station)
        writer.writerow(
            [local_time(b.start).isoformat(), resolution, b.station, station.name_en if station else b.station,
             number(b.t_min, True), number(b.t_mean, True), number(b.t_max, True), b.t_n,
             number(b.h_min), number(b.h_mean), number(b.h_max), b.h_n]
        )  # fmt: skip
    return out.getvalue()
