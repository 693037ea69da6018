"""/healthz's report against real components: a sensor service, a collector process, a job store."""

from __future__ import annotations

import asyncio
import os
import time

from scripts.server import free_port
from services.live.meta import write_heartbeat, write_sources
from services.live.store import ReadingStore
from services.ops.health import HealthChecker


def test_healthy_when_every_component_answers(settings, collector):
    status, body = asyncio.run(HealthChecker(settings).report())
    assert status == 200, {k: v for k, v in body.items() if isinstance(v, dict) and not v.get("ok", True)}
    assert body["status"] == "ok"
    for component in ("web", "sensor_service", "collector", "store", "worker_pool"):
        assert body[component]["ok"] is True, component
    assert "worker pid" in body["worker_pool"]["detail"]
    assert str(os.getpid()) not in body["worker_pool"]["detail"]
    assert "last heartbeat" in body["collector"]["detail"]
    assert body["sources"]["simulator"]["state"] in ("starting", "connected")  # each source, shown


def test_a_source_that_cannot_connect_is_shown_but_never_fails_the_check(settings, collector):
    snapshot = {"sources": [{"config": {"name": "home", "kind": "mqtt", "enabled": True},
                             "status": {"state": "retrying", "error": "sources.err.auth", "readings": 0},
                             "sensors": [], "rejects": []}]}  # fmt: skip
    with ReadingStore(settings.store_path) as store:
        write_sources(store, snapshot)
    status, body = asyncio.run(HealthChecker(settings).report())
    assert status == 200 and body["sources"]["home"] == {
        "state": "retrying", "error": "sources.err.auth", "readings": 0, "sensors": 0}  # fmt: skip


def test_unhealthy_503_when_the_sensor_service_is_down(settings, collector):
    down = settings.model_copy(update={"sensor_url": f"http://127.0.0.1:{free_port()}"})
    status, body = asyncio.run(HealthChecker(down, timeout_s=0.5).report())
    assert status == 503
    assert body["status"] == "degraded"
    assert body["sensor_service"]["ok"] is False
    assert "unreachable" in body["sensor_service"]["detail"]


def test_a_stale_collector_heartbeat_is_a_503_and_says_how_old(settings):
    with ReadingStore(settings.store_path) as store:
        write_heartbeat(store, 1, time.time() - 10 * settings.collector_period_s, settings.collector_period_s)
    status, body = asyncio.run(HealthChecker(settings).report())
    assert status == 503
    assert body["collector"]["ok"] is False and "ago" in body["collector"]["detail"]
    fresh = HealthChecker(settings.model_copy(update={"data_dir": settings.data_dir / "empty"}))
    status, body = asyncio.run(fresh.report())
    assert status == 503 and body["collector"]["detail"] == "no heartbeat in the store yet"


def test_trace_services_are_reported_but_do_not_fail_the_check(settings, collector):
    no_trace = settings.model_copy(update={"trace_port": free_port()})  # nothing listens there
    status, body = asyncio.run(HealthChecker(no_trace, timeout_s=0.5).report())
    assert status == 200, {k: v for k, v in body.items() if isinstance(v, dict) and not v.get("ok", True)}
    assert body["collector_trace"]["ok"] is False and body["collector_trace"]["critical"] is False
    assert body["sensor_trace"]["ok"] is True


def test_a_burst_of_checks_all_answer_200_and_share_one_worker_probe(settings, collector):
    checker = HealthChecker(settings)

    async def burst() -> list[tuple[int, dict]]:
        return await asyncio.gather(*(checker.report() for _ in range(30)))

    answers = asyncio.run(burst())
    assert [status for status, _ in answers] == [200] * 30, [body for status, body in answers if status != 200][:1]
    assert len({body["worker_pool"]["detail"] for _, body in answers}) == 1  # one worker ran for all
