"""Trace page: its settings, the push stream of a loop's trace (the collector's or the
sensor service's), and the actions on that loop (block it, pool jobs, inspect and cancel a
task, download the export).

The stream is one WebSocket callback per page visit. The page layout gives each visit a
stream number, both the stream's Input (so mounting the page starts it) and part of the
view store; a stream whose number is no longer the page's returns (the page was left,
or ``callbacks.watchdog`` started a newer one after its beats stopped). Each turn asks
the page for its view with ``get_prop`` — the acknowledgement that the last push was
taken (at most one update in flight) — then asks the trace service for the rows since
its cursor and pushes them as a Patch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from dash import Dash, Input, Output, State, dcc, no_update, set_props
from dash.exceptions import PreventUpdate

import ids
from callbacks.i18n import checked_lang, follow_language
from callbacks.streaming import PageStream, register_watchdog
from services.core.errors import TraceError, TraceUnavailable
from services.core.i18n import t
from services.core.settings import Settings
from services.tracing.client import TraceClient
from services.tracing.limits import MAX_BLOCK_MS, MESSAGE_PARAMS
from services.tracing.view import SLOW_MARKS_MS, TraceSession, TraceView, known_loop
from views import HIDDEN, SHOWN
from views.tracing import counters_text, make_slow_table, make_task_panel, make_trace_figure, make_trace_patch, message

logger = logging.getLogger(__name__)

PUSH_S = 0.25  # a stream asks the trace service for new rows this often
COUNTERS_EVERY_S = 1.0
RETRY_S = 2.0  # the trace service did not answer: ask again after this long
WATCH_EVERY_S = 5.0  # a paused page tells the trace service it is still watched this often
JOBS, JOB_MS = 8, 60


def make_view(
    loop: str,
    window_s: int,
    internal: list[str] | None,
    slow_mark: int | None,
    n_pause: int | None,
    lang: str | None,
    previous: dict[str, Any] | None,
) -> tuple[dict[str, Any], str]:
    """(view store, pause button class); ``slow_mark`` is the slider's position."""
    paused = bool(n_pause and n_pause % 2)
    slow_ms = SLOW_MARKS_MS[slow_mark] if isinstance(slow_mark, int) and 0 <= slow_mark < len(SLOW_MARKS_MS) else 100
    view = {
        "loop": known_loop(loop),
        "window_s": window_s,
        "hide_internal": bool(internal),
        "slow_ms": slow_ms,
        "paused": paused,
        "lang": checked_lang(lang),
        "stream": (previous or {}).get("stream", 0),
    }
    return view, "btn btn-pause paused" if paused else "btn btn-pause"


def error_text(err: TraceError, lang: str, loop: str) -> str:
    if isinstance(err, TraceUnavailable) and loop == "sensor":
        return t("trace.err.unavailable_sensor", lang)
    return t(err.code, lang, **MESSAGE_PARAMS)


def failed(err: TraceError, lang: str, loop: str) -> Any:
    return message(error_text(err, lang, loop), ok=False)


def loop_of(data: dict[str, Any] | None) -> str:
    """The loop a store (the view, or an inspected task) is about."""
    return TraceView.from_store(data).loop


# -- the push stream ----------------------------------------------------------------------


