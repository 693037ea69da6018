"""The trace service over real loopback HTTP, and the page's session fed by its answers."""

from __future__ import annotations

import asyncio
import os
import time

import aiohttp
import pytest

from scripts.server import free_port
from services.core.errors import TraceRefused, TraceUnavailable
from services.tracing.answer import MAX_ROWS
from services.tracing.client import TraceClient
from services.tracing.hub import TraceHub
from services.tracing.routes import serve_trace
from services.tracing.view import CHUNK, END, INTERNAL, LANE, NAME, START, TASK, TraceSession, TraceView


async def app_poll(period: float) -> None:
    """Stands in for a collector's poll task: sleeps, with a little work per wake-up."""
    while True:
        await asyncio.sleep(period)
        sum(range(1000))


def cancellable(task: asyncio.Task[object]) -> bool:
    return task.get_name().startswith("poll-")


async def with_service(body, idle_s: float = 30.0):
    loop = asyncio.get_running_loop()
    polls = [asyncio.create_task(app_poll(0.02), name=f"poll-{i}") for i in range(3)]
    port = free_port()
    try:
        async with (
            TraceHub(loop, idle_s=idle_s, cancellable=cancellable) as hub,
            serve_trace(hub, "127.0.0.1", port),
            TraceClient(f"http://127.0.0.1:{port}") as client,
        ):
            return await body(hub, client, polls)
    finally:
        for task in polls:
            task.cancel()


def test_a_watched_loop_shows_its_tasks_and_hides_internals_on_request():
    async def body(hub, client, polls):
        assert not hub.tracer.attached  # nobody watching: untraced
        first = await client.poll(-1, 5)
        assert hub.tracer.attached
        assert first["stats"]["events_per_s"] is None and first["stats"]["overhead_pct"] is None  # no rate yet
        await asyncio.sleep(0.3)
        answer = await client.poll(first["cursor"], 5)
        lanes = {row[LANE] for row in answer["rows"]}
        assert {"poll-0", "poll-1", "poll-2"} <= lanes  # tasks created before the attach are named
        app_rows = [row for row in answer["rows"] if row[LANE].startswith("poll-")]
        assert app_rows and not any(row[INTERNAL] for row in app_rows)
        internal = [row for row in answer["rows"] if row[INTERNAL]]
        assert internal  # the HTTP server's own callbacks, the lag probe
        assert not any(row[LANE].startswith("poll-") for row in internal)
        assert answer["stats"]["events_per_s"] > 0 and answer["stats"]["dropped"] == 0
        again = await client.poll(answer["cursor"], 5)
        assert min(row[0] for row in again["rows"]) > answer["cursor"]  # nothing twice

    asyncio.run(with_service(body))


def test_an_unwatched_trace_detaches_and_restores_the_loop():
    async def body(hub, client, polls):
        loop = asyncio.get_running_loop()
        await client.poll(-1, 5)
        assert "call_soon" in loop.__dict__
        for _ in range(8):  # a paused page: watching without taking rows keeps it attached
            await client.watch()
            await asyncio.sleep(0.2)
        assert hub.tracer.attached
        deadline = time.monotonic() + 5
        while hub.tracer.attached and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not hub.tracer.attached
        assert "call_soon" not in loop.__dict__

    asyncio.run(with_service(body, idle_s=0.5))


def test_blocking_the_loop_is_a_slow_row_and_a_lag_spike():
    async def body(hub, client, polls):
        cursor = (await client.poll(-1, 5))["cursor"]
        await asyncio.sleep(0.2)
        name = await client.block(120)
        await asyncio.sleep(0.4)
        answer = await client.poll(cursor, 5)
        blocked = [row for row in answer["rows"] if row[LANE] == name]
        assert len(blocked) >= 1
        # a sleep never ends early; on a busy VM it can end a few scheduler slices late
        assert 119e6 <= max(row[END] - row[START] for row in blocked) <= 180e6
        # the probe sleeps 50 ms at a time: it wakes at least block − 50 ms late
        assert max(lag for _, lag in answer["lag"]) >= 120e6 - 50e6 - 5e6
        with pytest.raises(TraceRefused) as err:
            await client.block(0)
        assert err.value.code == "trace.err.block_range"

    asyncio.run(with_service(body))


