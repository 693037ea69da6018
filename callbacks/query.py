"""Query page: check the typed name, run the fetch as a background job, show the result.

submit ──► QUERY_JOB ──► run_job (worker process) ──► QUERY_RESULT ──► render
   └─ bad input ─────────────────────────────────────► QUERY_RESULT
cancel ─► kills the job's process, QUERY_RESULT = "cancelled"
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks.i18n import checked_lang
from services.core.children import die_with_parent
from services.core.errors import QueryInputError
from services.core.i18n import t
from services.core.settings import Settings
from services.live.meta import polled_stations
from services.live.store import ReadingStore
from services.ops.guard import JOB_SLOTS, job_slot
from services.sensors.query import QueryFailure, QueryOutcome, fetch_station
from services.sensors.stations import BY_ID, Station, resolve
from views import HIDDEN, SHOWN
from views.query import make_result

logger = logging.getLogger(__name__)

ENGINE = "dash background job (diskcache)"
STORE_ENGINE = "dash background job (diskcache) · reading store"


def other_sensors(settings: Settings) -> list[Station]:
    """The sensors of every source but the simulator (its stations are known by name)."""
    return [s for s in polled_stations(settings).values() if s.source != "simulator" and s.id not in BY_ID]


async def submit(
    settings: Settings,
    _clicks: int | None,
    _submits: int | None,
    _retries: int | None,
    text: str | None,
    previous_job: dict[str, Any] | None,
) -> tuple[Any, Any]:
    """(job to start, immediate result): a job for a known station or sensor, a message otherwise."""
    try:
        others = await asyncio.to_thread(other_sensors, settings)
        station = await asyncio.to_thread(resolve, text, others)  # close matches among thousands: off the loop
    except QueryInputError as err:
        return no_update, QueryFailure.from_error(err).as_dict()
    nonce = (previous_job or {}).get("nonce", 0) + 1  # a new job even for the same station
    return {"station": station.id, "name": station.name_en, "nonce": nonce}, None


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


async def run_job(
    settings: Settings, set_progress: Callable[[str], None], job: dict[str, Any] | None, lang: str | None
) -> dict[str, Any]:
    """Runs in the job's own process: fetch the reading, report attempts as progress."""
    if not job or not isinstance(job.get("station"), str):
        raise PreventUpdate  # nothing to run
    die_with_parent(os.getppid())  # a job dies with its web worker: it holds the worker's listening socket
    if job["station"] not in BY_ID:
        return stored_reading(settings, job)
    lang = checked_lang(lang)
    station = BY_ID[job["station"]]
    worker_pid = os.getpid()

    def on_attempt(attempt: int, total: int) -> None:
        set_progress(
            t("query.progress", lang, station=station.name(lang), pid=worker_pid, attempt=attempt, total=total)
        )

    with job_slot(settings.jobs_dir / "slots", "query") as mine:
        if not mine:
            return QueryFailure("guard.busy", {"limit": JOB_SLOTS["query"]}, station.id).as_dict()
        try:
            outcome = await fetch_station(
                station.id,
                settings,
                engine=ENGINE,
                web_pid=os.getppid(),  # the job process is a child of the web worker
                on_attempt=on_attempt,
            )
        except Exception:  # a bug, not a sensor fault: log it, show a human message
            logger.exception("query job for %s crashed", station.id)
            outcome = QueryFailure(code="error.internal", params={}, station_id=station.id)
    return outcome.as_dict()


async def cancelled(_clicks: int | None) -> dict[str, Any]:
    return QueryFailure(code="error.cancelled", params={}).as_dict()


async def render(result: dict[str, Any] | None, lang: str | None) -> tuple[Any, dict[str, str]]:
    children, retry = make_result(result, checked_lang(lang))
    return children, SHOWN if retry else HIDDEN


def register(app: Dash, settings: Settings) -> None:
    app.callback(
        Output(ids.QUERY_JOB, "data"),
        Output(ids.QUERY_RESULT, "data", allow_duplicate=True),
        Input(ids.QUERY_SUBMIT, "n_clicks"),
        Input(ids.QUERY_INPUT, "n_submit"),
        Input(ids.QUERY_RETRY, "n_clicks"),
        State(ids.QUERY_INPUT, "value"),
        State(ids.QUERY_JOB, "data"),
        prevent_initial_call=True,
    )(partial(submit, settings))

    async def run_job_with_settings(
        set_progress: Callable[[str], None], job: dict[str, Any] | None, lang: str | None
    ) -> dict[str, Any]:
        return await run_job(settings, set_progress, job, lang)

    app.callback(
        Output(ids.QUERY_RESULT, "data", allow_duplicate=True),
        Input(ids.QUERY_JOB, "data"),
        State(ids.LANG, "value"),
        background=True,
        interval=settings.job_poll_ms,
        progress=[Output(ids.QUERY_PROGRESS, "children")],
        progress_default=[""],
        running=[
            (Output(ids.QUERY_SUBMIT, "disabled"), True, False),
            (Output(ids.QUERY_RETRY, "disabled"), True, False),
            (Output(ids.QUERY_CANCEL, "style"), SHOWN, HIDDEN),
            (Output(ids.QUERY_PROGRESS, "style"), SHOWN, HIDDEN),
        ],
        cancel=[Input(ids.QUERY_CANCEL, "n_clicks")],
        prevent_initial_call=True,
    )(run_job_with_settings)

    app.callback(
        Output(ids.QUERY_RESULT, "data", allow_duplicate=True),
        Input(ids.QUERY_CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )(cancelled)

    app.callback(
        Output(ids.QUERY_OUTPUT, "children"),
        Output(ids.QUERY_RETRY, "style"),
        Input(ids.QUERY_RESULT, "data"),
        Input(ids.LANG, "value"),
    )(render)
