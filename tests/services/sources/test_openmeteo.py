"""Open-Meteo against a loopback fake: places located, one request for all, the API's own times."""

import asyncio
from datetime import UTC, datetime

import pytest

from scripts.server import free_port
from services.core.errors import SourceInputError
from services.sources import openmeteo
from services.sources.openmeteo import OpenMeteoSource, check
from tests.services.sources.fake_openmeteo import FakeOpenMeteo
from tests.services.sources.loopback import take, until

OBSERVED_TS = datetime(2026, 11, 27, 10, 45, tzinfo=UTC).timestamp()


def source(api: FakeOpenMeteo, places: list[str], **kw) -> OpenMeteoSource:
    return OpenMeteoSource(
        "weather", places=places, geocoding_url=api.geocoding_url, forecast_url=api.forecast_url, timeout_s=2, **kw
    )


def test_beijing_is_the_capital_and_readings_carry_the_observation_time_of_one_request():
    async def main():
        async with FakeOpenMeteo() as api, source(api, ["北京", "Berlin"], language="zh") as src:
            readings = await take(src, 2)
            return api, src.sensors(), readings, src.status().as_dict()

    api, sensors, readings, status = asyncio.run(main())
    by_id = {s.info.sensor_id: s for s in sensors}
    assert set(by_id) == {"1816670", "2950159"}  # the capital, not the villages listed first
    assert by_id["1816670"].info.name == "北京市, 中国"
    assert by_id["2950159"].info.name == "Berlin, Germany"
    assert {s.info.family for s in sensors} == {"openmeteo"}
    assert [g["language"] for g in api.geocode_requests] == ["zh", "zh"]
    assert len(api.forecast_requests) == 1  # both places in one request
    assert api.forecast_requests[0]["latitude"] == "39.9075,52.52437"
    assert api.forecast_requests[0]["current"] == "temperature_2m,relative_humidity_2m"
    assert [r.sensor_id for r in readings] == ["1816670", "2950159"]
    assert all(r.ts == OBSERVED_TS for r in readings)  # the API's time, not ours
    assert readings[0].temperature_c == 11.6 and readings[0].humidity_pct == 40
    assert by_id["2950159"].temperature_c == 1.3 and by_id["2950159"].humidity_pct == 53
    assert status["state"] == "connected" and status["messages"] == 1 and status["readings"] == 2


def test_coordinates_need_no_geocoding_and_one_place_gets_an_object_answer():
    async def main():
        async with FakeOpenMeteo() as api, source(api, [" 39.9, 116.4 "]) as src:
            return api, await take(src, 1), src.sensors()

    api, readings, sensors = asyncio.run(main())
    assert api.geocode_requests == []
    assert [s.info.sensor_id for s in sensors] == ["39.90,116.40"]
    assert readings[0].sensor_id == "39.90,116.40" and readings[0].temperature_c == 11.6
    assert readings[0].ts == OBSERVED_TS


def test_an_unknown_place_is_rejected_and_the_others_go_on():
    async def main():
        async with FakeOpenMeteo() as api, source(api, ["Atlantis", "Berlin", "95,10"]) as src:
            return await take(src, 1), src.sensors(), src.rejects(), src.status().as_dict()

    readings, sensors, rejects, status = asyncio.run(main())
    assert [(r.where, r.reason) for r in rejects] == [
        ("Atlantis", "sources.reject.place_unknown"),
        ("95,10", "sources.reject.bad_coordinates"),
    ]
    assert [s.info.sensor_id for s in sensors] == ["2950159"]
    assert readings[0].sensor_id == "2950159"
    assert status["state"] == "connected" and status["rejected"] == 2


def test_no_place_found_stops_the_source_and_says_so():
    async def main():
        async with FakeOpenMeteo() as api, source(api, ["Atlantis"]) as src:
            await until(lambda: src.status().state == "stopped")
            return src.status(), api.forecast_requests

    status, forecasts = asyncio.run(main())
    assert status.error == "sources.err.no_places"
    assert forecasts == []


