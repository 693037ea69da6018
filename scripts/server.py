"""Free loopback ports, the environment that runs gunicorn.conf.py on them (tests, bench),
and that server run until the block ends (``gunicorn_served``, the benches)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_env(port: int, sensor_port: int, workers: int, data_dir: str, **extra: str) -> dict[str, str]:
    """gunicorn.conf.py on 127.0.0.1:``port`` with its own embedded sensor service."""
    return dict(
        os.environ,
        LOOPLENS_BIND=f"127.0.0.1:{port}",
        LOOPLENS_WORKERS=str(workers),
        LOOPLENS_SENSOR_PORT=str(sensor_port),
        LOOPLENS_SENSOR_URL="",
        LOOPLENS_DATA_DIR=data_dir,
        LOOPLENS_TRACE_PORT=str(free_port()),
        **extra,
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@contextmanager
def gunicorn_served(env: dict[str, str], ready_url: str, timeout_s: float = 60) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn.conf.py run with ``env`` until ``ready_url`` answers 200; stopped (SIGTERM) after."""
    proc = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + timeout_s
        while not _answers(ready_url):
            assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
            time.sleep(0.3)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
