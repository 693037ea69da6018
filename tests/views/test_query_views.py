"""The Query page's result: a reading with where it came from, or a message saying what to do."""

from __future__ import annotations

from typing import Any

import pytest

from services.core.errors import EmptyQuery, LooplensError, SensorTimeout
from services.sensors.query import QueryFailure, QueryOutcome
from services.sensors.stations import resolve
from tests.views.helpers import texts
from views.query import make_result


def failure(query: str) -> dict[str, Any]:
    with pytest.raises(LooplensError) as err:
        resolve(query)
    return QueryFailure.from_error(err.value).as_dict()


def test_a_reading_shows_the_sentence_the_station_and_its_provenance_without_retry():
    outcome = QueryOutcome("beijing", 21.26, 48.0, 1_790_000_000, 111, 222, "asyncio", 2, 37.4).as_dict()
    children, retry = make_result(outcome, "zh")
    shown = texts(children)
    assert shown[0] == "当前温度为21.3℃,湿度为48.0%"
    assert shown[1].startswith("北京 · 观测于 ") and shown[1].endswith(" UTC")
    assert shown[2:] == ["Web 进程", "111", "工作进程", "222", "引擎", "asyncio", "尝试次数", "2", "延迟", "37 ms"]
    assert children.className == "result result-ok" and retry is False


def test_an_unknown_station_suggests_close_names_in_the_page_language_or_lists_known_ones():
    result = failure("Bejing")
    assert result["code"] == "error.unknown_station"
    children, retry = make_result(result, "zh")
    message, hint = texts(children)
    assert message == "没有名为“Bejing”的站点。"
    assert hint.startswith("您是不是要找：北京")
    assert children.role == "alert" and retry is False  # retrying the same typo cannot help
    nothing_close, _ = make_result(failure("zzzzqqqq"), "en")
    assert texts(nothing_close)[1].startswith("Known stations include: Beijing, Shanghai")


def test_only_failures_a_retry_can_fix_offer_retry():
    timeout = QueryFailure.from_error(SensorTimeout(attempts=3), "beijing").as_dict()
    children, retry = make_result(timeout, "en")
    assert texts(children) == ["The sensor service did not answer in time (3 attempts)."] and retry is True
    assert children.className == "result result-error error-sensor_timeout"
    empty = QueryFailure.from_error(EmptyQuery()).as_dict()
    assert make_result(empty, "en")[1] is False
    assert make_result(None, "en") == (None, False)  # nothing asked yet: nothing shown
