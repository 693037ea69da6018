"""Home Assistant against a loopback fake: entities found, events read, reconnects, a refused token."""

import asyncio
import json
from datetime import UTC, datetime

import pytest

from scripts.server import free_port
from services.core.errors import SourceInputError
from services.sources.homeassistant import HomeAssistantSource, check
from tests.services.sources.fake_homeassistant import TOKEN, FakeHomeAssistant
from tests.services.sources.loopback import take, until

UPDATED_TS = datetime(2026, 11, 27, 10, 45, 12, 500000, tzinfo=UTC).timestamp()
LATER = "2026-11-27T10:52:03.250000+00:00"
LATER_TS = datetime(2026, 11, 27, 10, 52, 3, 250000, tzinfo=UTC).timestamp()


def source(ha: FakeHomeAssistant, token: str = TOKEN, **kw) -> HomeAssistantSource:
    return HomeAssistantSource("home", url=ha.url + "/", token=token, **{"timeout_s": 2.0} | kw)


def test_entities_are_found_with_names_and_read_at_their_last_updated_time():
    async def main():
        async with FakeHomeAssistant() as ha, source(ha) as src:
            return await take(src, 3), {s.info.sensor_id: s.as_dict() for s in src.sensors()}

    readings, sensors = asyncio.run(main())
    assert set(sensors) == {
        "sensor.living_room_temperature",
        "sensor.living_room_humidity",
        "sensor.porch_temperature",
        "sensor.attic_temperature",
    }  # the light is not a sensor
    assert sensors["sensor.living_room_temperature"]["name"] == "Living room temperature"
    assert {s["family"] for s in sensors.values()} == {"homeassistant"}
    assert {s["period_s"] for s in sensors.values()} == {3600}
    assert [(r.sensor_id, r.ts) for r in readings] == [
        ("sensor.living_room_temperature", UPDATED_TS),  # told as +01:00, the same instant
        ("sensor.living_room_humidity", UPDATED_TS),
        ("sensor.porch_temperature", UPDATED_TS),
    ]
    assert readings[0].temperature_c == 21.5 and readings[1].humidity_pct == 48
    assert readings[2].raw_temperature == 41.0 and readings[2].raw_unit == "F" and readings[2].temperature_c == 5.0
    assert sensors["sensor.porch_temperature"]["temperature_c"] == 5.0
    attic = sensors["sensor.attic_temperature"]
    assert attic["available"] is False and attic["temperature_c"] is None and attic["readings"] == 0


def test_events_arrive_as_readings_and_new_entities_are_found():
    async def main():
        async with FakeHomeAssistant() as ha, source(ha, timeout_s=0.5) as src:
            await take(src, 3)
            await ha.wait_for(lambda: ha.subscriptions == 1)
            await asyncio.sleep(0.8)  # idle longer than the request timeout: the WebSocket stays up
            await ha.push("sensor.living_room_temperature", "22.25", LATER)
            await ha.push("light.kitchen", "off", LATER)
            await ha.push("sensor.attic_temperature", "unknown", LATER)
            await ha.push(
                "sensor.garage_temperature",
                "12",
                LATER,
                device_class="temperature",
                unit_of_measurement="°C",
                friendly_name="Garage temperature",
            )
            readings = await take(src, 2)
            await ha.push("sensor.living_room_humidity", "unavailable", LATER)
            await until(lambda: not sensor(src, "sensor.living_room_humidity")["available"])
            return ha.connections, readings, src.status().as_dict(), sensor(src, "sensor.garage_temperature")

    connections, readings, status, garage = asyncio.run(main())
    assert connections == 1
    assert [(r.sensor_id, r.temperature_c, r.ts) for r in readings] == [
        ("sensor.living_room_temperature", 22.25, LATER_TS),
        ("sensor.garage_temperature", 12.0, LATER_TS),
    ]  # the light and the unknown attic gave nothing
    assert garage["name"] == "Garage temperature" and garage["temperature_c"] == 12.0
    assert status["state"] == "connected" and status["readings"] == 5 and status["rejected"] == 0


def sensor(src: HomeAssistantSource, sensor_id: str) -> dict:
    return next(s.as_dict() for s in src.sensors() if s.info.sensor_id == sensor_id)


