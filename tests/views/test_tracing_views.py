"""The Trace page's timeline, its Patch, the slow table, the counters and the task panel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from services.tracing.view import CHUNK, SERIES, SLOW_SHOWN, TraceSession, TraceView, trace_index
from tests.views.helpers import operations, texts
from views.tracing import counters_text, make_slow_table, make_task_panel, make_trace_figure, make_trace_patch

WALL_NS = 1_790_000_000 * 10**9  # the traced machine's perf_counter 0, on the wall clock


def answer(rows: list[list[Any]], cursor: int, now_ms: float, **extra: Any) -> dict[str, Any]:
    """One answer of the trace service, shaped like TraceHub's."""
    return {
        "pid": 4321,
        "now_ns": int(now_ms * 1e6),
        "wall_offset_ns": WALL_NS,
        "cursor": cursor,
        "rows": rows,
        "jobs": extra.get("jobs", []),
        "lag": extra.get("lag", []),
        "slow": extra.get("slow", []),
        "stats": extra.get("stats", {"events_per_s": 10.0}),
    }


def row(seq: int, start_ms: float, ms: float, lane: str = "poll-beijing", internal: bool = False) -> list[Any]:
    """A callback row: seq, kind, start, end, late, task, lane, name, internal."""
    start = int(start_ms * 1e6)
    return [seq, 0, start, start + int(ms * 1e6), 0, 7, lane, f"step {lane}", internal]


def wall_ms(ms: float) -> float:
    return WALL_NS / 1e6 + ms


def first_update(view: TraceView | None = None) -> tuple[TraceSession, Any]:
    session = TraceSession(view or TraceView(window_s=15, slow_ms=100))
    rows = [row(0, 10, 0.1), row(1, 20, 2.0), row(2, 30, 150, lane="poll-lhasa"), row(3, 40, 0.1, "trace", True)]
    update = session.feed(
        answer(rows, 3, 1000, lag=[(50_000_000, 3_000_000)], jobs=[[1, "parse", 0, 100_000_000, 160_000_000, 999]])
    )
    return session, update


def test_the_timeline_has_two_traces_per_series_lanes_on_top_and_lag_below():
    session, update = first_update()
    fig = make_trace_figure(update, session, "zh")
    links = [tr.legendgroup for tr in fig.data[-4:]]
    assert [tr.name for tr in fig.data[:-4]] + links == [s for s in SERIES for _ in (0, 1)]
    assert {tr.yaxis for tr in fig.data if tr.name != "lag"} == {"y"} and {
        tr.yaxis for tr in fig.data if tr.name == "lag"
    } == {"y2"}
    ticks = fig.data[trace_index("ticks", 0)]
    assert ticks.x == pytest.approx([wall_ms(10), wall_ms(20), wall_ms(30)])  # on the wall clock
    assert set(ticks.y) == {"poll-beijing", "poll-lhasa"}  # the internal "trace" lane is hidden
    assert len(fig.data[trace_index("busy", 0)].x) == 3 and len(fig.data[trace_index("slow", 0)].x) == 3  # a bar each
    assert fig.data[trace_index("jobs", 0)].y[0] == "worker 999"
    assert fig.data[trace_index("lag", 0)].y == (3.0,)  # in ms
    assert all(not fig.data[trace_index(s, 1)].x for s in SERIES)  # the second chunks start empty
    assert fig.layout.xaxis.range == pytest.approx([wall_ms(1000) - 15_000, wall_ms(1000)])
    assert fig.layout.yaxis2.title.text == "循环延迟（毫秒）"
    session, update = first_update(TraceView(hide_internal=False))
    shown = make_trace_figure(update, session, "en")
    assert "trace" in shown.data[trace_index("ticks", 0)].y  # internals shown on request, on their own lane
    assert shown.layout.yaxis2.title.text == "Loop lag (ms)"


