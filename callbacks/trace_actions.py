"""Trace page actions: block the loop, run pool jobs, pick / inspect / cancel a task,
download the window. Those that change the running system (block, jobs, cancel) go
through the guard (``services.ops.guard``) before they reach the trace service.

An action's outcome is kept as a note (a message key and its values, ``TRACE_NOTE``)
and shown under the buttons in the page's language, so it follows a switch of language."""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

from dash import Dash, Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks import trace_agents, trace_replay
from callbacks.guard import guarded
from callbacks.i18n import checked_lang
from callbacks.tracing import failed, failure, loop_of, trace_client
from services.core.errors import ActionRefused, TraceError
from services.core.i18n import t
from services.core.settings import Settings
from services.ops.guard import Guard
from services.tracing.agents import is_agent
from services.tracing.limits import MAX_BLOCK_MS, MESSAGE_PARAMS
from services.tracing.view import TraceView
from views import HIDDEN, SHOWN
from views.tracing import make_task_panel, note, show_note

JOBS, JOB_MS = 8, 60  # what "run pool jobs" sends


def parse_block_ms(text: Any) -> int | None:
    """A whole number of ms from 1 to ``MAX_BLOCK_MS``, or None."""
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return int(value) if value.is_integer() and 1 <= value <= MAX_BLOCK_MS else None


async def block(
    settings: Settings, n_clicks: int | None, text: Any, view: dict[str, Any] | None, _lang: str | None
) -> dict[str, Any]:
    """The note of blocking the page's loop for ``text`` ms."""
    if not n_clicks:
        raise PreventUpdate
    loop = loop_of(view)
    ms = parse_block_ms(text)
    if ms is None:
        return note("trace.err.block_range", ok=False, **MESSAGE_PARAMS)
    try:
        async with trace_client(settings, loop) as client:
            return note("trace.blocked", name=await client.block(ms))
    except TraceError as err:
        return failure(err, loop)


async def jobs(
    settings: Settings, n_clicks: int | None, view: dict[str, Any] | None, _lang: str | None
) -> dict[str, Any]:
    if not n_clicks:
        raise PreventUpdate
    loop = loop_of(view)
    try:
        async with trace_client(settings, loop) as client:
            return note("trace.jobs_sent", n=await client.jobs(JOBS, JOB_MS))
    except TraceError as err:
        return failure(err, loop)


def task_of(picked: dict[str, Any] | None) -> int | None:
    serial = (picked or {}).get("serial")
    return serial if isinstance(serial, int) else None


async def inspect(settings: Settings, picked: dict[str, Any] | None, lang: str | None) -> tuple[Any, dict[str, str]]:
    """The task panel and whether its Cancel button shows; ``picked``: {"loop", "serial"}."""
    lang, loop, serial = checked_lang(lang), loop_of(picked), task_of(picked)
    if serial is None:
        return t("trace.inspect.hint", lang), HIDDEN
    if serial == 0:
        return t("trace.inspect.plain", lang), HIDDEN
    try:
        async with trace_client(settings, loop) as client:
            info = await client.task(serial)
    except TraceError as err:
        return failed(err, lang, loop), HIDDEN
    return make_task_panel(info, lang), SHOWN if info.get("cancellable") else HIDDEN


def clicked_task(click: dict[str, Any] | None) -> int | None:
    """The task serial of a clicked tick (0: a plain callback), or None."""
    try:
        return int(click["points"][0]["customdata"])  # type: ignore[index]  # None or another shape: the except
    except (TypeError, KeyError, IndexError, ValueError):
        return None


async def cancel(
    settings: Settings, n_clicks: int | None, picked: dict[str, Any] | None, _lang: str | None
) -> dict[str, Any]:
    serial = task_of(picked)
    if not n_clicks or not serial:
        raise PreventUpdate
    loop = loop_of(picked)
    try:
        async with trace_client(settings, loop) as client:
            name = await client.cancel(serial)
    except TraceError as err:
        return failure(err, loop)
    return note("trace.cancelled_agent" if is_agent(loop) else "trace.cancelled", name=name)


async def export(settings: Settings, n_clicks: int | None, view: dict[str, Any] | None) -> tuple[Any, Any]:
    """(the download, the note: none when it worked)."""
    if not n_clicks:
        raise PreventUpdate
    shown = TraceView.from_store(view)
    try:
        async with trace_client(settings, shown.loop, timeout_s=10) as client:
            doc = await client.export(shown.window_s)
    except TraceError as err:
        return no_update, failure(err, shown.loop)
    name = f"looplens-trace-{shown.loop.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    return dcc.send_string(json.dumps(doc, separators=(",", ":")), name, type="application/json"), None


async def record(
    settings: Settings, action: str, n_clicks: int | None, view: dict[str, Any] | None, _lang: str | None
) -> dict[str, Any]:
    """The note of starting or stopping an agent's recording (it writes beside the program)."""
    if not n_clicks:
        raise PreventUpdate
    loop = loop_of(view)
    if not is_agent(loop):
        return note("trace.record.agent_only", ok=False)
    try:
        async with trace_client(settings, loop) as client:
            done = await client.record(action)
    except TraceError as err:
        return failure(err, loop)
    if action == "start":
        return note("trace.record.started", path=done.get("path"))
    if not done.get("path"):
        return note("trace.record.none")
    return note("trace.record.stopped", path=done["path"], written=done.get("written", 0))


