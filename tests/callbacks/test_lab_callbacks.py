"""Lab page callbacks called as functions."""

from __future__ import annotations

import asyncio

import pytest

from callbacks.lab import cancel, check_job, render, submit
from services.settings import Settings
from services.lab import LabInputError


def test_a_good_workload_becomes_a_job_in_the_pages_engine_order():
    job = check_job("100", " 50 ", "2.5", "8", ["gevent", "threads"], {"nonce": 4})
    assert job == {"n": 100, "latency_ms": 50.0, "cpu_ms": 2.5, "workers": 8,
                   "engines": ["threads", "gevent"], "nonce": 5}


@pytest.mark.parametrize("n, latency, cpu, workers, engines, code", [
    ("ten", "100", "0", "8", ["threads"], "lab.err.n_range"),
    ("10.5", "100", "0", "8", ["threads"], "lab.err.n_range"),
    ("10", "", "0", "8", ["threads"], "lab.err.latency_range"),
    ("10", "100", "300", "8", ["threads"], "lab.err.cpu_range"),
    ("10", "100", "0", "0", ["threads"], "lab.err.workers_range"),
    ("100", "100", "0", "8", ["process_per_item"], "lab.err.per_item_cap"),
    ("10", "100", "0", "8", [], "lab.err.no_engine"),
])
def test_bad_workloads_are_refused(n, latency, cpu, workers, engines, code):
    with pytest.raises(LabInputError) as err:
        check_job(n, latency, cpu, workers, engines, None)
    assert err.value.code == code


def test_refusals_and_outcomes_are_messages_in_the_page_language(tmp_path):
    _, msg = asyncio.run(submit(1, "5000", "100", "0", "8", ["threads"], "zh", None))
    assert "N 须为 1 到 2000 的整数" in msg.children and msg.className == "msg-error"
    msg, *_ = asyncio.run(render({"error": "lab.err.busy"}, "en"))
    assert "Another lab run" in msg.children
    msg = asyncio.run(cancel(Settings(data_dir=tmp_path), 4242, "zh"))  # no run holds the lock: nothing killed
    assert msg.children.startswith("已取消")
