"""Trace page: agents in the loop switch, adding one by its URL and token (an action:
through the guard), and a finding's "show on the timeline".

An agent added on a page is checked first (it answers, with that token, as an agent), kept
in the shared book under a new key (``services.tracing.agents``), and the browser keeps
the key and the address (``TRACE_AGENTS``, at most ``PAGE_AGENTS``, the oldest let go);
the token goes no further than the book, and the token box is emptied."""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from dash import ALL, Dash, Input, Output, Patch, State, ctx, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks.guard import guarded
from callbacks.i18n import checked_lang
from callbacks.tracing import error_key, loop_of
from services.core.errors import ActionRefused, TraceError, TraceRefused
from services.core.i18n import t
from services.core.settings import Settings
from services.ops.guard import Guard
from services.tracing.agents import AGENT, address, book_of, checked_token, checked_url, settings_loops
from services.tracing.client import TraceClient
from services.tracing.limits import MESSAGE_PARAMS
from services.tracing.view import FOCUS_KEPT, LOOPS
from views.tracing import note

logger = logging.getLogger(__name__)

PAGE_AGENTS = 8
KEY = re.compile(r"p[A-Za-z0-9_-]{1,39}")


def page_agents(data: Any) -> list[dict[str, str]]:
    """The agents a browser's store holds (anything else in it is dropped)."""
    if not isinstance(data, list):
        return []
    return [
        {"id": a["id"], "url": a["url"]}
        for a in data
        if isinstance(a, dict)
        and isinstance(a.get("id"), str)
        and KEY.fullmatch(a["id"])
        and isinstance(a.get("url"), str)
    ][-PAGE_AGENTS:]


def loop_options(settings: Settings, data: Any, lang: str) -> list[dict[str, str]]:
    """The loop switch: the app's own loops, the settings' agents, then this browser's."""
    own = [{"label": t(f"trace.loop.{loop}", lang), "value": loop} for loop in LOOPS]
    agents = [*settings_loops(settings), *((f"{AGENT}{a['id']}", address(a["url"])) for a in page_agents(data))]
    return own + [{"label": t("trace.loop.agent", lang, address=label), "value": loop} for loop, label in agents]


async def check_agent(url: str, token: str) -> int:
    """The pid of the program whose agent answers at ``url`` with ``token`` (its findings
    route too: an agent's, not another trace service's); ``TraceError`` otherwise."""
    async with TraceClient(url, 3.0, token) as client:
        await client.diagnosis(1)
        return int((await client.poll(-1, 1))["pid"])


async def add_agent(
    settings: Settings, n_clicks: int | None, url: Any, token: Any, data: Any, _lang: str | None
) -> tuple[Any, dict[str, Any], Any, Any]:
    """(the browser's agents, the note, the loop to show, the token box: emptied)."""
    if not n_clicks:
        raise PreventUpdate
    try:
        url, token = checked_url(url), checked_token(token)
    except TraceRefused as err:
        return no_update, note(err.code, ok=False), no_update, no_update
    try:
        pid = await check_agent(url, token)
    except TraceError as err:
        return no_update, note(error_key(err, AGENT), ok=False, **MESSAGE_PARAMS), no_update, no_update
    book = book_of(settings)
    try:
        key = book.add(url, token)
    finally:
        book.close()
    logger.info("trace agent added: %s (pid %d)", url, pid)  # never its token
    agents = [*page_agents(data), {"id": key, "url": url}][-PAGE_AGENTS:]
    return agents, note("trace.agent.added", address=address(url), pid=pid), f"{AGENT}{key}", ""


def refused_add(err: ActionRefused, _lang: str) -> tuple[Any, dict[str, Any], Any, Any]:
    return no_update, note(err.code, ok=False, **err.params), no_update, no_update


def picked_finding(values: list[Any]) -> list[int]:
    """The seqs of the finding whose button was pressed (``ctx`` says which)."""
    picked = ctx.triggered_id
    if not isinstance(picked, dict):
        raise PreventUpdate
    index, clicks = picked.get("index"), ctx.triggered[0].get("value") if ctx.triggered else None
    if not clicks or not isinstance(index, int) or not 0 <= index < len(values):
        raise PreventUpdate  # a button that appeared, not one pressed
    seqs = [int(s) for s in str(values[index] or "").split(",") if s.isdigit()]
    return seqs[:FOCUS_KEPT]


def register(app: Dash, settings: Settings, guard: Guard) -> None:
    async def options(data: Any, lang: str | None) -> list[dict[str, str]]:
        return loop_options(settings, data, checked_lang(lang))

    app.callback(Output(ids.TRACE_LOOP, "options"), Input(ids.TRACE_AGENTS, "data"), Input(ids.LANG, "value"))(options)

    app.callback(
        Output(ids.TRACE_AGENTS, "data"),
        Output(ids.TRACE_NOTE, "data", allow_duplicate=True),
        Output(ids.TRACE_LOOP, "value"),
        Output(ids.TRACE_AGENT_TOKEN, "value"),
        Input(ids.TRACE_AGENT_ADD, "n_clicks"),
        State(ids.TRACE_AGENT_URL, "value"),
        State(ids.TRACE_AGENT_TOKEN, "value"),
        State(ids.TRACE_AGENTS, "data"),
        State(ids.LANG, "value"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(guarded(guard, "agent", partial(add_agent, settings), refused_add))

    async def inspect_from_tree(_clicks: list[Any], view: dict[str, Any] | None) -> dict[str, Any]:
        picked = ctx.triggered_id
        if not isinstance(picked, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
            raise PreventUpdate  # a name that appeared, not one pressed
        return {"loop": loop_of(view), "serial": int(picked["index"])}

    app.callback(
        Output(ids.TRACE_TASK, "data", allow_duplicate=True),
        Input({"type": ids.TRACE_TREE_TASK, "index": ALL}, "n_clicks"),
        State(ids.TRACE_VIEW, "data"),
        prevent_initial_call=True,
    )(inspect_from_tree)

    async def show_finding(_clicks: list[Any], values: list[Any]) -> tuple[Patch, dict[str, Any]]:
        seqs = picked_finding(values)
        focus = Patch()
        focus["focus"] = seqs
        return focus, note("trace.diag.shown", n=len(seqs))

    app.callback(
        Output(ids.TRACE_VIEW, "data", allow_duplicate=True),
        Output(ids.TRACE_NOTE, "data", allow_duplicate=True),
        Input({"type": ids.TRACE_FINDING, "index": ALL}, "n_clicks"),
        State({"type": ids.TRACE_FINDING, "index": ALL}, "value"),
        prevent_initial_call=True,
    )(show_finding)
