"""Query page: check the typed name, fetch in a worker process, push the result.

submit ──► QUERY_JOB ──► run (WebSocket callback) ──► the job pool's worker ──► QUERY_RESULT ──► render
   └─ bad input ─────────────────────────────────────────────────────────────► QUERY_RESULT
cancel ─► kills the job's worker, QUERY_RESULT = "cancelled"

The run callback awaits the worker's pipe: each attempt's progress is set on the page as it
starts and the result is the callback's answer the moment it exists (no job polling).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from functools import partial
from typing import Any

from dash import Dash, Input, Output, State, no_update, set_props
from dash.exceptions import PreventUpdate

import ids
from callbacks.i18n import checked_lang
from services.core.errors import QueryInputError
from services.core.jobpool import JobCancelled, JobPool, PoolBusy
from services.core.settings import Settings
from services.live.meta import polled_stations
from services.ops.guard import JOB_SLOTS
from services.ops.query_job import query_job
from services.sensors.query import QueryFailure
from services.sensors.stations import BY_ID, Station, resolve
from views import HIDDEN, SHOWN
from views.query import make_result

logger = logging.getLogger(__name__)


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
    return {"station": station.id, "name": station.name_en, "nonce": nonce, "id": secrets.token_hex(8)}, None


async def run(pool: JobPool, settings: Settings, job: dict[str, Any] | None, lang: str | None) -> Any:
    """The job's result, from a worker of ``pool``; its progress is set on the page meanwhile."""
    if not job or not isinstance(job.get("station"), str) or not isinstance(job.get("id"), str):
        raise PreventUpdate  # nothing to run

    def progress(text: str) -> None:
        set_props(ids.QUERY_PROGRESS, {"children": text})

    try:
        return await pool.run(job["id"], query_job, settings, job, checked_lang(lang), on_progress=progress)
    except JobCancelled:
        return no_update  # the cancel callback has said so
    except PoolBusy:
        return QueryFailure("guard.busy", {"limit": pool.size}, job["station"]).as_dict()
    except RuntimeError:
        logger.exception("query job for %s failed", job["station"])
        return QueryFailure("error.internal", {}, job["station"]).as_dict()


async def cancel(pool: JobPool, _clicks: int | None, job: dict[str, Any] | None) -> dict[str, Any]:
    if job and isinstance(job.get("id"), str):
        pool.cancel(job["id"])
    return QueryFailure(code="error.cancelled", params={}).as_dict()


async def render(result: dict[str, Any] | None, lang: str | None) -> tuple[Any, dict[str, str]]:
    children, retry = make_result(result, checked_lang(lang))
    return children, SHOWN if retry else HIDDEN


def register(app: Dash, settings: Settings) -> None:
    pool = JobPool(JOB_SLOTS["query"])  # this web worker's: its workers start on first need
    app.callback(
        Output(ids.QUERY_JOB, "data"),
        Output(ids.QUERY_RESULT, "data", allow_duplicate=True),
        Input(ids.QUERY_SUBMIT, "n_clicks"),
        Input(ids.QUERY_INPUT, "n_submit"),
        Input(ids.QUERY_RETRY, "n_clicks"),
        State(ids.QUERY_INPUT, "value"),
        State(ids.QUERY_JOB, "data"),
        websocket=True,  # every hop of a query goes over the page's socket: no request per hop
        prevent_initial_call=True,
    )(partial(submit, settings))

    app.callback(
        Output(ids.QUERY_RESULT, "data", allow_duplicate=True),
        Input(ids.QUERY_JOB, "data"),
        State(ids.LANG, "value"),
        running=[
            (Output(ids.QUERY_SUBMIT, "disabled"), True, False),
            (Output(ids.QUERY_RETRY, "disabled"), True, False),
            (Output(ids.QUERY_CANCEL, "style"), SHOWN, HIDDEN),
            (Output(ids.QUERY_PROGRESS, "style"), SHOWN, HIDDEN),
            (Output(ids.QUERY_PROGRESS, "children"), "", ""),
        ],
        websocket=True,  # the cancel below comes over the same socket, to this worker
        prevent_initial_call=True,
    )(partial(run, pool, settings))

    async def warm(_opened: Any) -> None:
        pool.warm()  # on this worker: the page's socket, its jobs and their cancel all come here

    app.callback(Input(ids.QUERY_INPUT, "id"), websocket=True)(warm)
    app.callback(
        Output(ids.QUERY_RESULT, "data", allow_duplicate=True),
        Input(ids.QUERY_CANCEL, "n_clicks"),
        State(ids.QUERY_JOB, "data"),
        websocket=True,
        prevent_initial_call=True,
    )(partial(cancel, pool))

    app.callback(
        Output(ids.QUERY_OUTPUT, "children"),
        Output(ids.QUERY_RETRY, "style"),
        Input(ids.QUERY_RESULT, "data"),
        Input(ids.LANG, "value"),
        websocket=True,
    )(render)
