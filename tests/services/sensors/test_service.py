"""The sensor service over real loopback HTTP, with its fault injection."""

import asyncio
import json
import time

import aiohttp

from services.sensors.model import reading_at
from services.sensors.service import FaultConfig, Faults, SensorService
from services.sensors.stations import BY_ID, STATIONS

FIXED_NOW = 1_790_000_123.4


def run(scenario):
    """Start a service on a free loopback port, run ``scenario(service, session)``."""

    async def main():
        faults = FaultConfig(default=Faults(latency_ms=5, jitter_ms=0))
        async with SensorService(port=0, seed=3, faults=faults, clock=lambda: FIXED_NOW) as svc:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
                return await scenario(svc, session)

    return asyncio.run(main())


def test_lists_stations_and_serves_deterministic_readings():
    async def scenario(svc, session):
        async with session.get(f"{svc.url}/stations") as resp:
            stations = (await resp.json())["stations"]
        async with session.get(f"{svc.url}/stations/chengdu") as resp:
            reading = await resp.json()
        async with session.get(f"{svc.url}/health") as resp:
            health = await resp.json()
        return stations, reading, health

    stations, reading, health = run(scenario)
    assert [s["id"] for s in stations] == [s.id for s in STATIONS]
    assert {"name_en": "Chengdu", "name_zh": "成都"}.items() <= stations[4].items()
    expected = reading_at(BY_ID["chengdu"], FIXED_NOW, 3)
    assert reading["temperature_c"] == expected.temperature_c
    assert reading["humidity_pct"] == expected.humidity_pct
    assert reading["time"].endswith("+00:00")
    assert health["status"] == "ok"


def test_unknown_station_is_a_404_with_a_json_error():
    async def scenario(svc, session):
        async with session.get(f"{svc.url}/stations/atlantis") as resp:
            return resp.status, await resp.json()

    assert run(scenario) == (404, {"error": "unknown station"})


def test_injected_error_malformed_and_latency_faults():
    async def scenario(svc, session):
        svc.faults = FaultConfig.from_dict(
            {
                "default": {"latency_ms": 5, "jitter_ms": 0},
                "stations": {"lab-1": {"error_rate": 1}, "lab-2": {"malformed_rate": 1}, "lab-3": {"latency_ms": 250}},
            }
        )
        async with session.get(f"{svc.url}/stations/lab-1") as resp:
            error = resp.status
        async with session.get(f"{svc.url}/stations/lab-2") as resp:
            body = await resp.text()
        started = time.perf_counter()
        async with session.get(f"{svc.url}/stations/lab-3") as resp:
            await resp.read()
        slow = time.perf_counter() - started
        async with session.get(f"{svc.url}/stations/beijing") as resp:
            healthy = resp.status
        return error, body, slow, healthy

    error, body, slow, healthy = run(scenario)
    assert error == 503
    try:
        json.loads(body)
        raise AssertionError("malformed fault returned valid JSON")
    except json.JSONDecodeError:
        pass
    assert slow >= 0.25
    assert healthy == 200  # per-station faults leave the others alone


def test_a_hanging_station_does_not_answer_but_others_do():
    async def scenario(svc, session):
        svc.faults = FaultConfig.from_dict({"stations": {"lab-1": {"hang_rate": 1}}})
        hang = asyncio.create_task(session.get(f"{svc.url}/stations/lab-1"))
        async with session.get(f"{svc.url}/stations/beijing") as resp:
            other = resp.status
        done, _ = await asyncio.wait({hang}, timeout=0.5)
        hang.cancel()
        return other, bool(done)

    assert run(scenario) == (200, False)


def test_fault_settings_change_at_runtime_and_bad_settings_are_refused():
    async def scenario(svc, session):
        async with session.put(f"{svc.url}/faults", json={"default": {"error_rate": 2}}) as resp:
            bad = resp.status, (await resp.json())["error"]
        async with session.put(f"{svc.url}/faults", data="not json") as resp:
            not_json = resp.status
        async with session.put(f"{svc.url}/faults", json={"stations": {"mars": {}}}) as resp:
            unknown = resp.status
        async with session.put(f"{svc.url}/faults", json={"stations": {"lab-1": {"error_rate": 1}}}) as resp:
            ok = resp.status
        async with session.get(f"{svc.url}/faults") as resp:
            now = await resp.json()
        return bad, not_json, unknown, ok, now

    bad, not_json, unknown, ok, now = run(scenario)
    assert bad == (400, "error_rate must be between 0 and 1, got 2")
    assert not_json == 400 and unknown == 400
    assert ok == 200
    assert now["stations"]["lab-1"]["error_rate"] == 1
    assert now["default"]["error_rate"] == 0