def refusal_note(err: ActionRefused, _lang: str) -> dict[str, Any]:
    """The guard's refusal as a note, shown like any outcome."""
    return note(err.code, ok=False, **err.params)


def register(app: Dash, settings: Settings) -> None:
    guard = Guard(settings)
    _register_loop_actions(app, settings, guard)
    _register_task_actions(app, settings, guard)
    trace_agents.register(app, settings, guard)
    trace_replay.register(app, settings, guard)

    async def show(data: Any, lang: str | None) -> Any:
        return show_note(data, checked_lang(lang))

    app.callback(
        Output(ids.TRACE_MESSAGE, "children"),
        Input(ids.TRACE_NOTE, "data"),
        Input(ids.LANG, "value"),  # the message follows a switch of language
    )(show)


def _register_loop_actions(app: Dash, settings: Settings, guard: Guard) -> None:
    """Block the loop, run pool jobs (actions: through the guard), download the window."""

    app.callback(
        Output(ids.TRACE_NOTE, "data"),
        Input(ids.TRACE_BLOCK, "n_clicks"),
        State(ids.TRACE_BLOCK_MS, "value"),
        State(ids.TRACE_VIEW, "data"),
        State(ids.LANG, "value"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(guarded(guard, "block", partial(block, settings), refusal_note))

    app.callback(
        Output(ids.TRACE_NOTE, "data", allow_duplicate=True),
        Input(ids.TRACE_JOBS, "n_clicks"),
        State(ids.TRACE_VIEW, "data"),
        State(ids.LANG, "value"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(guarded(guard, "jobs", partial(jobs, settings), refusal_note))

    for button, action in ((ids.TRACE_RECORD, "start"), (ids.TRACE_RECORD_STOP, "stop")):
        app.callback(
            Output(ids.TRACE_NOTE, "data", allow_duplicate=True),
            Input(button, "n_clicks"),
            State(ids.TRACE_VIEW, "data"),
            State(ids.LANG, "value"),
            State(ids.OPERATOR_TOKEN, "value"),
            prevent_initial_call=True,
        )(guarded(guard, "record", partial(record, settings, action), refusal_note))

    async def download(n_clicks: int | None, view: dict[str, Any] | None) -> tuple[Any, Any]:
        return await export(settings, n_clicks, view)

    async def forget(_loop: Any, shown: Any) -> Any:
        """An action's outcome belongs to the loop it was asked of (an agent's arrival is
        news of the loop it switched to)."""
        return no_update if isinstance(shown, dict) and shown.get("key") == "trace.agent.added" else None

    app.callback(
        Output(ids.TRACE_NOTE, "data", allow_duplicate=True),
        Input(ids.TRACE_LOOP, "value"),
        State(ids.TRACE_NOTE, "data"),
        prevent_initial_call=True,
    )(forget)

    app.callback(
        Output(ids.TRACE_DOWNLOAD, "data"),
        Output(ids.TRACE_NOTE, "data", allow_duplicate=True),
        Input(ids.TRACE_EXPORT, "n_clicks"),
        State(ids.TRACE_VIEW, "data"),
        prevent_initial_call=True,
    )(download)


def _register_task_actions(app: Dash, settings: Settings, guard: Guard) -> None:
    """Pick a task by clicking its tick, inspect it, cancel it (an action: through the guard)."""

    async def pick_task(click: dict[str, Any] | None, view: dict[str, Any] | None) -> dict[str, Any]:
        serial = clicked_task(click)
        if serial is None:
            raise PreventUpdate
        return {"loop": loop_of(view), "serial": serial}  # a serial means something on its own loop only

    app.callback(
        Output(ids.TRACE_TASK, "data"),
        Input(ids.TRACE_GRAPH, "clickData"),
        State(ids.TRACE_VIEW, "data"),
        prevent_initial_call=True,
    )(pick_task)

    async def show_task(picked: dict[str, Any] | None, _note: Any, lang: str | None) -> tuple[Any, dict[str, str]]:
        return await inspect(settings, picked, lang)

    app.callback(
        Output(ids.TRACE_INSPECT, "children"),
        Output(ids.TRACE_CANCEL, "style"),
        Input(ids.TRACE_TASK, "data"),
        Input(ids.TRACE_NOTE, "data"),  # after an action (a cancel), the task as it is now
        Input(ids.LANG, "value"),  # the panel's words follow a switch of language
    )(show_task)

    app.callback(
        Output(ids.TRACE_NOTE, "data", allow_duplicate=True),
        Input(ids.TRACE_CANCEL, "n_clicks"),
        State(ids.TRACE_TASK, "data"),
        State(ids.LANG, "value"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(guarded(guard, "cancel", partial(cancel, settings), refusal_note))