def test_fahrenheit_is_stored_in_celsius_with_the_original_kept():
    async def main():
        async with FakeOpenMeteo() as api:
            api.fahrenheit = True
            async with source(api, ["Berlin"]) as src:
                return await take(src, 1), src.sensors()

    readings, sensors = asyncio.run(main())
    assert readings[0].raw_unit == "F" and readings[0].raw_temperature == 34.3
    assert readings[0].temperature_c == pytest.approx(1.28, abs=0.01)
    assert sensors[0].temperature_c == readings[0].temperature_c


def test_an_error_answer_is_shown_then_retried_with_backoff(monkeypatch):
    monkeypatch.setattr(openmeteo, "BACKOFF_START_S", 0.2)

    async def main():
        async with FakeOpenMeteo() as api:
            api.fail_forecasts = 2
            async with source(api, ["Berlin"]) as src:
                await until(lambda: src.status().state == "retrying")
                error = src.status().error
                readings = await take(src, 1)
                return api, error, readings, src.status().as_dict()

    api, error, readings, status = asyncio.run(main())
    assert error.startswith("HTTP 400: Cannot initialize WeatherVariable")
    assert len(api.forecast_requests) == 3 and len(api.geocode_requests) == 1  # geocoded once
    assert readings[0].ts == OBSERVED_TS
    assert status["state"] == "connected" and status["error"] == "" and status["reconnects"] == 1


def test_an_unreachable_api_is_retrying_with_the_reason():
    async def main():
        url = f"http://127.0.0.1:{free_port()}/v1/search"
        async with OpenMeteoSource("weather", places=["Berlin"], geocoding_url=url, timeout_s=1) as src:
            await until(lambda: src.status().state == "retrying")
            return src.status(), src.sensors()

    status, sensors = asyncio.run(main())
    assert status.error.startswith("cannot reach") and sensors == []


def test_polling_never_runs_faster_than_the_floor_and_needs_a_place():
    assert OpenMeteoSource("w", places=["Berlin"]).period_s == 900
    assert OpenMeteoSource("w", places=["Berlin"], period_s=1).period_s == 60
    with pytest.raises(SourceInputError) as err:
        OpenMeteoSource("w", places=[" "])
    assert err.value.code == "sources.err.no_places"


def test_check_locates_the_first_place_or_says_why_not():
    async def main():
        async with FakeOpenMeteo() as api:
            urls = {"geocoding_url": api.geocoding_url, "forecast_url": api.forecast_url}
            found = await check({"places": ["北京", "Berlin"], "language": "zh"} | urls)
            coordinates = await check({"places": ["52.52,13.41"]} | urls)
            unknown = await check({"places": ["Atlantis"]} | urls)
            api.fail_forecasts = 1
            refused = await check({"places": ["52.52,13.41"]} | urls)
        down = await check({"places": ["Berlin"], "geocoding_url": f"http://127.0.0.1:{free_port()}/"}, timeout_s=1)
        return found, coordinates, unknown, refused, down, await check({"places": []})

    found, coordinates, unknown, refused, down, empty = asyncio.run(main())
    assert found[:2] == (True, "sources.check.ok")
    assert found[2]["where"] == "北京市, 中国 (39.91, 116.40)" and found[2]["latitude"] == 39.9075
    assert coordinates == (
        True,
        "sources.check.ok",
        {"where": "52.52, 13.41", "name": "52.52, 13.41", "latitude": 52.52, "longitude": 13.41},
    )
    assert unknown == (False, "sources.reject.place_unknown", {"place": "Atlantis"})
    assert refused[:2] == (False, "sources.err.http") and refused[2]["status"] == 400
    assert down[:2] == (False, "sources.err.unreachable")
    assert empty == (False, "sources.err.no_places", {})
