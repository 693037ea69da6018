"""The reader's pass over rows it will not send: the C scan and its Python twin agree, over a
ring that has wrapped (running rows, rows that ended before the window, slow ones)."""

from __future__ import annotations

import random

import pytest

from services.tracing import columns
from services.tracing.columns import CallbackRing


def filled(capacity: int, rows: int) -> CallbackRing:
    ring, rng = CallbackRing(capacity), random.Random(7)
    for seq in range(rows):
        row = seq % capacity
        start = 1_000_000 + seq * 1_000
        ring.seq[row], ring.start[row] = seq, start
        running = rng.random() < 0.05
        ring.end[row] = 0 if running else start + rng.choice((10, 500, 2_000_000, 150_000_000))
    return ring


@pytest.mark.skipif(columns._looptrace is None, reason="the C hot path is not built")
def test_the_c_scan_finds_what_the_python_pass_finds(monkeypatch):
    ring = filled(1000, 2500)  # wrapped twice and a half
    cases = [(1500, 2500, 100_000_000, 0), (1600, 2400, 1_000_000, 0), (1500, 2500, 100_000_000, 1_900_000_000)]
    in_c = [ring.scan(*case) for case in cases]
    monkeypatch.setattr(columns, "_looptrace", None)
    in_python = [ring.scan(*case) for case in cases]
    assert in_c == in_python
    assert all(found for _count, found in in_c[:2]) and in_c[2][0] < in_c[0][0]  # slow rows found, a window cuts
