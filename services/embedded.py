"""Start the sensor service as a child process next to the app (the embedded default)."""

from __future__ import annotations

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


class SensorServiceProcess:
    """``with SensorServiceProcess(port=8051) as url: ...``: one owned child process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8051, seed: int = 7,
                 start_timeout_s: float = 15.0) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        cmd = [sys.executable, "-m", "services.sensor_service",
               "--host", self.host, "--port", str(self.port), "--seed", str(self.seed),
               "--parent-pid", str(os.getpid())]
        self._proc = subprocess.Popen(cmd, cwd=ROOT)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"sensor service exited with code {self._proc.returncode} at start "
                    f"(is port {self.port} already in use?)"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as resp:
                    if resp.status == 200:
                        logger.info("embedded sensor service pid %d on %s", self._proc.pid, self.url)
                        return self.url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.close()
        raise RuntimeError(f"sensor service did not answer on {self.url} in {self.start_timeout_s:g} s")

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

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
