"""The diagnosis of queues from their samples alone (t, size, putters, getters every 50 ms,
as the agent takes them): consumers starved by a slow producer are said, a pool of workers
waiting for work that has not come or is done is not."""

from __future__ import annotations

from typing import Any

from services.core.i18n import t
from services.tracing.diagnosis import stuck_primitives

STEP_NS = 50_000_000
SITE = "shop.py:22 (main)"


def queue(*stretches: tuple[float, int, int], maxsize: int = 0) -> dict[str, Any]:
    """A followed queue whose samples run through ``stretches`` of (seconds, size, getters)."""
    samples: list[list[int]] = []
    for seconds, size, getters in stretches:
        for _ in range(round(seconds * 1e9 / STEP_NS)):
            samples.append([len(samples) * STEP_NS, size, 0, getters])
    return {"kind": "queue", "site": SITE, "maxsize": maxsize, "samples": samples}


def empty_findings(*stretches: tuple[float, int, int]) -> list[dict[str, Any]]:
    return [f.as_dict() for f in stuck_primitives([queue(*stretches)]) if f.code == "diag.queue_empty"]


def test_consumers_starved_between_two_uses_are_said_with_the_site_the_seconds_and_how_many_waited():
    (found,) = empty_findings((0.5, 3, 0), (2.5, 0, 1), (1.0, 0, 2), (0.3, 4, 0), (0.5, 0, 1))
    assert found["params"] == {"site": SITE, "s": 3.5, "waiting": 2} and found["seqs"] == []
    assert t("diag.queue_empty", "en", **found["params"]).startswith(
        f"The queue made at {SITE} stayed empty for 3.5 s with up to 2 consumers waiting"
    )
    assert t("diag.queue_empty", "zh", **found["params"]).startswith(f"在 {SITE} 创建的队列空了 3.5 秒")


def test_a_queue_never_given_anything_is_a_pool_waiting_for_work_not_a_finding():
    assert empty_findings((10.0, 0, 4)) == []
    assert empty_findings((10.0, 0, 4), (0.5, 2, 0)) == []  # the work came late: the wait was before any use


def test_an_empty_queue_nobody_waits_on_is_not_a_finding():
    assert empty_findings((0.5, 3, 0), (5.0, 0, 0), (0.5, 3, 0)) == []


def test_a_short_pause_of_the_producer_is_not_a_finding():
    assert empty_findings((0.5, 3, 0), (1.5, 0, 2), (0.5, 3, 0)) == []


def test_workers_waiting_on_once_the_work_is_done_are_not_a_finding():
    assert empty_findings((0.5, 3, 0), (10.0, 0, 3)) == []


def test_a_bounded_queue_can_be_both_full_and_starved_and_each_is_said_once():
    found = stuck_primitives([queue((1.5, 2, 0), (2.5, 0, 1), (0.5, 1, 0), maxsize=2)])
    assert [f.code for f in found] == ["diag.queue_empty", "diag.queue_full"]