class _Stream(PageStream):
    def __init__(self, client: TraceClient, settings: Settings, number: int) -> None:
        self.number = number
        self.client = client
        self.settings = settings
        self.session: TraceSession | None = None
        self._counters_at = 0.0
        self._watched_at = 0.0

    def current(self, data: dict[str, Any] | None) -> bool:
        return (
            data is not None and data.get("stream") == self.number
        )  # else the page was left, or a newer stream serves it

    async def turn(self, data: dict[str, Any] | None) -> None:
        await self.step(TraceView.from_store(data), checked_lang((data or {}).get("lang")))

    async def failed(self, err: Exception, data: dict[str, Any] | None) -> None:
        lang = checked_lang((data or {}).get("lang"))
        if isinstance(err, TraceError):
            set_props(ids.TRACE_STATUS, {"children": error_text(err, lang, TraceView.from_store(data).loop)})
        else:
            logger.exception("trace stream step failed; rebuilding")
            set_props(ids.TRACE_STATUS, {"children": t("trace.err.stream", lang)})
        self.session = None
        await asyncio.sleep(RETRY_S)

    async def step(self, view: TraceView, lang: str) -> None:
        session = self.session
        if session is None or not view.same_picture(session.view):
            self.client.use(self.settings.trace_url_of(view.loop))
            self.session = session = TraceSession(view)
            update = session.feed(await self.client.poll(-1, view.window_s))
            set_props(ids.TRACE_GRAPH, {"figure": make_trace_figure(update, session, lang)})
        else:
            paused_before, session.view = session.view.paused, view
            if view.paused != paused_before:
                self.push_status(lang)
            await asyncio.sleep(PUSH_S)
            if view.paused:  # the picture stays; the tracer must not detach meanwhile
                if time.monotonic() - self._watched_at >= WATCH_EVERY_S:
                    self._watched_at = time.monotonic()
                    await self.client.watch()
                return
            update = session.feed(await self.client.poll(session.cursor, view.window_s))
            set_props(ids.TRACE_GRAPH, {"figure": make_trace_patch(update, view.window_s)})
        if update.slow_changed:
            set_props(ids.TRACE_SLOW, {"children": make_slow_table(session.slow_rows(), view.slow_ms, lang)})
        if time.monotonic() - self._counters_at >= COUNTERS_EVERY_S:
            self._counters_at = time.monotonic()
            set_props(ids.TRACE_COUNTERS, {"children": counters_text(session, lang)})
            self.push_status(lang)

    def push_status(self, lang: str) -> None:
        assert self.session is not None
        view = self.session.view
        text = (
            t("trace.status.paused", lang)
            if view.paused
            else t(
                "trace.status.live",
                lang,
                loop=t(f"trace.loop.{view.loop}", lang),
                pid=self.session.pid,
                window=view.window_s,
            )
        )
        set_props(ids.TRACE_STATUS, {"children": text})


async def stream(settings: Settings, number: int | None) -> None:
    if not number:
        raise PreventUpdate  # only for a page visit
    async with TraceClient(settings.trace_url) as client:
        await _Stream(client, settings, number).run(ids.TRACE_VIEW, ids.TRACE_BEAT, number)


# -- actions --------------------------------------------------------------------------------


def parse_block_ms(text: Any) -> int | None:
    """A whole number of ms from 1 to ``MAX_BLOCK_MS``, or None."""
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return int(value) if value.is_integer() and 1 <= value <= MAX_BLOCK_MS else None


async def block(
    settings: Settings, n_clicks: int | None, text: Any, view: dict[str, Any] | None, lang: str | None
) -> Any:
    if not n_clicks:
        raise PreventUpdate
    lang, loop = checked_lang(lang), loop_of(view)
    ms = parse_block_ms(text)
    if ms is None:
        return message(t("trace.err.block_range", lang, **MESSAGE_PARAMS), ok=False)
    try:
        async with TraceClient(settings.trace_url_of(loop)) as client:
            return message(t("trace.blocked", lang, name=await client.block(ms)))
    except TraceError as err:
        return failed(err, lang, loop)


async def jobs(settings: Settings, n_clicks: int | None, view: dict[str, Any] | None, lang: str | None) -> Any:
    if not n_clicks:
        raise PreventUpdate
    lang, loop = checked_lang(lang), loop_of(view)
    try:
        async with TraceClient(settings.trace_url_of(loop)) as client:
            return message(t("trace.jobs_sent", lang, n=await client.jobs(JOBS, JOB_MS)))
    except TraceError as err:
        return failed(err, lang, loop)


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
        async with TraceClient(settings.trace_url_of(loop)) as client:
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


async def cancel(settings: Settings, n_clicks: int | None, picked: dict[str, Any] | None, lang: str | None) -> Any:
    serial = task_of(picked)
    if not n_clicks or not serial:
        raise PreventUpdate
    lang, loop = checked_lang(lang), loop_of(picked)
    try:
        async with TraceClient(settings.trace_url_of(loop)) as client:
            return message(t("trace.cancelled", lang, name=await client.cancel(serial)))
    except TraceError as err:
        return failed(err, lang, loop)


async def export(
    settings: Settings, n_clicks: int | None, view: dict[str, Any] | None, lang: str | None
) -> tuple[Any, str]:
    if not n_clicks:
        raise PreventUpdate
    lang, shown = checked_lang(lang), TraceView.from_store(view)
    try:
        async with TraceClient(settings.trace_url_of(shown.loop), timeout_s=10) as client:
            doc = await client.export(shown.window_s)
    except TraceError as err:
        return no_update, failed(err, lang, shown.loop)
    name = f"looplens-trace-{shown.loop}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    return dcc.send_string(json.dumps(doc, separators=(",", ":")), name, type="application/json"), ""


