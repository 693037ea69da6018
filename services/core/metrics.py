"""The app's Prometheus metrics, recorded where things happen (any process of the app).

Across processes they are kept in prometheus-client's multiprocess mode: a process that
records must have ``PROMETHEUS_MULTIPROC_DIR`` set before this module is first imported
(``looplens run`` and the web server's master set it for their children; see
``metrics_dir``). Without it a process keeps its own numbers, which is what a test or a
single process needs. ``services.ops.metrics`` renders them for /metrics.

Label values are bounded: stations come from the fleet, callbacks from the app's own
callback map, processes and pages from fixed names.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

READINGS_STORED = Counter("looplens_readings_stored", "Readings the collector stored", ["source"])
READINGS_REJECTED = Counter(
    "looplens_readings_rejected", "Readings refused: implausible, unreadable, or a repeat already stored", ["source"]
)
SOURCE_CONNECTED = Gauge(
    "looplens_source_connected", "1 while a source is connected to what it reads", ["source"], multiprocess_mode="max"
)
SOURCE_MESSAGE_AGE = Gauge(
    "looplens_source_last_message_age_seconds", "Seconds since a source's last message", ["source"],
    multiprocess_mode="max",
)  # fmt: skip
SOURCE_SENSORS = Gauge("looplens_source_sensors", "Sensors a source found", ["source"], multiprocess_mode="max")
POLL_ERRORS = Counter("looplens_poll_errors", "Failed polls per station", ["station"])
COLLECTOR_LAG = Gauge(
    "looplens_collector_period_lag_seconds", "How late the collector's last poll started", multiprocess_mode="max"
)
LOOP_LAG = Gauge(
    "looplens_event_loop_lag_seconds", "How late a process's event loop woke a sleeper", ["process"],
    multiprocess_mode="max",
)  # fmt: skip
OPEN_STREAMS = Gauge("looplens_open_streams", "Push streams open to pages", ["page"], multiprocess_mode="livesum")
CALLBACK_SECONDS = Histogram("looplens_callback_seconds", "Dash callback request durations", ["callback"])


def metrics_dir(data_dir: Path) -> Path:
    """Where the processes of an app with this data folder keep their metric files."""
    return data_dir.resolve() / "metrics"


def fresh_metrics_dir(data_dir: Path) -> Path:
    """An emptied metrics folder for a starting app (old processes' files would count)."""
    folder = metrics_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink(missing_ok=True)
    return folder


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


async def cancelled(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait until it has ended."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def probe_loop_lag(process: str, every_s: float = 0.5) -> None:
    """Until cancelled: how late this loop wakes a sleeper, as ``LOOP_LAG{process}``."""
    gauge = LOOP_LAG.labels(process)
    while True:
        due = time.monotonic() + every_s
        await asyncio.sleep(every_s)
        gauge.set(max(0.0, time.monotonic() - due))
