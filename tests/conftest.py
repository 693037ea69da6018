"""Shared fixtures: a real sensor service on loopback, settings pointing at it, Chrome options."""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from scripts.chrome import chrome_options
from scripts.server import free_port
from services.core.settings import Settings
from services.live.process import CollectorProcess
from services.sensors.process import SensorServiceProcess
from tests.helpers import SEED


def pytest_setup_options():
    """Debian Chromium with a fresh profile per browser (dash[testing] adds --headless)."""
    return chrome_options()


def pytest_collection_finish(session: pytest.Session) -> None:
    """The image's build starts now if a test of it is to run (``tests/test_image.py``)."""
    if any(item.nodeid.startswith("tests/test_image.py") for item in session.items):
        from tests import test_image

        test_image.start_aside()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "tests.test_image" in sys.modules:
        sys.modules["tests.test_image"].stop_aside()


class Sensor:
    """The test session's sensor service process, and a way to inject faults into it."""

    def __init__(self, url: str) -> None:
        self.url = url

    def set_faults(self, config: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/faults",
            data=json.dumps(config).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            return json.load(resp)

    def reset(self) -> None:
        self.set_faults({"default": {"latency_ms": 20, "jitter_ms": 5}})


@pytest.fixture(scope="session")
def sensor_process() -> Iterator[Sensor]:
    with SensorServiceProcess(port=free_port(), seed=SEED) as service:
        yield Sensor(service.url)


@pytest.fixture
def sensor(sensor_process: Sensor) -> Iterator[Sensor]:
    """The sensor service with default (fast, fault-free) settings for this test."""
    sensor_process.reset()
    yield sensor_process
    sensor_process.reset()


@pytest.fixture
def settings(tmp_path, sensor: Sensor) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        sensor_url=sensor.url,
        sensor_seed=SEED,
        client_timeout_s=0.5,
        client_retries=2,
        client_backoff_s=0.05,
        job_poll_ms=100,
        trace_port=free_port(),
    )


@pytest.fixture
def collector(settings: Settings) -> Iterator[CollectorProcess]:
    """The collector process, polling the test sensor service into this test's store."""
    env = {
        "LOOPLENS_DATA_DIR": str(settings.data_dir),
        "LOOPLENS_SENSOR_URL": settings.sensor_url,
        "LOOPLENS_COLLECTOR_PERIOD_S": str(settings.collector_period_s),
        "LOOPLENS_COLLECTOR_TIMEOUT_S": "0.5",
        "LOOPLENS_TRACE_PORT": str(settings.trace_port),
    }
    with CollectorProcess(settings.store_path, env=env) as process:
        yield process
