"""A Fleet push carries only rows that changed, status changes and rows on screen first,
within its byte budget; what waits is one row per sensor, and every counter adds up."""

from __future__ import annotations

from services.fleet.outbox import Outbox, size_of


def row(key: str, t: float, status: str = "ok") -> dict:
    return {"id": key, "t": t, "status": status, "state": status}


def test_an_unchanged_row_is_not_sent_again():
    box = Outbox(max_rows=10)
    box.reset([row("a", 1.0), row("b", 2.0)])
    box.offer([row("a", 1.0), row("b", 2.5)])
    assert box.take() == [row("b", 2.5)]
    box.offer([row("b", 2.5)])
    assert box.take() == []


def test_a_row_changed_twice_before_a_push_goes_once_at_its_newest():
    box = Outbox(max_rows=10)
    box.offer([row("a", 1.0)])
    box.offer([row("a", 1.1)])
    assert box.take() == [row("a", 1.1)]
    assert box.statistics()["superseded"] == 1


def test_the_budget_holds_and_status_changes_then_shown_rows_go_first():
    rows = [row(f"s{i:04d}", i / 10) for i in range(200)]
    one = size_of(rows[0]) + 1
    box = Outbox(max_rows=1000, budget_bytes=10 * one)
    box.offer(rows)
    first = box.take(first=["s0150"], shown=["s0100", "s0101"])
    assert [r["id"] for r in first[:3]] == ["s0150", "s0100", "s0101"]
    assert sum(size_of(r) + 1 for r in first) <= 10 * one
    assert len(box) == 200 - len(first)
    taken = len(first)
    while len(box):
        taken += len(box.take())
    assert taken == 200 and box.statistics()["pushed_rows"] == 200


def test_the_waiting_rows_are_capped_and_what_did_not_fit_is_counted():
    box = Outbox(max_rows=3)
    box.offer([row(k, 1.0) for k in "abcde"])
    assert len(box) == 3 and box.statistics()["dropped"] == 2
