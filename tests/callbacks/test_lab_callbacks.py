"""Lab page callbacks called as functions."""

from __future__ import annotations

import asyncio

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from callbacks.lab import cancel, check_job, clear, download_loop_trace, show_note, show_progress, show_results, submit
from services.core.errors import LabInputError
from services.core.settings import Settings
from services.lab.workload import EngineRun
from tests.views.helpers import texts
from tests.views.test_lab_views import asyncio_run, lab_data, sequential
from views import HIDDEN


def test_a_good_workload_becomes_a_job_in_the_pages_engine_order():
    job = check_job("100", " 50 ", "2.5", "8", ["gevent", "threads"], {"nonce": 4})
    assert job == {
        "n": 100,
        "latency_ms": 50.0,
        "cpu_ms": 2.5,
        "workers": 8,
        "engines": ["threads", "gevent"],
        "trace": False,
        "nonce": 5,
    }
    assert check_job("10", "0", "0", "1", ["asyncio"], None, ["trace"])["trace"] is True


@pytest.mark.parametrize(
    "n, latency, cpu, workers, engines, code",
    [
        ("ten", "100", "0", "8", ["threads"], "lab.err.n_range"),
        ("10.5", "100", "0", "8", ["threads"], "lab.err.n_range"),
        ("10", "", "0", "8", ["threads"], "lab.err.latency_range"),
        ("10", "100", "300", "8", ["threads"], "lab.err.cpu_range"),
        ("10", "100", "0", "0", ["threads"], "lab.err.workers_range"),
        ("100", "100", "0", "8", ["process_per_item"], "lab.err.per_item_cap"),
        ("10", "100", "0", "8", [], "lab.err.no_engine"),
    ],
)
def test_bad_workloads_are_refused(n, latency, cpu, workers, engines, code):
    with pytest.raises(LabInputError) as err:
        check_job(n, latency, cpu, workers, engines, None)
    assert err.value.code == code


def shown(note, lang):
    return asyncio.run(show_note(note, lang))


def test_refusals_and_outcomes_are_messages_in_the_page_language(tmp_path):
    job, note = asyncio.run(submit(1, "5000", "100", "0", "8", ["threads"], [], None))
    assert job is no_update  # a refused run leaves the last one shown
    assert "N 须为 1 到 2000 的整数" in shown(note, "zh").children and shown(note, "zh").className == "msg-error"
    assert "from 1 to 2000" in shown(note, "en").children  # the same note, after a switch
    _, note = asyncio.run(submit(1, "50", "100", "0", "8", ["threads"], ["trace"], None))
    assert "needs the asyncio engine" in shown(note, "en").children
    job, note = asyncio.run(submit(1, "50", "100", "0", "8", ["threads"], [], None))
    assert job["n"] == 50 and note is None and shown(note, "zh") == ""
    why, *_ = asyncio.run(show_results({"error": "lab.err.busy"}, "en"))
    assert "Another lab run" in why.children and why.className == "msg-error"
    assert "已有实验正在运行" in asyncio.run(show_results({"error": "lab.err.busy"}, "zh"))[0].children
    note = asyncio.run(cancel(Settings(data_dir=tmp_path), 4242))  # no run holds the lock: nothing killed
    assert shown(note, "zh").children.startswith("已取消") and shown(note, "en").children.startswith("Cancelled")


def test_a_new_run_starts_from_a_clean_page():
    result, table, bars, trace, why, lanes = asyncio.run(clear({"n": 50, "nonce": 2}))
    assert result is None and table == [] and why == "" and trace == HIDDEN
    assert bars.data == () and lanes.data == () and lanes.layout.xaxis.visible is False
    with pytest.raises(PreventUpdate):
        asyncio.run(clear(None))


def test_a_switch_rewords_the_table_the_figures_and_the_progress_line():
    done = lab_data(sequential(), asyncio_run())
    for lang, engine, wall, lane in (
        ("en", "sequential", "Wall (s)", "sequential · pid 101"),
        ("zh", "顺序执行", "耗时（秒）", "顺序执行 · 进程 101"),
    ):
        why, table, bars, _trace, lanes = asyncio.run(show_results(done, lang))
        assert why == "" and texts(table[0].children[0])[1] == wall
        assert texts(table[0].children[1].children[0])[0] == engine and list(bars.data[0].x)[0] == engine
        assert lanes.layout.yaxis.ticktext[0] == lane
    running = lab_data(sequential(), running=EngineRun("asyncio"))
    text, lanes = asyncio.run(show_progress(running, "zh"))
    assert text == "第 2/2 个引擎，asyncio + aiohttp：已完成 0/4 项……" and lanes.data[0].name == "顺序执行"
    assert asyncio.run(show_progress(running, "en"))[0] == "Engine 2 of 2, asyncio + aiohttp: 0 of 4 items…"
    assert asyncio.run(show_progress({}, "zh"))[0] == "正在测量回环请求上限……"  # the job has started
    with pytest.raises(PreventUpdate):  # the run has ended: its result shows (Dash reset the progress)
        asyncio.run(show_progress(None, "zh"))
    why, table, bars, style, lanes = asyncio.run(show_results(None, "zh"))  # cleared for a new run
    assert why == "" and table == [] and bars.data == () and style == HIDDEN and lanes.data == ()


def test_a_loop_trace_is_handed_out_only_from_the_labs_folder_by_a_name_the_lab_makes(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    folder = settings.lab_dir
    folder.mkdir(parents=True)
    (folder / "asyncio-loop-20261123-010203-42.json").write_text('{"traceEvents": []}')
    (tmp_path / "data" / "secret.json").write_text("{}")

    def result(name):
        return {"rows": [{"engine": "threads", "loop": None}, {"engine": "asyncio", "loop": {"file": name}}]}

    sent, note = asyncio.run(download_loop_trace(settings, 1, result("asyncio-loop-20261123-010203-42.json")))
    assert sent["filename"] == "looplens-lab-asyncio-loop-20261123-010203-42.json" and note is None
    for name in ("../secret.json", "asyncio-loop-1/../../secret.json", "asyncio-loop-20250101-000000-1.json"):
        _, note = asyncio.run(download_loop_trace(settings, 1, result(name)))
        assert "只保留最近 5 份" in shown(note, "zh").children and shown(note, "zh").className == "msg-error"
    with pytest.raises(PreventUpdate):  # an untraced run has nothing to download
        asyncio.run(download_loop_trace(settings, 1, {"rows": [{"engine": "asyncio", "loop": None}]}))
