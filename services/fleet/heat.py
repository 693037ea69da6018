"""The heat strip: sensors × the last 24 hours, each cell an hour's mean temperature, read
from the hourly rollups (never the raw rows).

Two thousand rows would be a quarter of a pixel each, so the strip shows the sensors that
stand out: those furthest, on average over the hours they reported, from the fleet's
median of the same hour, the furthest on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.live.rollups import HOUR
from services.live.store import ReadingStore

HOURS = 24
MAX_ROWS = 40


@dataclass
class HeatStrip:
    keys: list[str]  # the sensors shown, furthest from the fleet first
    hours: np.ndarray  # each column's start, Unix seconds
    z: np.ndarray  # float32 °C, NaN where a sensor said nothing that hour
    distance: np.ndarray  # each shown sensor's mean distance from the fleet median, °C
    sensors: int  # how many sensors the strip was chosen from


def heat_strip(store: ReadingStore, keys: Sequence[str], now: float, max_rows: int = MAX_ROWS) -> HeatStrip:
    """The strip of ``keys`` for the 24 hours up to ``now``'s hour (included)."""
    last = int(now) // HOUR * HOUR
    hours = np.arange(last - (HOURS - 1) * HOUR, last + HOUR, HOUR, dtype=np.int64)
    index = {key: i for i, key in enumerate(keys)}
    grid = np.full((len(keys), HOURS), np.nan, dtype=np.float32)
    for b in store.temperatures(HOUR, int(hours[0]), last + HOUR):
        if b.t_mean is not None and b.station in index:
            grid[index[b.station], (b.start - hours[0]) // HOUR] = b.t_mean
    return pick(list(keys), hours, grid, max_rows)


def pick(keys: list[str], hours: np.ndarray, grid: np.ndarray, max_rows: int) -> HeatStrip:
    """The ``max_rows`` rows furthest from each hour's median (rows with no data never)."""
    seen = ~np.all(np.isnan(grid), axis=1)
    if not seen.any():
        empty = np.empty((0, len(hours)), dtype=np.float32)
        return HeatStrip([], hours, empty, np.empty(0, dtype=np.float32), 0)
    rows = grid[seen]
    hours_seen = ~np.all(np.isnan(rows), axis=0)
    median = np.full(len(hours), np.nan, dtype=np.float32)
    median[hours_seen] = np.nanmedian(rows[:, hours_seen], axis=0)
    gaps = np.abs(grid - median)  # NaN where the sensor or the whole fleet said nothing
    counted = (~np.isnan(gaps)).sum(axis=1)
    distance = np.where(counted > 0, np.nansum(gaps, axis=1) / np.maximum(counted, 1), -1.0)
    order = np.argsort(-distance, kind="stable")[: min(max_rows, int(seen.sum()))]
    return HeatStrip([keys[i] for i in order], hours, grid[order], distance[order].astype(np.float32), int(seen.sum()))