def register(app: Dash, settings: Settings) -> None:
    """The view, the stream and its watchdog; then the page's actions."""

    async def view(
        loop: str,
        window_s: int,
        internal: list[str] | None,
        slow_mark: int | None,
        n_pause: int | None,
        lang: str | None,
        previous: dict[str, Any] | None,
    ) -> tuple[dict[str, Any], str]:
        return make_view(loop, window_s, internal, slow_mark, n_pause, lang, previous)

    app.callback(
        Output(ids.TRACE_VIEW, "data"),
        Output(ids.TRACE_PAUSE, "className"),
        Input(ids.TRACE_LOOP, "value"),
        Input(ids.TRACE_WINDOW, "value"),
        Input(ids.TRACE_INTERNAL, "value"),
        Input(ids.TRACE_SLOW_MS, "value"),
        Input(ids.TRACE_PAUSE, "n_clicks"),
        State(ids.LANG, "value"),
        State(ids.TRACE_VIEW, "data"),
    )(view)

    async def trace_stream(number: int | None) -> int:
        await stream(settings, number)
        return number or 0  # which stream ended

    # The Output is what makes the page mount start the stream: Dash 4.4.1 fires a callback
    # without one only on the app's first load, not when a page's layout arrives.
    app.callback(Output(ids.TRACE_ENDED, "data"), Input(ids.TRACE_STREAM, "data"), websocket=True, persistent=True)(
        trace_stream
    )
    register_watchdog(
        app,
        interval=ids.TRACE_WATCHDOG,
        beat=ids.TRACE_BEAT,
        stream=ids.TRACE_STREAM,
        view=ids.TRACE_VIEW,
        state="looplensTrace",
    )
    follow_language(app, ids.TRACE_VIEW)

    _register_loop_actions(app, settings)
    _register_task_actions(app, settings)


def _register_loop_actions(app: Dash, settings: Settings) -> None:
    """Block the loop, run pool jobs, download the window."""

    async def block_loop(n_clicks: int | None, text: Any, view: dict[str, Any] | None, lang: str | None) -> Any:
        return await block(settings, n_clicks, text, view, lang)

    app.callback(
        Output(ids.TRACE_MESSAGE, "children"),
        Input(ids.TRACE_BLOCK, "n_clicks"),
        State(ids.TRACE_BLOCK_MS, "value"),
        State(ids.TRACE_VIEW, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(block_loop)

    async def pool_jobs(n_clicks: int | None, view: dict[str, Any] | None, lang: str | None) -> Any:
        return await jobs(settings, n_clicks, view, lang)

    app.callback(
        Output(ids.TRACE_MESSAGE, "children", allow_duplicate=True),
        Input(ids.TRACE_JOBS, "n_clicks"),
        State(ids.TRACE_VIEW, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(pool_jobs)

    async def download(n_clicks: int | None, view: dict[str, Any] | None, lang: str | None) -> tuple[Any, str]:
        return await export(settings, n_clicks, view, lang)

    app.callback(
        Output(ids.TRACE_DOWNLOAD, "data"),
        Output(ids.TRACE_MESSAGE, "children", allow_duplicate=True),
        Input(ids.TRACE_EXPORT, "n_clicks"),
        State(ids.TRACE_VIEW, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(download)


def _register_task_actions(app: Dash, settings: Settings) -> None:
    """Pick a task by clicking its tick, inspect it, cancel it."""

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

    async def show_task(picked: dict[str, Any] | None, _message: Any, lang: str | None) -> tuple[Any, dict[str, str]]:
        return await inspect(settings, picked, lang)

    app.callback(
        Output(ids.TRACE_INSPECT, "children"),
        Output(ids.TRACE_CANCEL, "style"),
        Input(ids.TRACE_TASK, "data"),
        Input(ids.TRACE_MESSAGE, "children"),
        State(ids.LANG, "value"),
    )(show_task)

    async def cancel_task(n_clicks: int | None, picked: dict[str, Any] | None, lang: str | None) -> Any:
        return await cancel(settings, n_clicks, picked, lang)

    app.callback(
        Output(ids.TRACE_MESSAGE, "children", allow_duplicate=True),
        Input(ids.TRACE_CANCEL, "n_clicks"),
        State(ids.TRACE_TASK, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(cancel_task)