def test_only_allowed_tasks_can_be_cancelled_and_a_finished_one_is_gone():
    async def body(hub, client, polls):
        await client.poll(-1, 5)
        await asyncio.sleep(0.1)
        serials = {task.get_name(): r.serial for r in hub.tracer.tasks() if (task := hub.tracer.live_task(r.serial))}
        info = await client.task(serials["poll-1"])
        assert info["name"] == "poll-1" and info["coro"] == "app_poll" and info["cancellable"]
        assert info["state"] == "waiting" and "app_poll" in info["stack"][0]
        probe = await client.task(serials["looplens: lag probe"])
        assert not probe["cancellable"]
        with pytest.raises(TraceRefused) as err:
            await client.cancel(serials["looplens: lag probe"])
        assert err.value.code == "trace.err.not_cancellable"
        assert await client.cancel(serials["poll-1"]) == "poll-1"
        await asyncio.sleep(0.05)
        assert polls[1].cancelled() and not polls[0].done()
        assert (await client.task(serials["poll-1"]))["state"] == "cancelled"
        with pytest.raises(TraceRefused):
            await client.cancel(serials["poll-1"])

    asyncio.run(with_service(body))


def test_pool_jobs_run_in_worker_processes_and_export_as_chrome_trace():
    async def body(hub, client, polls):
        cursor = (await client.poll(-1, 5))["cursor"]
        assert await client.jobs(4, 20) == 4
        deadline = time.monotonic() + 10
        jobs: list = []
        while len(jobs) < 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            answer = await client.poll(cursor, 5)
            cursor = answer["cursor"]
            jobs += [j for j in answer["jobs"] if j[4] and j[0] not in {k[0] for k in jobs}]
        assert len(jobs) == 4
        pids = {j[5] for j in jobs}
        assert pids and hub.tracer.pid not in pids  # they ran elsewhere
        doc = await client.export(10)
        events = doc["traceEvents"]
        assert {e["pid"] for e in events if e.get("cat") == "job"} >= pids
        assert any(e["ph"] == "X" and e["name"].startswith("step app_poll") for e in events)
        with pytest.raises(TraceRefused):
            await client.jobs(1000, 20)

    asyncio.run(with_service(body))


def test_no_trace_service_is_a_clear_error():
    async def body():
        async with TraceClient(f"http://127.0.0.1:{free_port()}", timeout_s=1) as client:
            await client.poll()

    with pytest.raises(TraceUnavailable):
        asyncio.run(body())


def test_the_sensor_service_process_traces_its_own_loop_with_a_lane_per_request_route(sensor):
    async def body():
        async with TraceClient(sensor.url) as trace, aiohttp.ClientSession() as http:
            first = await trace.poll(-1, 5)  # the first ask attaches the tracer
            cursor = first["cursor"]
            lanes: dict[str, bool] = {}
            deadline = time.monotonic() + 10
            # a poll's own request task is still running when it answers: the next one has it
            while (
                not ("GET /stations/beijing" in lanes and any("/trace" in lane for lane in lanes))
                and time.monotonic() < deadline
            ):
                for path in ("/stations/beijing", "/stations"):
                    async with http.get(f"{sensor.url}{path}") as resp:
                        assert resp.status == 200
                async with http.get(f"{sensor.url}/{'x' * 500}") as resp:  # a client's own text
                    assert resp.status == 404
                await asyncio.sleep(0.1)
                answer = await trace.poll(cursor, 5)  # this test's rows only: the service is the session's
                cursor = answer["cursor"]
                lanes.update((row[LANE], row[INTERNAL]) for row in answer["rows"])
            return first, lanes

    first, lanes = asyncio.run(body())
    assert first["pid"] != os.getpid()  # the service's own process, not this one
    # each request's task is named after its route, and it is the service's own work
    assert lanes.get("GET /stations/beijing") is False and lanes.get("GET /stations") is False
    assert "GET (no such route)" in lanes and max(map(len, lanes)) <= 80
    trace_lanes = [lane for lane in lanes if "/trace" in lane]
    assert trace_lanes and all(lane.startswith("looplens: ") and lanes[lane] for lane in trace_lanes)


def answer(rows, cursor, now_ns, jobs=(), lag=()):
    return {
        "pid": 1,
        "now_ns": now_ns,
        "wall_offset_ns": 0,
        "cursor": cursor,
        "rows": rows,
        "jobs": list(jobs),
        "lag": list(lag),
        "slow": [],
        "stats": {"events_per_s": 1.0},
    }


