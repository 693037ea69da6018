"""Each seed demo runs for real and its log tells the expected story."""

from __future__ import annotations

import os

import pytest

from services.core.i18n import LANGS, TEXT, t
from services.demos.programs import DEMOS, run_demo


def steps(log) -> list[str]:
    return [line.key.rsplit(".", 1)[1] for line in log.lines]


def test_a_callback_given_to_a_child_runs_in_the_child_and_a_pool_callback_in_the_parent(sensor):
    log = run_demo("process_callback", sensor.url, 0.1)
    assert steps(log) == ["start", "started", "fetched", "callback", "parent_empty", "pool_callback", "conclusion"]
    by_step = {line.key.rsplit(".", 1)[1]: line for line in log.lines}
    child = by_step["started"].params["child_pid"]
    assert by_step["callback"].pid == child != os.getpid()
    assert by_step["parent_empty"].params["received"] == 0
    assert by_step["pool_callback"].pid == os.getpid() != by_step["pool_callback"].params["worker_pid"]


def test_a_task_goes_pending_to_finished_and_partial_passes_the_unit(sensor):
    log = run_demo("task_callback", sensor.url, 0.1)
    assert steps(log) == ["coroutine", "task_pending", "callback", "callback", "task_finished"]
    c, f = (line.params for line in log.lines[2:4])
    assert (c["unit"], f["unit"]) == ("C", "F")
    # both rounded to 0.1: a reading of 24.75 shows as 24.8 °C and 76.5 °F (76.55 is a hair under in binary)
    assert f["value"] == pytest.approx(c["value"] * 9 / 5 + 32, abs=0.05 * 9 / 5 + 0.05 + 1e-9)
    assert any(span.lane == "get_reading(guangzhou)" for span in log.spans)  # traced on its own lane


def test_pool_fetches_in_workers_and_parses_in_the_parent(sensor):
    log = run_demo("pool_pids", sensor.url, 0.1)
    fetched = [line for line in log.lines if line.key.endswith(".fetched")]
    parsed = [line for line in log.lines if line.key.endswith(".parsed")]
    assert len(fetched) == len(parsed) == 4
    assert os.getpid() not in {line.pid for line in fetched}
    assert {line.pid for line in parsed} == {os.getpid()}


def test_event_workers_connect_when_the_check_passes_and_time_out_after_3_tries_when_not(sensor):
    log = run_demo("event_retry", sensor.url, 0.25)  # 125 ms per attempt: the check (150 ms) lands in attempt 2
    names = steps(log)
    up, down = names[: names.index("case_down")], names[names.index("case_down") :]
    assert up.count("connected") == 2 and "timeout" not in up and "check_ok" in up
    assert down.count("timeout") == 2 and "connected" not in down and "check_failed" in down
    assert down.count("waiting") == 6  # 3 attempts each


def test_the_call_chain_runs_1_2_3_in_turn_until_the_horizon_with_lateness(sensor):
    log = run_demo("call_chain", sensor.url, 0.05)
    called = [line.params for line in log.lines if line.key.endswith(".called")]
    assert [c["n"] for c in called] == [1, 2, 3, 1, 2, 3, 1, 2, 3]
    assert all(0 <= float(c["late"]) < 100 for c in called)  # a timer never runs early
    assert steps(log)[-1] == "stop"
    assert len([s for s in log.spans if s.label == "function"]) == 9  # every call traced once


def test_greenlets_overlap_and_sequential_does_not(sensor):
    log = run_demo("gevent", sensor.url, 0.1)
    seconds = {line.key.rsplit(".", 1)[1]: float(line.params["seconds"]) for line in log.lines}
    assert seconds["sequential"] >= 10 * 0.05 * 0.95
    assert seconds["greenlets"] < seconds["sequential"] / 4
    assert log.lines[0].pid != os.getpid()  # gevent ran in a process of its own


def test_every_demo_line_has_both_languages():
    keys = [k for k in TEXT if k.startswith("demo.")]
    assert {k.split(".")[1] for k in keys} == set(DEMOS)
    for key in keys:
        for lang in LANGS:
            assert TEXT[key].get(lang), (key, lang)
    assert "延迟" in t("demo.call_chain.called", "zh", n=1, at="0.10", late="0.3")
