"""The simulated sensor service as an owned child process (the embedded default)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from services.core.children import ChildProcess


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
        return [
            sys.executable,
            "-m",
            "services.sensors.service",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--seed",
            str(self.seed),
            "--stations",
            str(self.stations),
        ]

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False
