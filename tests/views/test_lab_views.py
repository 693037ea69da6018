"""The Lab page's swimlanes, bars, results table and progress line, from a LabResult's data."""

from __future__ import annotations

from typing import Any

from services.lab.ceiling import Ceiling
from services.lab.run import LabResult
from services.lab.workload import EngineRun, Item, Workload
from tests.views.helpers import texts
from views.lab import COLORS, make_bars, make_lanes_figure, make_results, progress_text

READING = ("beijing", 1_790_000_000, 20.5, 48.0)


def items(n: int, pid: int, step_ms: float, reading: tuple[Any, ...] | None = READING) -> list[Item]:
    """``n`` items of 50 ms each, one every ``step_ms`` (50: one after another; less: overlapping)."""
    return [
        Item(i, int(i * step_ms * 1e6), int((i * step_ms + 50) * 1e6), pid, "MainThread", reading) for i in range(n)
    ]


def lab_data(
    *runs: EngineRun, running: EngineRun | None = None, ceiling: float = 1000.0, **extra: Any
) -> dict[str, Any]:
    workload = Workload(n=4, latency_ms=50, cpu_ms=0, workers=2, sensor_url="http://127.0.0.1:9", stations=("beijing",))
    engines = [r.engine for r in runs] + ([running.engine] if running else [])
    rounds = Ceiling((0.8 * ceiling, ceiling, 0.95 * ceiling))
    result = LabResult(workload, engines, origin_ns=0, ceiling=rounds, runs=list(runs), running=running)
    return {**result.as_dict(), **extra}


def sequential() -> EngineRun:
    return EngineRun("sequential", wall_s=0.2, cpu_s=0.01, items=items(4, 101, 50))


def asyncio_run() -> EngineRun:
    return EngineRun("asyncio", wall_s=0.06, cpu_s=0.02, items=items(4, 101, 2))


def table_rows(results: list[Any]) -> list[list[str]]:
    return [texts(tr) for tr in results[0].children[1].children]


def test_the_results_table_has_a_row_per_finished_engine_in_the_page_language():
    results = make_results(lab_data(sequential(), asyncio_run()), "zh")
    assert texts(results[0].children[0]) == ["引擎", "耗时（秒）", "CPU（秒）", "项/秒", "× 理想值", "失败"]
    assert table_rows(results) == [
        ["顺序执行", "0.20", "0.01", "20", "4.00×", "0"],  # four times the 0.05 s ideal
        ["asyncio + aiohttp", "0.06", "0.02", "67", "1.20×", "0"],
    ]
    notes = [texts(p)[0] for p in results[1:]]
    assert notes[0].startswith("理想值 0.05 秒") and "1,000 次/秒" in notes[0]
    assert "3 轮" in notes[0] and "800 至 1,000 次/秒" in notes[0]  # the ceiling's spread
    assert notes[1] == "✔ 所有引擎返回的读数完全一致。"


def test_a_run_that_beats_the_model_is_explained_and_never_shows_below_one():
    data = lab_data(sequential(), asyncio_run(), ceiling=40.0)  # the model: N / 40 req/s = 0.10 s; asyncio took 0.06
    for lang, why in (
        ("en", "asyncio + aiohttp took 0.06 s, less than the model's 0.10 s: it fetched 67 items/s, more than the 40"),
        ("zh", "asyncio + aiohttp 用时 0.06 秒，少于模型的 0.10 秒：它每秒获取 67 项，超过运行引擎前回环测得的 40"),
    ):
        results = make_results(data, lang)
        assert [row[4] for row in table_rows(results)] == ["3.33×", "1.00×"]  # against asyncio's own time
        beat = [texts(p)[0] for p in results[1:] if p.className == "lab-beat"]
        assert len(beat) == 2 and beat[0].startswith(why), beat
    assert [shape.y0 for shape in make_bars(data, "en").layout.shapes] == [0.06]  # the ideal line: never above a bar
    assert not [p for p in make_results(lab_data(sequential(), asyncio_run()), "en") if p.className == "lab-beat"]


def test_engines_that_disagree_or_fail_are_called_out():
    broken = EngineRun("processes", wall_s=0.1, cpu_s=0.0, items=items(4, 202, 50, reading=None), error="")
    broken.items[1].error = "timeout"
    crashed = EngineRun("threads", wall_s=0.0, cpu_s=0.0, items=[], error="BrokenProcessPool")
    results = make_results(lab_data(sequential(), broken, crashed), "en")
    assert [row[-1] for row in table_rows(results)] == ["0", "1", "BrokenProcessPool"]  # failed items, or why none
    different = [p for p in results[1:] if p.className == "lab-different"]
    assert texts(different) == ["✘ The engines' readings differ (see failed items)."]
    alone = make_results(lab_data(sequential()), "en")  # one engine: nothing to compare
    assert not [p for p in alone[1:] if p.className in ("lab-identical", "lab-different")]


def test_nothing_is_shown_before_an_engine_has_finished():
    assert make_results(None, "en") == []
    assert make_results(lab_data(running=asyncio_run()), "en") == []