def test_after_a_dropped_connection_it_catches_up_resubscribes_and_reads_on():
    async def main():
        async with FakeHomeAssistant() as ha, source(ha) as src:
            await take(src, 3)
            await ha.wait_for(lambda: ha.subscriptions == 1)
            await ha.drop()
            ha.set_state("sensor.living_room_temperature", "23.0", LATER)  # changed while the source was away
            await ha.wait_for(lambda: ha.subscriptions == 2)
            caught_up = await take(src, 3)
            await ha.push("sensor.living_room_temperature", "24.0", LATER)
            return ha.state_requests, caught_up, await take(src, 1), src.status().as_dict()

    state_requests, caught_up, after, status = asyncio.run(main())
    assert state_requests == 2
    assert caught_up[0].sensor_id == "sensor.living_room_temperature" and caught_up[0].temperature_c == 23.0
    assert after[0].temperature_c == 24.0
    assert status["state"] == "connected" and status["reconnects"] == 1


def test_payloads_of_the_wrong_shape_are_rejected_and_the_source_reads_on():
    async def main():
        async with FakeHomeAssistant() as ha, source(ha) as src:
            await take(src, 3)
            await ha.wait_for(lambda: ha.subscriptions == 1)
            await ha.send_raw("{not json")
            await ha.send_event({"event_type": "state_changed", "data": {"new_state": {}}})
            await ha.send_event({"event_type": "state_changed", "data": {"entity_id": "sensor.x", "new_state": 7}})
            await ha.push("sensor.living_room_temperature", "warm", LATER)
            await ha.push("sensor.living_room_temperature", "22.0", "yesterday")
            await ha.push("sensor.living_room_humidity", "140", LATER)
            await ha.push("sensor.living_room_temperature", "22.0", LATER)
            return await take(src, 1), src.rejects(), src.status().as_dict()

    readings, rejects, status = asyncio.run(main())
    assert [r.reason for r in rejects] == [
        "sources.reject.not_json",
        "sources.reject.shape",
        "sources.reject.shape",
        "sources.reject.not_number",
        "sources.reject.bad_time",
        "sources.reject.hum_range",
    ]
    assert readings[0].temperature_c == 22.0
    assert status["state"] == "connected" and status["rejected"] == 6


@pytest.mark.parametrize("refused_by", ["rest", "websocket"])
def test_a_refused_token_is_said_plainly_and_never_shown(refused_by):
    wrong = "wrong-token-0123456789abcdef"

    async def main():
        fake = FakeHomeAssistant(ws_token="another-token") if refused_by == "websocket" else FakeHomeAssistant()
        async with fake as ha, source(ha, token=TOKEN if refused_by == "websocket" else wrong) as src:
            await until(lambda: src.status().error == "sources.err.auth")
            return ha.connections, src.status().state, src.snapshot()

    connections, state, snapshot = asyncio.run(main())
    assert connections == 0 and state == "retrying"
    text = json.dumps(snapshot)
    assert wrong not in text and TOKEN not in text
    assert len(snapshot["sensors"]) == (4 if refused_by == "websocket" else 0)  # REST took the token or did not


def test_check_says_whether_the_server_takes_the_token():
    async def main():
        async with FakeHomeAssistant() as ha:
            ok = await check({"url": ha.url + "/", "token": TOKEN})
            refused = await check({"url": ha.url, "token": "wrong-token-0123456789"})
        down = await check({"url": f"http://127.0.0.1:{free_port()}", "token": TOKEN}, timeout_s=1)
        return (ok, ha.url), refused, down, await check({"url": "ftp://ha.local", "token": TOKEN})

    (ok, url), refused, down, bad_url = asyncio.run(main())
    assert ok == (True, "sources.check.ok", {"where": url, "message": "API running."})
    assert refused == (False, "sources.err.auth", {})
    assert down[:2] == (False, "sources.err.unreachable") and TOKEN not in json.dumps(down)
    assert bad_url == (False, "sources.err.url", {"option": "url"})


def test_an_url_that_is_not_http_is_refused_up_front():
    with pytest.raises(SourceInputError) as err:
        HomeAssistantSource("home", url="ha.local:8123", token=TOKEN)
    assert err.value.code == "sources.err.url"
    src = HomeAssistantSource("home", url="https://ha.example.org/", token=TOKEN)
    assert src.ws_url == "wss://ha.example.org/api/websocket"
