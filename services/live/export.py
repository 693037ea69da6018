"""The Live page's CSV export: the shown window's readings, in the shown unit."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

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
