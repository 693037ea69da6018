"""Child processes started next to the app (the embedded default): the sensor service
and the collector. The launcher owns each one; each child exits when its launcher dies.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


async def exit_when_orphaned(parent_pid: int, poll_s: float = 0.5) -> None:
    """Return once the process that started this one is gone (the child then stops)."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(poll_s)
    logger.warning("parent %d is gone; stopping", parent_pid)


class ChildProcess:
    """One owned child: ``start()`` waits until ``ready()``; ``close()`` stops it."""

    name = "child"

    def __init__(self, start_timeout_s: float = 15.0, env: dict[str, str] | None = None) -> None:
        self.start_timeout_s = start_timeout_s
        self.env = env
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        env = None if self.env is None else {**os.environ, **self.env}
        self._proc = subprocess.Popen(
            [*self.command(), "--parent-pid", str(os.getpid())], cwd=ROOT, env=env)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise RuntimeError(f"{self.name} exited with code {code} at start")
            if self.ready():
                logger.info("embedded %s pid %d ready", self.name, self._proc.pid)
                return
            time.sleep(0.1)
        self.close()
        raise RuntimeError(f"{self.name} was not ready in {self.start_timeout_s:g} s")

    def close(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)
        self._proc = None

    def __enter__(self) -> ChildProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SensorServiceProcess(ChildProcess):
    """``with SensorServiceProcess(port=8051) as svc: svc.url``."""

    name = "sensor service"

    def __init__(self, host: str = "127.0.0.1", port: int = 8051, seed: int = 7,
                 stations: int = 16, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.host, self.port, self.seed, self.stations = host, port, seed, stations

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "services.sensor_service", "--host", self.host,
                "--port", str(self.port), "--seed", str(self.seed),
                "--stations", str(self.stations)]

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as resp:
                return resp.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False


class CollectorProcess(ChildProcess):
    """The collector, configured like everything else by ``LOOPLENS_*`` in ``env``;
    ready once its first heartbeat is in the store."""

    name = "collector"

    def __init__(self, store_path: Path, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.store_path = store_path

    def command(self) -> list[str]:
        return [sys.executable, "-m", "services.collector"]

    def ready(self) -> bool:
        # Imported here: the launcher (gunicorn master) should stay light.
        from services.collector import HEARTBEAT_KEY
        from services.store import ReadingStore

        if not self.store_path.exists():
            return False
        with ReadingStore(self.store_path) as store:
            beat = store.meta(HEARTBEAT_KEY)
        return beat is not None and beat.get("pid") == self.pid
