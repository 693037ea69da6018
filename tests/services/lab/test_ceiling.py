"""The loopback request ceiling and the ideal it makes: measured steadily, never above a run."""

from __future__ import annotations

import asyncio

from aiohttp import web

from services.lab.ceiling import CONNECTIONS, Ceiling, measure_ceiling, request_ceiling
from services.lab.run import LabResult
from services.lab.workload import EngineRun, Item, Workload, served_stations
from tests.services.sources.loopback import serve


def test_the_ceiling_is_the_best_of_several_rounds_over_a_few_kept_alive_connections():
    peers: set[tuple[str, int]] = set()

    async def reading(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))  # one per connection
        return web.json_response({"station": "x"})

    async def main() -> Ceiling:
        app = web.Application()
        app.router.add_get("/stations/{station}", reading)
        runner, port = await serve(app)
        try:
            return await measure_ceiling(f"http://127.0.0.1:{port}", "x", rounds=5, per_round=200)
        finally:
            await runner.cleanup()

    ceiling = asyncio.run(main())
    # never a burst of new connections: the sensor service listens with a backlog of 128,
    # and a handshake that overflows it waits a second for TCP to try again
    assert 0 < len(peers) <= CONNECTIONS
    assert len(ceiling.rounds) == 5 and 0 < ceiling.low <= ceiling.median <= ceiling.rate == max(ceiling.rounds)


def test_the_real_service_answers_the_measurement(sensor):
    ceiling = request_ceiling(sensor.url, served_stations(sensor.url)[0])
    assert len(ceiling.rounds) >= 5 and ceiling.low > 0


def result(*walls: float, ceiling: float = 100.0, failed: bool = False) -> LabResult:
    """A finished run of N = 50 at L = 100 ms: the model's floor is N / ceiling = 0.5 s."""
    w = Workload(50, 100, 0, 4, "http://127.0.0.1:9", ("x",))
    runs = []
    for k, wall in enumerate(walls):
        items = [Item(i, 0, 1, 1, "", ("x", 1, 20.0, 50.0), "timeout" if failed else "") for i in range(50)]
        runs.append(EngineRun(f"engine{k}", wall_s=wall, items=items))
    return LabResult(w, [r.engine for r in runs], 0, Ceiling((ceiling * 0.8, ceiling)), runs=runs)


def test_a_run_faster_than_the_model_lowers_the_ideal_to_its_own_time():
    data = result(0.9, 0.3, 0.4).as_dict()
    assert data["model_s"] == 0.5 and data["model_term"] == "io"
    assert data["ideal_s"] == 0.3  # never above what a run achieved
    assert [round(r["ratio"], 2) for r in data["rows"]] == [3.0, 1.0, 1.33]  # none below 1×
    assert [r["beat_model"] for r in data["rows"]] == [False, True, True]
    assert (data["ceiling"], data["ceiling_low"], data["ceiling_rounds"]) == (100.0, 80.0, 2)


def test_the_model_stands_when_no_complete_run_beats_it():
    data = result(0.9, 0.6).as_dict()
    assert data["ideal_s"] == data["model_s"] == 0.5 and not any(r["beat_model"] for r in data["rows"])
    failed = result(0.1, failed=True).as_dict()  # quick because every fetch failed: no proof of anything
    assert failed["ideal_s"] == 0.5 and failed["rows"][0]["beat_model"] is False
