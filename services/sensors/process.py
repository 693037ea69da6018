"""The simulated sensor service as a child process: its command, the check that it is up
(and is the process we started, not another one on the port), and an owner for it."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

from services.core.children import ChildProcess


def sensor_command(host: str, port: int, seed: int, stations: int) -> list[str]:
    return [sys.executable, "-m", "services.sensors.service", "--host", host, "--port", str(port),
            "--seed", str(seed), "--stations", str(stations)]  # fmt: skip


def sensor_ready(url: str, pid: int) -> bool:
    """Whether the service at ``url`` answers, and is process ``pid``."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:
            return bool(resp.status == 200 and json.load(resp).get("pid") == pid)
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return False


class SensorServiceProcess(ChildProcess):
    """``with SensorServiceProcess(port=8051) as svc: svc.url``."""

    name = "sensor service"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8051,
        seed: int = 7,
        stations: int = 16,
        start_timeout_s: float = 15.0,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(start_timeout_s, env)
        self.host, self.port, self.seed, self.stations = host, port, seed, stations

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        return sensor_command(self.host, self.port, self.seed, self.stations)

    def ready(self) -> bool:
        return self.pid is not None and sensor_ready(self.url, self.pid)
