import asyncio
import os

from scripts.server import free_port
from services.core.health import HealthChecker


def test_healthy_when_sensor_answers_and_a_worker_can_run_a_job(settings):
    status, body = asyncio.run(HealthChecker(settings).report())
    assert status == 200
    assert body["status"] == "ok"
    assert body["sensor_service"]["ok"] is True
    assert body["worker_pool"]["ok"] is True
    assert "worker pid" in body["worker_pool"]["detail"]
    assert str(os.getpid()) not in body["worker_pool"]["detail"]


def test_unhealthy_503_when_the_sensor_service_is_down(settings):
    down = settings.model_copy(update={"sensor_url": f"http://127.0.0.1:{free_port()}"})
    status, body = asyncio.run(HealthChecker(down, timeout_s=0.5).report())
    assert status == 503
    assert body["status"] == "degraded"
    assert body["sensor_service"]["ok"] is False
    assert "unreachable" in body["sensor_service"]["detail"]
