"""Lab page callbacks called as functions."""

from __future__ import annotations

import asyncio

import pytest
from dash.exceptions import PreventUpdate

from callbacks.lab import cancel, check_job, download_loop_trace, render, submit
from services.core.errors import LabInputError
from services.core.settings import Settings


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


def test_refusals_and_outcomes_are_messages_in_the_page_language(tmp_path):
    _, msg = asyncio.run(submit(1, "5000", "100", "0", "8", ["threads"], [], "zh", None))
    assert "N 须为 1 到 2000 的整数" in msg.children and msg.className == "msg-error"
    _, msg = asyncio.run(submit(1, "50", "100", "0", "8", ["threads"], ["trace"], "en", None))
    assert "needs the asyncio engine" in msg.children and msg.className == "msg-error"
    msg, *_ = asyncio.run(render({"error": "lab.err.busy"}, "en"))
    assert "Another lab run" in msg.children
    msg = asyncio.run(cancel(Settings(data_dir=tmp_path), 4242, "zh"))  # no run holds the lock: nothing killed
    assert msg.children.startswith("已取消")


def test_a_loop_trace_is_handed_out_only_from_the_labs_folder_by_a_name_the_lab_makes(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    folder = settings.lab_dir
    folder.mkdir(parents=True)
    (folder / "asyncio-loop-20261123-010203-42.json").write_text('{"traceEvents": []}')
    (tmp_path / "data" / "secret.json").write_text("{}")

    def result(name):
        return {"rows": [{"engine": "threads", "loop": None}, {"engine": "asyncio", "loop": {"file": name}}]}

    sent, msg = asyncio.run(download_loop_trace(settings, 1, result("asyncio-loop-20261123-010203-42.json"), "en"))
    assert sent["filename"] == "looplens-lab-asyncio-loop-20261123-010203-42.json" and msg == ""
    for name in ("../secret.json", "asyncio-loop-1/../../secret.json", "asyncio-loop-20250101-000000-1.json"):
        _, msg = asyncio.run(download_loop_trace(settings, 1, result(name), "zh"))
        assert "只保留最近 5 份" in msg.children and msg.className == "msg-error"
    with pytest.raises(PreventUpdate):  # an untraced run has nothing to download
        asyncio.run(download_loop_trace(settings, 1, {"rows": [{"engine": "asyncio", "loop": None}]}, "en"))
