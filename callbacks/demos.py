"""Seed demos page: a button starts its demo as a background job (demos start processes
and event loops of their own); the log is rendered in the UI language."""

from __future__ import annotations

import logging
import os
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks.guard import refusal
from callbacks.i18n import checked_lang
from services.core.children import die_with_parent
from services.core.i18n import t
from services.core.settings import Settings
from services.demos.programs import DEFAULT_SPEED, DEMOS, SPEEDS, run_demo
from services.ops.guard import JOB_SLOTS, Guard, job_slot
from views import HIDDEN, SHOWN
from views.demos import make_log, make_timeline
from views.tracing import message

logger = logging.getLogger(__name__)


async def choose(_clicks: list[int | None], speed: float, previous: dict[str, Any] | None) -> dict[str, Any]:
    picked = ctx.triggered_id
    if not isinstance(picked, dict) or picked.get("demo") not in DEMOS or not any(_clicks):
        raise PreventUpdate
    return {
        "demo": picked["demo"],
        "speed": speed if speed in {f for f, _ in SPEEDS} else DEFAULT_SPEED,
        "nonce": (previous or {}).get("nonce", 0) + 1,
    }


def run_job(settings: Settings, job: dict[str, Any] | None) -> dict[str, Any]:
    """Runs in the job's own process."""
    if not job:
        raise PreventUpdate
    die_with_parent(os.getppid())  # a job dies with its web worker: it holds the worker's listening socket
    with job_slot(settings.jobs_dir / "slots", "demos") as mine:
        if not mine:
            return {"name": job.get("demo"), "busy": JOB_SLOTS["demos"]}
        try:
            return run_demo(job["demo"], settings.effective_sensor_url, job["speed"]).as_dict()
        except Exception as err:  # the log has the traceback; the page says what failed
            logger.exception("demo %s failed", job.get("demo"))
            return {"name": job.get("demo"), "error": f"{type(err).__name__}: {err}"}


async def render(data: dict[str, Any] | None, lang: str | None) -> tuple[Any, Any]:
    if not data:
        raise PreventUpdate
    lang = checked_lang(lang)
    if data.get("busy"):
        return message(t("guard.busy", lang, limit=data["busy"]), ok=False), {"data": [], "layout": {}}
    if data.get("error"):
        return message(t("demos.failed", lang, error=data["error"]), ok=False), {"data": [], "layout": {}}
    return make_log(data, lang), make_timeline(data)


def register(app: Dash, settings: Settings) -> None:
    guard = Guard(settings)

    async def choose_through_guard(
        clicks: list[int | None], speed: float, previous: dict[str, Any] | None, lang: str | None, token: str | None
    ) -> tuple[Any, Any]:
        job = await choose(clicks, speed, previous)  # a real click on a known demo, or PreventUpdate
        if why := refusal(guard, "demo", token, checked_lang(lang)):
            return no_update, message(why, ok=False)
        return job, no_update

    app.callback(
        Output(ids.DEMO_JOB, "data"),
        Output(ids.DEMO_LOG, "children", allow_duplicate=True),
        Input({"type": ids.DEMO_RUN, "demo": ALL}, "n_clicks"),
        State(ids.DEMO_SPEED, "value"),
        State(ids.DEMO_JOB, "data"),
        State(ids.LANG, "value"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(choose_through_guard)

    def run(job: dict[str, Any] | None) -> dict[str, Any]:
        return run_job(settings, job)

    app.callback(
        Output(ids.DEMO_RESULT, "data"),
        Input(ids.DEMO_JOB, "data"),
        background=True,
        interval=settings.job_poll_ms,
        running=[
            (Output({"type": ids.DEMO_RUN, "demo": ALL}, "disabled"), True, False),
            (Output(ids.DEMO_STATUS, "style"), SHOWN, HIDDEN),
        ],
        prevent_initial_call=True,
    )(run)

    app.callback(
        Output(ids.DEMO_LOG, "children"),
        Output(ids.DEMO_GRAPH, "figure"),
        Input(ids.DEMO_RESULT, "data"),
        Input(ids.LANG, "value"),
    )(render)