def row(seq, start_ms, ms, lane="poll-a", internal=False):
    start = int(start_ms * 1e6)
    return [seq, 0, start, start + int(ms * 1e6), 0, 7, lane, "step poll", internal]


def test_the_session_bounds_each_series_by_swapping_chunks():
    session = TraceSession(TraceView(hide_internal=True, slow_ms=50))
    first = session.feed(answer([row(0, 0, 0.1), row(1, 1, 0.1, internal=True)], 1, 2_000_000))
    assert len(first.points["ticks"]) == 1  # the internal row is hidden
    assert "ticks" in first.fresh and first.chunks["ticks"] == 0
    seq, chunks_seen = 2, set()
    for _batch in range(40):
        rows = [row(seq + i, seq + i, 0.1) for i in range(200)]
        seq += 200
        update = session.feed(answer(rows, seq - 1, seq * 1_000_000))
        chunks_seen.add(update.chunks["ticks"])
        held = session._heads["ticks"][1]
        assert held <= CHUNK["ticks"]
    assert chunks_seen == {0, 1}  # it swapped heads, so the figure never holds more than 2 chunks


def test_the_slow_table_follows_the_threshold_newest_first():
    session = TraceSession(TraceView(slow_ms=100))
    session.feed(answer([], 0, 0))
    update = session.feed(answer([row(1, 0, 5), row(2, 10, 150), row(3, 400, 120)], 3, 600_000_000))
    assert update.slow_changed
    assert len(update.points["slow"]) == 6  # two red bars (start, end, gap each)
    assert [r["ms"] for r in session.slow_rows()] == [120.0, 150.0]
    session.view = TraceView(slow_ms=1)
    assert [r["ms"] for r in session.slow_rows()] == [120.0, 150.0, 5.0]


def test_closing_the_hub_cancels_a_block_it_started():
    async def body():
        loop = asyncio.get_running_loop()
        async with TraceHub(loop) as hub:
            name = hub.block(2000)
        left = [t for t in asyncio.all_tasks() if t.get_name() == name]
        return left

    started = time.perf_counter()
    assert asyncio.run(body()) == []
    assert time.perf_counter() - started < 1.5  # the 2 s block never ran


def test_a_flood_sends_the_newest_rows_counts_the_rest_and_keeps_its_slow_ones():
    async def body(hub, client, polls):
        cursor = hub.poll(-1, 5)["cursor"]

        def stuck() -> None:
            time.sleep(0.004)  # a 4 ms callback, then far more rows than one answer carries

        asyncio.get_running_loop().call_soon(stuck)
        await asyncio.sleep(0)
        for _ in range(3):
            for _ in range(MAX_ROWS):
                asyncio.get_running_loop().call_soon(int)
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        answer = hub.poll(cursor, 5)
        assert MAX_ROWS - 50 <= len(answer["rows"]) <= MAX_ROWS  # the newest (less those still due)
        assert answer["skipped"] >= 2 * MAX_ROWS  # counted, not sent
        assert all(r[0] > cursor for r in answer["rows"]) and answer["rows"][-1][0] == answer["cursor"]
        slow = [r for r in hub.poll(-1, 5)["slow"] if r[END] - r[START] >= 4e6]
        assert "stuck" in [r[NAME].rsplit(".", 1)[-1] for r in slow]  # passed over, still kept as slow

    asyncio.run(with_service(body))


def test_a_hub_hides_what_its_own_machinery_test_says_is_machinery():
    """A hub given ``machinery`` (as an agent's is: the program's code, not looplens's)
    marks rows by it, not by its default test (where this test's tasks are machinery)."""

    async def body() -> list:
        loop = asyncio.get_running_loop()
        hub = TraceHub(loop, machinery=lambda c: not c.task)  # plain callbacks only
        hub.poll(-1, 5)
        task = asyncio.create_task(app_poll(0.005), name="poll-own")
        loop.call_soon(int)
        await asyncio.sleep(0.05)
        rows = hub.poll(-1, 5)["rows"]
        task.cancel()
        hub.tracer.detach()
        return rows

    rows = asyncio.run(body())
    assert any(r[LANE] == "poll-own" for r in rows) and any(not r[TASK] for r in rows)
    assert all(r[INTERNAL] == (not r[TASK]) for r in rows)
