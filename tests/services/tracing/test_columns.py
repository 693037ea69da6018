"""The reader's passes over the callback columns: in C and in their Python twins they agree,
over a ring that has wrapped (running rows, rows that ended before the window, slow ones,
rows whose task ring record was overwritten)."""

from __future__ import annotations

import random
from array import array

import pytest

from services.tracing import columns
from services.tracing.columns import DONE_CALLBACK, LINK_WIDTH, SOON, TIMER, CallbackRing, TaskRing, take
from services.tracing.links import DONE_LINK, MADE_LINK

needs_c = pytest.mark.skipif(columns._looptrace is None, reason="the C module is not built")


def filled(capacity: int, rows: int) -> CallbackRing:
    ring, rng = CallbackRing(capacity), random.Random(7)
    for seq in range(rows):
        row = seq % capacity
        start = 1_000_000 + seq * 1_000
        ring.seq[row], ring.start[row] = seq, start
        running = rng.random() < 0.05
        ring.end[row] = 0 if running else start + rng.choice((10, 500, 2_000_000, 150_000_000))
        ring.kind[row] = rng.choice((SOON, SOON, TIMER, DONE_CALLBACK))
        ring.scheduled[row] = start - rng.choice((100, 5_000))
        ring.due[row] = ring.scheduled[row] + rng.choice((0, 0, 20_000))  # a late timer: late_ns > 0
        ring.task[row] = rng.choice((0, rng.randrange(1, 60)))
        ring.parent[row] = rng.choice((-1, max(0, seq - 3)))
        ring.code[row] = rng.randrange(1, 9)
    return ring


def tasks(capacity: int, serials: int, ring: CallbackRing) -> TaskRing:
    """Serials 1… (the oldest overwritten when ``serials`` passes ``capacity``), each made
    by another task (or none) around when the ring's rows were scheduled."""
    t, rng = TaskRing(capacity), random.Random(11)
    for serial in range(1, serials + 1):
        row = serial % capacity
        t.serial[row], t.parent[row] = serial, rng.choice((0, rng.randrange(1, 60)))
        t.created[row] = 1_000_000 + rng.randrange(0, len(ring.seq) * 2_500)
    return t


@needs_c
def test_the_c_scan_finds_what_the_python_pass_finds(monkeypatch):
    ring = filled(1000, 2500)  # wrapped twice and a half
    cases = [(1500, 2500, 100_000_000, 0), (1600, 2400, 1_000_000, 0), (1500, 2500, 100_000_000, 1_900_000_000)]
    in_c = [ring.scan(*case) for case in cases]
    monkeypatch.setattr(columns, "_looptrace", None)
    in_python = [ring.scan(*case) for case in cases]
    assert in_c == in_python
    assert all(found for _count, found in in_c[:2]) and in_c[2][0] < in_c[0][0]  # slow rows found, a window cuts


@needs_c
def test_the_c_take_packs_the_rows_keys_links_and_long_rows_the_python_pass_does(monkeypatch):
    ring = filled(1000, 2500)
    task_ring = tasks(40, 59, ring)  # serials 1–19 overwritten by 41–59: their steps have no record
    cases = [(1500, 2500, 0, 1_000_000), (1994, 2500, 0, 1_000_000), (1500, 2300, 2_800_000, 100_000_000)]
    in_c = [take(ring, task_ring, *case) for case in cases]
    monkeypatch.setattr(columns, "_looptrace", None)
    in_python = [take(ring, task_ring, *case) for case in cases]
    assert in_c == in_python
    whole, newest, windowed = in_c
    assert 0 < windowed.row_count < whole.row_count and newest.row_count < whole.row_count  # a window and a newest cut
    links = array("q", whole.links)
    assert {links[i] for i in range(0, len(links), LINK_WIDTH)} == {MADE_LINK, DONE_LINK}
    assert whole.longs and windowed.longs and len(windowed.longs) < len(whole.longs)
    assert len(whole.keys) < whole.row_count / 10  # rows share their naming keys


def test_a_taken_row_is_the_callback_as_pages_read_it(monkeypatch):
    """What ``take`` packs is what a ``Callback`` of the same row says (either pass)."""
    ring = filled(1000, 2500)
    task_ring = tasks(40, 59, ring)
    for c_module in {columns._looptrace, None}:
        monkeypatch.setattr(columns, "_looptrace", c_module)
        taken = take(ring, task_ring, 1500, 2500, 0, 1_000_000)
        expected = [ring.callback(seq) for seq in range(1500, 2500)]
        finished = [c for c in expected if c is not None and c.end_ns]
        assert [taken.row(i)[:6] for i in range(taken.row_count)] == [
            (c.seq, c.kind, c.start_ns, c.end_ns, max(0, c.late_ns), c.task) for c in finished
        ]
        keys = [key[:2] for key in taken.keys]
        assert [keys[taken.row(i)[6]] for i in range(taken.row_count)] == [
            (c.task, 0 if c.task else c.code) for c in finished
        ]
        assert taken.longs == [i for i, c in enumerate(finished) if c.duration_ns >= 1_000_000]