def test_in_chinese_the_lanes_hovers_and_times_of_the_timeline_are_chinese():
    session, update = first_update(TraceView(window_s=15, slow_ms=100, lang="zh"))
    fig = make_trace_figure(update, session, "zh")
    ticks = fig.data[trace_index("ticks", 0)]
    assert ticks.hovertext[0] == "推进 poll-beijing<br>poll-beijing · 0.100 ms · 延迟 0.000 ms · call_soon"
    assert fig.data[trace_index("jobs", 0)].y[0] == "工作进程 999"
    assert "（任务 1）<br>工作进程 pid 999 · 60.0 ms" in fig.data[trace_index("jobs", 0)].hovertext[0]
    assert fig.layout.xaxis.tickformat == "%H:%M:%S"  # a clock, no "Nov 27, 2026" under it
    assert fig.layout.xaxis.hoverformat == "%H:%M:%S.%L"
    done = [9, 3, 2_000_000_000, 2_000_100_000, 0, 0, "callbacks", "Future._done", False]  # a plain callback
    plain = session.feed(answer([done], 9, 3000))
    assert plain.points["ticks"].y == ["普通回调"]  # the lane of plain callbacks, not a task's
    assert plain.points["ticks"].text[0].endswith("· 完成回调")
    english, update = first_update(TraceView(lang="en"))
    assert english.feed(answer([done], 9, 3000)).points["ticks"].y == ["callbacks"]
    assert make_trace_figure(update, english, "en").data[trace_index("jobs", 0)].y[0] == "worker 999"


def test_a_new_language_is_a_new_picture():
    assert not TraceView(lang="en").same_picture(TraceView(lang="zh"))
    assert TraceView.from_store({"lang": "zh"}).lang == "zh" and TraceView.from_store({"lang": "xx"}).lang == "en"


def test_a_patch_extends_the_head_chunks_with_only_the_new_points():
    session, _ = first_update()
    update = session.feed(answer([row(4, 1100, 0.1), row(5, 1200, 0.1)], 5, 2000, lag=[(1_500_000_000, 1_000_000)]))
    ops = operations(make_trace_patch(update, 15))
    extended = {location: value for kind, location, value in ops if kind == "Extend"}
    assert extended[("data", trace_index("ticks", 0), "x")] == pytest.approx([wall_ms(1100), wall_ms(1200)])
    assert extended[("data", trace_index("lag", 0), "y")] == [1.0]
    assert {location[1] for location in extended} == {trace_index("ticks", 0), trace_index("lag", 0)}  # nothing else
    assert not any(kind == "Assign" and location[0] == "data" for kind, location, _ in ops)
    windows = {location[1]: value for kind, location, value in ops if location[0] == "layout"}
    assert windows["xaxis"] == windows["xaxis2"] == pytest.approx([wall_ms(2000) - 15_000, wall_ms(2000)])


def test_a_full_head_chunk_hands_over_by_replacing_the_other_chunk():
    session, _ = first_update()
    many = [row(10 + i, 1000 + i, 0.1) for i in range(CHUNK["ticks"])]
    update = session.feed(answer(many, 10 + len(many), 5000))
    ops = operations(make_trace_patch(update, 15))
    assigned = {location: value for kind, location, value in ops if kind == "Assign" and location[0] == "data"}
    assert len(assigned[("data", trace_index("ticks", 1), "x")]) == CHUNK["ticks"]  # the new head, set whole
    assert not any(location[1] == trace_index("ticks", 0) for location in assigned)  # the old points stay shown


def test_the_slow_table_lists_the_newest_slow_callbacks_first_and_at_most_a_screenful():
    session = TraceSession(TraceView(slow_ms=100))
    session.feed(answer([], 0, 0))
    slow = [row(i, i * 1000, 100 + i) for i in range(SLOW_SHOWN + 5)]
    session.feed(answer([*slow, row(99, 50_000, 99)], 99, 60_000))  # 99 ms is under the threshold
    table = make_slow_table(session.slow_rows(), 100, "en")
    body = table.children[1].children
    assert len(body) == SLOW_SHOWN
    durations = [tr.children[3].children for tr in body]
    assert durations[:2] == ["119.0", "118.0"] and "99.0" not in durations  # newest first
    newest = datetime.fromtimestamp(wall_ms(19_000) / 1000).strftime("%H:%M:%S.%f")[:-3]
    assert texts(body[0])[:2] == [newest, "poll-beijing"]
    assert texts(table.children[0]) == ["Time", "Task", "Callback", "Duration (ms)", "Late (ms)", "Scheduled by"]
    callback = body[0].children[2]
    assert "".join(texts(callback)) == "step poll-beijing"
    long = make_slow_table([{**session.slow_rows()[0], "name": "step TraceHub.block.<locals>.f"}], 100, "en")
    cell = long.children[1].children[0].children[2].children.children  # code, which may wrap after each dot
    assert [type(c).__name__ if not isinstance(c, str) else c for c in cell] == [
        "step TraceHub.",
        "Wbr",
        "block.",
        "Wbr",
        "<locals>.",
        "Wbr",
        "f",
    ]


