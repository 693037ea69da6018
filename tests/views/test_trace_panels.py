"""The Trace page beside the timeline: an agent's findings in plain words (grouped, each
with the rows behind it), where a slow callback was stuck, a finding's rows highlighted."""

from __future__ import annotations

from typing import Any

from services.tracing.view import TraceSession, TraceView
from tests.views import helpers
from views.trace_panels import make_diagnosis
from views.trace_tree import make_task_tree
from views.tracing import focus_shapes, make_slow_table


def texts(component: Any) -> str:
    return " ".join(helpers.texts(component))


BLOCK = {"code": "diag.blocking", "params": {"ms": 300, "where": "shop.py:19 (till)", "name": "Task-8 · step till"}}
QUEUE = {"code": "diag.queue_full", "params": {"site": "shop.py:22 (main)", "s": 2.5, "waiting": 1}, "seqs": []}


def test_findings_about_one_line_are_one_with_a_count_and_all_their_rows():
    found = {
        "findings": [{**BLOCK, "seqs": [10]}, {**BLOCK, "params": {**BLOCK["params"], "ms": 250}, "seqs": [20]}, QUEUE]
    }
    shown = make_diagnosis(found, [], 15, "en")
    items = shown[0].children
    assert len(items) == 2
    assert texts(items[0]).startswith(
        "A blocking call held the loop for 300 ms at shop.py:19 (till) — in Task-8 · step till"
    )
    assert "(2 times)" in texts(items[0])
    assert items[0].children[1].value == "10,20"  # its button shows both rows
    assert items[1].children[1] is None  # a queue's finding has no row to show
    zh = texts(make_diagnosis(found, [], 15, "zh")[0])
    assert "Task-8 · 推进 till" in zh and "（2 次）" in zh and "step" not in zh


def test_a_starved_queue_is_said_in_both_languages_like_a_full_one_with_no_row_to_show():
    starved = {**QUEUE, "code": "diag.queue_empty", "params": {**QUEUE["params"], "waiting": 2}}
    (item,) = make_diagnosis({"findings": [starved]}, [], 15, "en")[0].children
    assert texts(item).startswith("The queue made at shop.py:22 (main) stayed empty for 2.5 s with up to 2 consumers")
    assert item.children[1] is None
    zh = texts(make_diagnosis({"findings": [starved]}, [], 15, "zh")[0])
    assert zh.startswith("在 shop.py:22 (main) 创建的队列空了 2.5 秒，最多 2 个消费者在等待")


def test_no_finding_the_apps_own_loops_and_what_uvloop_hides_are_said():
    assert texts(make_diagnosis({"findings": []}, [], 15, "en")) == "No finding: nothing looks wrong in the last 15 s."
    assert "pick one in the loop switch" in texts(make_diagnosis(None, [], 15, "en"))
    limits = make_diagnosis({"findings": [{"code": "not.a.finding"}]}, ["trace.limit.uvloop_timers", "x.y"], 5, "zh")
    assert "uvloop：它的定时器" in texts(limits) and "x.y" not in texts(limits)


def slow_row(seq: int, culprit: Any = None) -> dict[str, Any]:
    return {"at_ms": 1.79e12, "lane": "Task-8", "name": "step till", "task": 8, "ms": 250.0, "late_ms": 0.0,
            "kind": "call_soon", "seq": seq, "culprit": culprit}  # fmt: skip


def test_the_slow_table_says_where_an_agent_saw_a_block_stuck_and_highlights_a_findings_rows():
    culprit = {
        "where": ["/srv/shop.py", 19, "till"],
        "stack": [["/srv/shop.py", 30, "main"], ["/srv/shop.py", 19, "till"]],
    }
    table = make_slow_table([slow_row(1, culprit), slow_row(2)], 100, "en", {2})
    assert "Stuck at" in texts(table.children[0])
    first, second = table.children[1].children
    assert "shop.py:19 (till)" in texts(first) and "/srv/shop.py:30 (main)\n/srv/shop.py:19 (till)" in texts(first)
    assert (first.className, second.className) == ("slow-row", "slow-row focus")
    assert "Stuck at" not in texts(make_slow_table([slow_row(3)], 100, "en"))  # the app's own loops: no such column


def test_a_findings_rows_are_bands_on_the_timeline_even_when_short():
    session = TraceSession(TraceView(focus=(5,)))
    session.spans[5] = (1000.0, 1000.1, "Task-8")
    (band,) = focus_shapes(session.focused(), 15)
    assert band["x0"] == 1000.0 and band["x1"] >= 1000.0 + 15_000 / 300 and band["yref"] == "y domain"
    assert focus_shapes([], 15) == []
    assert TraceView.from_store({"focus": [1, True, "2", 3]}).focus == (1, 3)  # whole numbers only


def test_the_task_tree_nests_each_task_under_its_maker_and_says_what_it_awaits():
    tree = {"tasks": [
        {"serial": 1, "name": "looplens: lag probe", "coro": "_lag_probe", "alive": True, "parent": 0, "awaits": []},
        {"serial": 5, "name": "Task-5", "coro": "main", "alive": True, "parent": 0, "awaits": [6, 7]},
        {"serial": 6, "name": "Task-6", "coro": "producer", "alive": True, "parent": 5, "awaits": []},
        {"serial": 7, "name": "Task-7", "coro": "consumer", "alive": False, "parent": 5, "awaits": []},
    ]}  # fmt: skip
    (shown, more) = make_task_tree(tree, "en")
    (root,) = shown.children  # the tracer's own task is not the program's
    name, _coro, awaits, made = root.children
    summary, below = made.children
    assert name.children == "Task-5" and texts(awaits) == " · awaits Task-6, Task-7"
    assert texts(summary) == "the 2 it made"  # a toggle of its own: no button inside it
    assert [item.children[0].children for item in below.children] == ["Task-6", "Task-7"]
    assert below.children[1].className == "tree-node tree-done" and more is None
    assert name.id["index"] == 5  # its name inspects it
    assert "等待 Task-6, Task-7" in texts(make_task_tree(tree, "zh"))
    assert "comes from an agent's program" in texts(make_task_tree(None, "en"))
    assert texts(make_task_tree({"tasks": []}, "en")) == "No task yet."
