"""The station query (the seed-000 flow): runs inside a worker process.

The web process resolves the typed name (``stations.resolve``) and hands the
station id to a background job; the job, in its own process with its own event
loop, fetches the reading with the async client and returns a ``QueryOutcome``
(or a ``QueryFailure``) as plain data for the page's result callback.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from services.core.errors import LooplensError
from services.core.settings import Settings
from services.sensors.client import SensorClient
from services.sensors.stations import BY_ID

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueryOutcome:
    station_id: str
    temperature_c: float | None
    humidity_pct: float | None
    observed_ts: int
    web_pid: int
    worker_pid: int
    engine: str
    attempts: int
    latency_ms: float
    ok: bool = True
    name: str = ""  # a sensor of another source: its name (simulated stations are named by id)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QueryFailure:
    code: str
    params: dict[str, Any]
    station_id: str | None = None
    ok: bool = False

    @classmethod
    def from_error(cls, err: LooplensError, station_id: str | None = None) -> QueryFailure:
        return cls(code=err.code, params=dict(err.params), station_id=station_id)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def fetch_station(
    station_id: str,
    settings: Settings,
    *,
    engine: str,
    web_pid: int,
    on_attempt: Callable[[int, int], None] | None = None,
) -> QueryOutcome | QueryFailure:
    """Fetch one station's reading; called in the worker process the job runs in.

    ``web_pid`` is the web process that started the job, shown as provenance.
    """
    if station_id not in BY_ID:
        return QueryFailure(code="error.unknown_station", params={"query": station_id, "suggestions": []})
    client = SensorClient(
        settings.effective_sensor_url,
        timeout_s=settings.client_timeout_s,
        retries=settings.client_retries,
        backoff_s=settings.client_backoff_s,
        on_attempt=on_attempt,
    )
    try:
        async with client:
            result = await client.current(station_id)
    except LooplensError as err:
        logger.warning("query %s failed: %s (%s)", station_id, err.code, err)
        return QueryFailure.from_error(err, station_id)
    return QueryOutcome(
        station_id=station_id,
        temperature_c=result.reading.temperature_c,
        humidity_pct=result.reading.humidity_pct,
        observed_ts=result.reading.ts,
        web_pid=web_pid,
        worker_pid=os.getpid(),
        engine=engine,
        attempts=result.attempts,
        latency_ms=round(result.latency_ms, 1),
    )