def test_the_asyncio_loop_summary_and_the_collector_note_follow_the_run():
    traced = asyncio_run()
    traced.loop = {"callbacks": 12345, "tasks": 8, "longest_ms": 3.25, "latest_ms": 9.0, "lag_ms": 1.5, "dropped": 0}
    kept = make_results(lab_data(traced, collector_gap_s=1.2, collector_period_s=1.0), "en")
    assert any("12,345" in text for p in kept if p.className == "muted lab-loop" for text in texts(p))
    collector = [texts(p)[0] for p in kept if p.className == "muted lab-collector"]
    assert len(collector) == 1 and collector[0].startswith("The collector kept its period") and "1.20 s" in collector[0]
    late = make_results(lab_data(traced, collector_gap_s=2.0, collector_period_s=1.0), "en")
    assert [texts(p)[0] for p in late if p.className == "muted lab-collector"][0].startswith(
        "The collector fell behind"
    )
    unknown = make_results(lab_data(traced, collector_gap_s=2.0), "en")  # no period: no verdict
    assert not [p for p in unknown if p.className == "muted lab-collector"]


def test_the_empty_swimlanes_figure_draws_nothing_not_even_axes():
    for data in (None, {}, lab_data(running=EngineRun("threads"))):
        fig = make_lanes_figure(data, "zh")
        assert fig.data == () and fig.layout.showlegend is False
        assert fig.layout.height == 320 and fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_swimlanes_have_a_legend_entry_per_engine_in_its_colour_and_a_lane_per_worker():
    data = lab_data(sequential(), running=asyncio_run())  # the engine under way shows too
    fig = make_lanes_figure(data, "en")
    legend = [(tr.name, tr.line.color) for tr in fig.data if tr.showlegend]
    assert legend == [("sequential", COLORS["sequential"]), ("asyncio", COLORS["asyncio"])]
    assert [tr.legendgroup for tr in fig.data] == ["sequential"] + ["asyncio"] * 4  # one after another: one lane
    assert {tr.line.color for tr in fig.data if tr.legendgroup == "asyncio"} == {COLORS["asyncio"]}
    assert fig.data[0].x[:3] == (0.0, 0.05, None)  # seconds from the run's start, a gap between bars


def test_every_lane_is_labelled_in_the_page_language_and_the_legend_sits_under_the_plot():
    data = lab_data(sequential(), asyncio_run())
    fig = make_lanes_figure(data, "zh")
    y = fig.layout.yaxis
    lanes = [lane["label"] for lane in data["lanes"]]
    assert y.tickmode == "array" and list(y.tickvals) == lanes  # Plotly skips none of them
    assert list(y.ticktext) == ["顺序执行 · 进程 101"] + [f"asyncio · 进程 101 #{k}" for k in (1, 2, 3, 4)]
    assert fig.layout.height >= 17 * len(lanes) + 100  # room for each label, the axis and the legend
    assert [tr.name for tr in fig.data if tr.showlegend] == ["顺序执行", "asyncio"]
    assert fig.layout.xaxis.title.text == "自运行开始的秒数"
    assert fig.data[0].hovertemplate == "顺序执行 · 进程 101<br>开始后 %{x:.3f} 秒<extra></extra>"
    legend = fig.layout.legend  # at the figure's foot, not at its top where the toolbar is
    assert (legend.orientation, legend.yref, legend.y, legend.yanchor) == ("h", "container", 0, "bottom")


def test_bars_compare_each_engine_with_the_ideal_line_in_the_page_language():
    fig = make_bars(lab_data(sequential(), asyncio_run()), "zh")
    bars = fig.data[0]
    assert list(bars.x) == ["顺序执行", "asyncio"] and list(bars.y) == [0.2, 0.06]
    assert list(bars.text) == ["0.20 秒", "0.06 秒"]
    assert [shape.y0 for shape in fig.layout.shapes] == [0.05]
    assert fig.layout.annotations[0].text == "理想值 0.05 秒"
    assert fig.layout.yaxis.title.text == "耗时（秒）"
    assert bars.hovertemplate == "%{x}: %{y:.2f} 秒<extra></extra>"
    assert make_bars(lab_data(sequential()), "en").layout.annotations[0].text == "ideal 0.05 s"


def test_progress_names_the_running_engine_and_its_count():
    data = lab_data(sequential(), running=EngineRun("asyncio", items=items(3, 101, 2)))
    assert progress_text(data, "en") == "Engine 2 of 2, asyncio + aiohttp: 3 of 4 items…"
    assert progress_text(data, "zh") == "第 2/2 个引擎，asyncio + aiohttp：已完成 3/4 项……"
    assert progress_text(None, "en") == "Measuring the loopback request ceiling…"  # before any engine


def test_progress_never_goes_back_to_the_ceiling_between_engines():
    steps = [
        None,  # the run has started: the ceiling
        lab_data(running=EngineRun("sequential")),
        lab_data(running=EngineRun("sequential", items=items(2, 101, 50))),
        lab_data(sequential(), running=EngineRun("asyncio")),
        lab_data(sequential(), asyncio_run()),  # the last engine has finished
    ]
    shown = [progress_text(data, "en") for data in steps]
    assert shown == [
        "Measuring the loopback request ceiling…",
        "Engine 1 of 1, sequential: 0 of 4 items…",
        "Engine 1 of 1, sequential: 2 of 4 items…",
        "Engine 2 of 2, asyncio + aiohttp: 0 of 4 items…",
        "All 2 engines done; drawing the results…",
    ]
    assert progress_text(lab_data(sequential()), "zh") == "全部 1 个引擎已完成，正在绘制结果……"
