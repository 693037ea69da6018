"""Fewer points that draw like many: what a downsampled Live view shows of each station."""

from __future__ import annotations

import numpy as np
from tsdownsample import MinMaxLTTBDownsampler


def downsample_indices(ts: np.ndarray, values: np.ndarray, n_out: int) -> np.ndarray:
    """Indices of at most ``n_out`` + 2 points that draw like all of them, in time order:
    tsdownsample's MinMaxLTTB (min and max per bucket first, then the points that keep the
    line's shape), plus the series' lowest and highest, so a spike is never smoothed away."""
    if len(ts) <= n_out:
        return np.arange(len(ts), dtype=np.int64)
    downsampler = MinMaxLTTBDownsampler()  # type: ignore[no-untyped-call]  # tsdownsample has no annotations
    keep = downsampler.downsample(ts, values, n_out=n_out).astype(np.int64)
    return np.union1d(keep, [int(np.argmin(values)), int(np.argmax(values))])
