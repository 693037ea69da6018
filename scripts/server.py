"""Free loopback ports and the environment that runs gunicorn.conf.py on them (tests, bench)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

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
