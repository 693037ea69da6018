"""The Query page's job, as a worker of the web worker's job pool runs it
(``services.core.jobpool``): fetch one reading, reporting each attempt as it starts."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from services.core.i18n import t
from services.core.settings import Settings
from services.live.store import ReadingStore
from services.ops.guard import JOB_SLOTS, job_slot
from services.sensors.query import QueryFailure, QueryOutcome, fetch_station
from services.sensors.stations import BY_ID

logger = logging.getLogger(__name__)

ENGINE = "job pool worker (result pushed)"
STORE_ENGINE = "job pool worker (result pushed) · reading store"


def stored_reading(settings: Settings, job: dict[str, Any]) -> dict[str, Any]:
    """A sensor of another source: its newest stored reading (sources push; nothing to ask)."""
    started = time.perf_counter()
    with ReadingStore(settings.store_path) as store:
        row = store.latest(str(job["station"]))
    if row is None:
        return QueryFailure("error.no_reading", {"name": job.get("name", "")}, job["station"]).as_dict()
    return QueryOutcome(
        station_id=row.station,
        temperature_c=row.temperature_c,
        humidity_pct=row.humidity_pct,
        observed_ts=row.ts,
        web_pid=os.getppid(),
        worker_pid=os.getpid(),
        engine=STORE_ENGINE,
        attempts=1,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
        name=str(job.get("name", "")),
    ).as_dict()


async def query_job(
    settings: Settings, job: dict[str, Any], lang: str, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Runs in a worker process: the reading of ``job["station"]``, or why there is none."""
    if job["station"] not in BY_ID:
        return stored_reading(settings, job)
    station = BY_ID[job["station"]]
    worker_pid = os.getpid()

    def on_attempt(attempt: int, total: int) -> None:
        progress(t("query.progress", lang, station=station.name(lang), pid=worker_pid, attempt=attempt, total=total))

    with job_slot(settings.jobs_dir / "slots", "query") as mine:
        if not mine:
            return QueryFailure("guard.busy", {"limit": JOB_SLOTS["query"]}, station.id).as_dict()
        try:
            outcome = await fetch_station(
                station.id, settings, engine=ENGINE, web_pid=os.getppid(), on_attempt=on_attempt
            )
        except Exception:  # a bug, not a sensor fault: log it, show a human message
            logger.exception("query job for %s crashed", station.id)
            outcome = QueryFailure(code="error.internal", params={}, station_id=station.id)
    return outcome.as_dict()
