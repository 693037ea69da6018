"""Query page: one callback takes a query from the click to the sentence — check the typed
name, fetch in a worker process, render — so the page waits for one round trip, not a hop
per step.

ask ──► bad input ─────────────────────────────────────────────► message
   └──► QUERY_JOB (the cancel reads it) ──► the job pool's worker ──► sentence (QUERY_RESULT kept)
cancel ─► kills the job's worker ──► "cancelled"
language switch ─► QUERY_RESULT rendered again

The worker's pipe is awaited: each attempt's progress is set on the page as it starts and the
result is shown the moment it exists (no job polling).
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


async def ask(
    pool: JobPool,
    settings: Settings,
    clicks: int | None,
    submits: int | None,
    retries: int | None,
    text: str | None,
    previous_job: dict[str, Any] | None,
    lang: str | None,
) -> tuple[Any, Any, Any]:
    """(result, its children, Retry's style) for what was typed."""
    job, failure = await submit(settings, clicks, submits, retries, text, previous_job)
    result = failure
    if failure is None:
        set_props(ids.QUERY_JOB, {"data": job})  # the cancel button reads it
        set_props(ids.QUERY_OUTPUT, {"children": None})  # the last answer goes while this one is fetched
        result = await run(pool, settings, job, lang)
        if result is no_update:
            raise PreventUpdate  # cancelled: the cancel callback has said so
    return (result, *await render(result, lang))


async def cancel(
    pool: JobPool, _clicks: int | None, job: dict[str, Any] | None, lang: str | None
) -> tuple[Any, Any, Any]:
    if job and isinstance(job.get("id"), str):
        pool.cancel(job["id"])
    result = QueryFailure(code="error.cancelled", params={}).as_dict()
    return (result, *await render(result, lang))


async def render(result: dict[str, Any] | None, lang: str | None) -> tuple[Any, dict[str, str]]:
    children, retry = make_result(result, checked_lang(lang))
    return children, SHOWN if retry else HIDDEN


async def relabel(lang: str | None, result: dict[str, Any] | None) -> tuple[Any, dict[str, str]]:
    """The answer shown again in the language switched to."""
    return await render(result, lang)


def register(app: Dash, settings: Settings) -> None:
    # this web worker's: its workers start on first need (or when the page opens), job's imports done
    pool = JobPool(JOB_SLOTS["query"], preload=(query_job.__module__,))
    answer = (
        Output(ids.QUERY_RESULT, "data", allow_duplicate=True),
        Output(ids.QUERY_OUTPUT, "children", allow_duplicate=True),
        Output(ids.QUERY_RETRY, "style", allow_duplicate=True),
    )
    app.callback(
        *answer,
        Input(ids.QUERY_SUBMIT, "n_clicks"),
        Input(ids.QUERY_INPUT, "n_submit"),
        Input(ids.QUERY_RETRY, "n_clicks"),
        State(ids.QUERY_INPUT, "value"),
        State(ids.QUERY_JOB, "data"),
        State(ids.LANG, "value"),
        running=[
            (Output(ids.QUERY_SUBMIT, "disabled"), True, False),
            (Output(ids.QUERY_RETRY, "disabled"), True, False),
            (Output(ids.QUERY_CANCEL, "style"), SHOWN, HIDDEN),
            (Output(ids.QUERY_PROGRESS, "style"), SHOWN, HIDDEN),
            (Output(ids.QUERY_PROGRESS, "children"), "", ""),
        ],
        websocket=True,  # the cancel below comes over the same socket, to this worker and its pool
        prevent_initial_call=True,
    )(partial(ask, pool, settings))

    async def warm(_opened: Any) -> None:
        pool.warm()  # opening the page starts a worker for its first query

    app.callback(Input(ids.QUERY_INPUT, "id"), websocket=True)(warm)
    app.callback(
        *answer,
        Input(ids.QUERY_CANCEL, "n_clicks"),
        State(ids.QUERY_JOB, "data"),
        State(ids.LANG, "value"),
        websocket=True,
        prevent_initial_call=True,
    )(partial(cancel, pool))

    app.callback(
        Output(ids.QUERY_OUTPUT, "children"),
        Output(ids.QUERY_RETRY, "style"),
        Input(ids.LANG, "value"),
        State(ids.QUERY_RESULT, "data"),
    )(relabel)