def test_the_slow_table_in_chinese_names_steps_lanes_and_kinds_in_chinese():
    session = TraceSession(TraceView(slow_ms=100, lang="zh"))
    session.feed(answer([], 0, 0))
    step = [1, 0, 0, 300_000_000, 1_000_000, 7, "block-loop-300ms-1", "step TraceHub.block_the_loop", False]
    done = [2, 3, 400_000_000, 520_000_000, 0, 0, "callbacks", "Future._schedule_callbacks", False]
    session.feed(answer([step, done], 2, 1000))
    table = make_slow_table(session.slow_rows(), 100, "zh")
    newest, oldest = (["".join(texts(td)) for td in tr.children] for tr in table.children[1].children)
    assert newest[1:] == ["普通回调", "Future._schedule_callbacks", "120.0", "0.0", "完成回调"]
    assert oldest[1:] == ["block-loop-300ms-1", "推进 TraceHub.block_the_loop", "300.0", "1.0", "call_soon"]
    assert texts(table.children[0]) == ["时间", "任务", "回调", "耗时（毫秒）", "延迟（毫秒）", "调度方式"]


def test_no_slow_callback_says_so_with_the_threshold_in_the_page_language():
    assert make_slow_table([], 250, "zh").children == "暂无 250 毫秒及以上的回调。"
    assert make_slow_table([], 0.5, "en").children == "No callback of 0.5 ms or longer yet."


def test_counters_never_round_a_tiny_tracer_overhead_to_zero():
    session, _ = first_update()
    session.stats = {"events_per_s": 2400.4, "overhead_pct": 0.0002, "dropped": 3, "tasks": 12}
    tiny = counters_text(session, "en")
    assert tiny == "2400 events/s · tracer < 0.001 % of a core · 3 dropped · 12 tasks known"
    session.stats = {"events_per_s": 2400, "overhead_pct": 2.345, "dropped": 0, "tasks": 12}
    assert "≈ 2.3 %" in counters_text(session, "zh") and "每秒 2400 个事件" in counters_text(session, "zh")


def test_counters_say_measuring_until_the_trace_service_has_a_rate():
    session = TraceSession(TraceView())
    assert counters_text(session, "en") == "Measuring events/s and the tracer's cost…"  # nothing asked yet
    first = {"events_per_s": None, "overhead_pct": None, "dropped": 0, "tasks": 44}  # a page's first answer
    session.feed(answer([], 0, 1000, stats=first))
    assert counters_text(session, "en") == "Measuring events/s and the tracer's cost…"
    assert counters_text(session, "zh") == "正在测量每秒事件数与追踪开销……"
    session.feed(answer([], 0, 2000, stats={"events_per_s": 150.0, "overhead_pct": 0.0004, "dropped": 0, "tasks": 44}))
    assert counters_text(session, "en").startswith("150 events/s · tracer < 0.001 % of a core")


def test_the_task_panel_shows_the_await_stack_or_says_there_is_none():
    info = {"name": "poll-1", "coro": "app_poll", "site": "collector.py:88", "state": "waiting"}
    waiting = make_task_panel({**info, "stack": ["app_poll at collector.py:90", "sleep at tasks.py:1"]}, "en")
    assert texts(waiting[0]) == [
        "Name",
        "poll-1",
        "Coroutine",
        "app_poll",
        "Created at",
        "collector.py:88",
        "State",
        "waiting",
    ]
    assert waiting[2].children == "app_poll at collector.py:90\nsleep at tasks.py:1"
    running = make_task_panel({**info, "stack": []}, "zh")
    assert running[2].children == "（无：任务未挂起）" and texts(running[0])[0] == "名称"


def test_the_task_panel_in_chinese_says_its_state_and_an_unknown_creation_site_in_chinese():
    info = {"name": "poll-1", "coro": "app_poll", "site": "", "state": "waiting", "stack": []}
    assert texts(make_task_panel(info, "zh")[0]) == [
        "名称",
        "poll-1",
        "协程",
        "app_poll",
        "创建位置",
        "（在追踪开始之前创建）",
        "状态",
        "等待中",
    ]
    assert texts(make_task_panel({**info, "state": "cancelled"}, "en")[0])[5:] == [
        "(created before tracing began)",
        "State",
        "cancelled",
    ]
    assert texts(make_task_panel({**info, "state": "something new"}, "zh")[0])[-1] == "something new"
