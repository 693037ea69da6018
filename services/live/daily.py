"""The table under a long range: per sensor and local day, min / mean / max of each metric
with when the min and max happened, from the statistics (a pandas DataFrame: the page's
table and its CSV are both made of it).

Precision: a day's mean is exact (sums and counts add up); its min and max are exact
values, and their time is the start of the bucket they were read in — 5 minutes while
5-minute statistics are kept, the hour beyond. Days are local, so a day with a clock
change has its 23 or 25 hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import pandas as pd

from services.live.rollups import Bucket
from services.live.view import local_time

MAX_SHOWN_ROWS = 400  # the page shows the newest days up to this many rows; the CSV has them all
CHUNK_DAYS = 31  # a long range is read this many local days at a time (1 y of 50 sensors' hours: 12 reads)
METRIC_COLUMNS = {"t": ("t_n", "t_mean", "t_min", "t_max"), "h": ("h_n", "h_mean", "h_min", "h_max")}
COLUMNS = ["day", "station", "name", "t_min", "t_min_at", "t_mean", "t_max", "t_max_at",
           "h_min", "h_min_at", "h_mean", "h_max", "h_max_at"]  # fmt: skip


def daily_frame(buckets: Sequence[Bucket], names: Mapping[str, str], unit: str = "C") -> pd.DataFrame:
    """One row per (local day, station), newest day first, then by station; temperatures in
    ``unit``; the times of min and max in Unix seconds (the start of their bucket)."""
    if not buckets:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.DataFrame(buckets, columns=list(Bucket._fields))
    starts = frame["start"].unique()
    days = {s: local_time(s).date().isoformat() for s in starts.tolist()}  # local: DST days are 23 or 25 h
    frame["day"] = frame["start"].map(days)
    parts = [_metric(frame, prefix) for prefix in METRIC_COLUMNS]
    out = parts[0].join(parts[1], how="outer").reset_index()
    out.insert(2, "name", out["station"].map(lambda s: names.get(s, s)))
    if unit == "F":
        for column in ("t_min", "t_mean", "t_max"):
            out[column] = (out[column] * 9 / 5 + 32).round(2)
    return out.reindex(columns=COLUMNS).sort_values(["day", "station"], ascending=[False, True], ignore_index=True)


def chunks(start: float, end: float) -> list[tuple[float, float]]:
    """[start, end) cut at local midnights every ``CHUNK_DAYS`` days, so no day is split and
    no read holds more than a month of buckets."""
    out, at = [], start
    while at < end:
        day = local_time(at).date() + timedelta(days=CHUNK_DAYS)
        cut = min(end, datetime.combine(day, datetime.min.time()).timestamp())
        out.append((at, cut))
        at = cut
    return out


def _metric(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """One metric's day rows (days without it are absent): min, mean, max and their times."""
    n, mean, low, high = METRIC_COLUMNS[prefix]
    have = frame[frame[n] > 0]
    groups = have.groupby(["day", "station"])
    sums = (have[n] * have[mean]).groupby([have["day"], have["station"]]).sum()
    lows, highs = have.loc[groups[low].idxmin()], have.loc[groups[high].idxmax()]
    return pd.DataFrame(
        {
            f"{prefix}_min": lows.set_index(["day", "station"])[low],
            f"{prefix}_min_at": lows.set_index(["day", "station"])["start"],
            f"{prefix}_mean": sums / groups[n].sum(),
            f"{prefix}_max": highs.set_index(["day", "station"])[high],
            f"{prefix}_max_at": highs.set_index(["day", "station"])["start"],
        }
    )


def daily_csv(frame: pd.DataFrame, unit: str, resolution_s: int) -> str:
    """The table as CSV: every row, times as local ISO 8601 with their offset, and which
    statistics it was made of (``resolution``: 5min or 1h, the precision of the times)."""
    out = frame.copy()
    for column in ("t_min_at", "t_max_at", "h_min_at", "h_max_at"):
        out[column] = out[column].map(lambda ts: "" if pd.isna(ts) else local_time(int(ts)).isoformat())
    deg = unit.lower()
    out = out.rename(columns={c: c.replace("t_", "temperature_", 1).replace("h_", "humidity_", 1) for c in COLUMNS[3:]})
    out = out.rename(columns=lambda c: c.replace("temperature_", f"temperature_{deg}_", 1))
    out.insert(3, "resolution", "5min" if resolution_s == 300 else f"{resolution_s // 3600}h")
    return str(out.to_csv(index=False, float_format="%.2f", lineterminator="\n"))
