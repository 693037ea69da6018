"""Query callbacks called as plain functions, against the real sensor service."""

import asyncio
import os
from pathlib import Path

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from callbacks.i18n import translate
from callbacks.query import HIDDEN, SHOWN, ask, render, run, submit
from services.core.jobpool import JobPool
from services.core.settings import Settings
from services.live.meta import write_sources
from services.live.store import ReadingStore
from services.ops.query_job import query_job
from services.sensors.model import reading_at
from services.sensors.stations import BY_ID
from services.sources.model import SourceReading
from tests.helpers import SEED

NO_STORE = Settings(data_dir=Path("/nonexistent/looplens"))  # no collector has written: the simulated fleet


def text_of(component) -> str:
    """All text under a Dash component, as a browser would show it."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def test_submit_turns_a_known_name_into_a_new_job_each_time():
    job, result = asyncio.run(submit(NO_STORE, 1, None, None, " 北京 ", None))
    assert {k: job[k] for k in ("station", "name", "nonce")} == {"station": "beijing", "name": "Beijing", "nonce": 1}
    assert result is None
    job2, _ = asyncio.run(submit(NO_STORE, 2, None, None, "beijing", job))
    assert (job2["station"], job2["nonce"]) == ("beijing", 2) and job2["id"] != job["id"]  # same station again runs


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "error.empty"),
        ("   ", "error.empty"),
        (None, "error.empty"),
        ("x" * 101, "error.too_long"),
        ("Shangai", "error.unknown_station"),
        ("<img src=x onerror=alert(1)>", "error.unknown_station"),
    ],
)
def test_submit_answers_bad_input_at_once_without_starting_a_job(typed, code):
    job, result = asyncio.run(submit(NO_STORE, 1, None, None, typed, None))
    assert job is no_update
    assert result["ok"] is False and result["code"] == code


@pytest.fixture
def pool():
    jobs = JobPool(2)
    yield jobs
    jobs.close()


def in_worker(pool, settings, job, lang, progress):
    return asyncio.run(pool.run("job-1", query_job, settings, job, lang, on_progress=progress.append))


def test_the_job_fetches_the_reading_in_a_worker_process_and_reports_progress(pool, settings):
    progress = []
    result = in_worker(pool, settings, {"station": "shanghai", "nonce": 1}, "en", progress)
    assert result["ok"] is True
    expected = reading_at(BY_ID["shanghai"], result["observed_ts"], SEED)
    assert (result["temperature_c"], result["humidity_pct"]) == (expected.temperature_c, expected.humidity_pct)
    assert result["worker_pid"] != os.getpid() and result["web_pid"] == os.getpid() and result["attempts"] == 1
    assert progress == [f"Fetching Shanghai in worker process {result['worker_pid']} — attempt 1 of 3…"]
    again = in_worker(pool, settings, {"station": "beijing", "nonce": 2}, "en", [])
    assert again["worker_pid"] == result["worker_pid"]  # the worker is kept for the next job


def test_the_job_turns_a_sensor_fault_into_a_retryable_message(pool, settings, sensor):
    sensor.set_faults({"stations": {"lab-2": {"error_rate": 1, "latency_ms": 1}}})
    progress = []
    result = in_worker(pool, settings, {"station": "lab-2", "nonce": 1}, "zh", progress)
    assert result == {
        "code": "error.sensor_server_error",
        "params": {"attempts": 3, "status": 503},
        "station_id": "lab-2",
        "ok": False,
    }
    assert len(progress) == 3 and "第 3/3 次尝试" in progress[-1]
    children, retry_style = asyncio.run(render(result, "zh"))
    assert text_of(children) == "传感器服务返回了错误（已尝试 3 次）。"
    assert retry_style == SHOWN


def test_a_bad_name_is_answered_at_once_in_the_language_without_a_job(pool, settings):
    result, children, retry = asyncio.run(ask(pool, settings, 1, None, None, "Shangai", None, "zh"))
    assert result["code"] == "error.unknown_station" and retry == HIDDEN
    assert "您是不是要找：上海" in text_of(children) and pool.idle_pids() == []  # a suggestion; no worker started


def test_run_without_a_job_does_nothing(pool, settings):
    for job in (None, {"station": "beijing"}, {"station": 3, "id": "x"}):
        with pytest.raises(PreventUpdate):
            asyncio.run(run(pool, settings, job, "en"))


def test_render_shows_the_sentence_in_english_and_chinese_with_provenance():
    outcome = {
        "ok": True,
        "station_id": "beijing",
        "temperature_c": 23.4,
        "humidity_pct": 38.5,
        "observed_ts": 1_790_000_000,
        "web_pid": 10,
        "worker_pid": 11,
        "engine": "e",
        "attempts": 2,
        "latency_ms": 123.4,
    }
    en, retry = asyncio.run(render(outcome, "en"))
    assert "Current temperature 23.4 °C, humidity 38.5 %" in text_of(en)
    assert "Worker process 11" in text_of(en) and "Attempts 2" in text_of(en)
    assert retry == HIDDEN
    zh, _ = asyncio.run(render(outcome, "zh"))
    assert "当前温度为23.4℃,湿度为38.5%" in text_of(zh)
    assert "北京" in text_of(zh)


def test_render_keeps_markup_as_text_and_suggests_names():
    _, result = asyncio.run(submit(NO_STORE, 1, None, None, "<script>alert(1)</script>", None))
    children, retry = asyncio.run(render(result, "en"))
    assert "No station is called “<script>alert(1)</script>”." in text_of(children)
    assert retry == HIDDEN  # retrying the same unknown name cannot help
    _, result = asyncio.run(submit(NO_STORE, 1, None, None, "Shangai", None))
    assert "Did you mean: Shanghai" in text_of(asyncio.run(render(result, "en"))[0])


def test_language_switch_translates_every_text_and_ignores_unknown_languages():
    keys = [{"type": "i18n", "key": "nav.query"}, {"type": "i18n", "key": "query.submit"}]
    assert asyncio.run(translate("zh", keys)) == ["查询", "查询"]
    assert asyncio.run(translate("en", keys)) == ["Query", "Get reading"]
    assert asyncio.run(translate("klingon", keys)) == ["Query", "Get reading"]


def test_a_sensor_of_another_source_is_found_by_name_and_answered_from_the_store(tmp_path):
    settings = Settings(data_dir=tmp_path)
    snapshot = {
        "sources": [
            {
                "config": {"name": "home", "kind": "mqtt"},
                "sensors": [{"key": "home:living/th", "source": "home", "name": "Living room", "period_s": 3600}],
            }
        ]
    }
    with ReadingStore(settings.store_path) as store:
        write_sources(store, snapshot)
        store.add([(SourceReading("home", "living/th", 1_700_000_000, humidity_pct=44.0), 1_700_000_000_000)])
    job, result = asyncio.run(submit(settings, 1, None, None, "living room", None))
    assert job["station"] == "home:living/th" and result is None
    jobs = JobPool(1)
    try:
        answer = in_worker(jobs, settings, job, "en", [])
    finally:
        jobs.close()
    assert (answer["ok"], answer["humidity_pct"], answer["temperature_c"]) == (True, 44.0, None)
    shown = text_of(asyncio.run(render(answer, "en"))[0])
    assert "Current humidity 44.0 %" in shown and "Living room" in shown
