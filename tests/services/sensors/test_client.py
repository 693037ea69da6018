"""The async client against real loopback servers: success, retries, and error mapping."""

import asyncio
import time

import pytest
from aiohttp import web

from scripts.server import free_port
from services.core.errors import SensorBadPayload, SensorServerError, SensorTimeout, SensorUnavailable, StationNotFound
from services.sensors.client import SensorClient
from services.sensors.model import reading_at
from services.sensors.service import FaultConfig, Faults, SensorService
from services.sensors.stations import BY_ID

NOW = 1_790_000_000.0


def with_service(faults: dict, scenario):
    async def main():
        config = FaultConfig.from_dict(faults) if faults else FaultConfig(Faults(5, 0))
        async with SensorService(port=0, seed=5, faults=config, clock=lambda: NOW) as svc:
            return await scenario(svc.url)

    return asyncio.run(main())


def client(url: str, **kw) -> SensorClient:
    kw = {"timeout_s": 0.3, "retries": 2, "backoff_s": 0.01} | kw
    return SensorClient(url, **kw)


def test_fetches_a_reading_in_one_attempt():
    async def scenario(url):
        async with client(url) as c:
            return await c.current("hangzhou")

    result = with_service({}, scenario)
    assert result.attempts == 1
    assert result.reading == reading_at(BY_ID["hangzhou"], NOW, 5)
    assert result.latency_ms > 0


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"error_rate": 1}, SensorServerError),
        ({"malformed_rate": 1}, SensorBadPayload),
        ({"hang_rate": 1}, SensorTimeout),
    ],
)
def test_faults_are_retried_a_bounded_number_of_times_then_mapped(fault, error):
    attempts_seen = []

    async def scenario(url):
        async with client(url, on_attempt=lambda a, n: attempts_seen.append((a, n))) as c:
            started = time.perf_counter()
            with pytest.raises(error) as err:
                await c.current("lab-1")
            return err.value, time.perf_counter() - started

    err, elapsed = with_service({"stations": {"lab-1": fault}}, scenario)
    assert err.attempts == 3
    assert attempts_seen == [(1, 3), (2, 3), (3, 3)]
    if error is SensorTimeout:
        assert 0.9 <= elapsed < 2.0  # three 0.3 s timeouts plus small backoffs, then give up


def test_unknown_station_is_not_retried():
    async def scenario(url):
        async with client(url) as c:
            with pytest.raises(StationNotFound) as err:
                await c.current("atlantis")
            return err.value

    assert with_service({}, scenario).attempts == 1


def test_service_down_is_unavailable():
    async def scenario():
        async with client(f"http://127.0.0.1:{free_port()}") as c:
            with pytest.raises(SensorUnavailable) as err:
                await c.current("beijing")
            return err.value

    assert asyncio.run(scenario()).attempts == 3


def test_a_transient_failure_recovers_on_retry():
    calls = []

    async def flaky(request):
        calls.append(request.path)
        if len(calls) == 1:
            return web.json_response({"error": "busy"}, status=502)
        return web.json_response(reading_at(BY_ID["wuhan"], NOW, 1).as_dict())

    async def main():
        app = web.Application()
        app.router.add_get("/stations/{sid}", flaky)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with client(f"http://127.0.0.1:{port}") as c:
                return await c.current("wuhan")
        finally:
            await runner.cleanup()

    result = asyncio.run(main())
    assert result.attempts == 2 and len(calls) == 2
    assert result.reading.station_id == "wuhan"
