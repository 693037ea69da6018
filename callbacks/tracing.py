"""Trace page: its settings, the push stream of a loop's trace (the collector's, the
sensor service's, or an agent's in a traced program: ``services.tracing.agents``), with an
agent's findings beside it, and the actions on that loop (block it, pool jobs, inspect and cancel a
task, download the export).

The stream is one WebSocket callback per page visit. The page layout gives each visit a
stream number, both the stream's Input (so mounting the page starts it) and part of the
view store; a stream returns when the browser is no longer at ``PAGE_PATH`` (the page
was left: its components are gone) or the view's number is no longer its own
(``callbacks.streaming``'s watchdog started a newer one after its beats stopped). Each
turn asks the page for its view with ``get_prop`` — the acknowledgement that the last
push was taken (at most one update in flight) — then asks the trace service for the
rows since its cursor and pushes them as a Patch, once the next acknowledgement shows
the page is still there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

import ids
from callbacks.i18n import checked_lang, follow_language
from callbacks.streaming import PageStream, register_watchdog
from services.core.errors import TraceError, TraceForbidden, TraceUnavailable
from services.core.i18n import t
from services.core.settings import Settings
from services.tracing.agents import Endpoint, book_of, endpoint, is_agent, known_loop
from services.tracing.client import TraceClient
from services.tracing.limits import MESSAGE_PARAMS
from services.tracing.view import SLOW_MARKS_MS, TraceSession, TraceView
from views.controls import box_style
from views.trace_panels import make_diagnosis
from views.trace_tracks import make_tracks_figure, tracks_graph
from views.trace_tree import make_task_tree
from views.tracing import (
    counters_text,
    make_focus_patch,
    make_slow_table,
    make_trace_figure,
    make_trace_patch,
    message,
    note,
)

logger = logging.getLogger(__name__)

PAGE_PATH = "/trace"
PUSH_S = 0.25  # a stream asks the trace service for new rows this often
COUNTERS_EVERY_S = 1.0
DIAGNOSIS_EVERY_S = 2.0  # an agent's findings are asked for this often
RETRY_S = 2.0  # the trace service did not answer: ask again after this long
WATCH_EVERY_S = 5.0  # a paused page tells the trace service it is still watched this often


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
    loop = known_loop(loop)
    kept = previous if previous and previous.get("loop") == loop else {}  # a finding's rows, on its own loop
    slow_ms = SLOW_MARKS_MS[slow_mark] if isinstance(slow_mark, int) and 0 <= slow_mark < len(SLOW_MARKS_MS) else 100
    view = {
        "loop": loop,
        "window_s": window_s,
        "hide_internal": bool(internal),
        "slow_ms": slow_ms,
        "paused": paused,
        "lang": checked_lang(lang),
        "stream": (previous or {}).get("stream", 0),
        "focus": kept.get("focus") or [],
    }
    return view, "btn btn-pause paused" if paused else "btn btn-pause"


def error_key(err: TraceError, loop: str) -> str:
    """The message key of what went wrong asking ``loop``'s trace service."""
    if is_agent(loop):
        if isinstance(err, TraceUnavailable):
            return "trace.err.agent_unreachable"
        return "trace.err.agent_token" if isinstance(err, TraceForbidden) else err.code
    return "trace.err.unavailable_sensor" if isinstance(err, TraceUnavailable) and loop == "sensor" else err.code


def error_text(err: TraceError, lang: str, loop: str) -> str:
    return t(error_key(err, loop), lang, **MESSAGE_PARAMS)


def endpoint_of(settings: Settings, loop: str) -> Endpoint:
    """Where ``loop`` is served (an agent's from the shared book); ``TraceRefused`` if unknown."""
    if not is_agent(loop):
        return endpoint(settings, None, loop)  # own loops need no book
    book = book_of(settings)
    try:
        return endpoint(settings, book, loop)
    finally:
        book.close()


def trace_client(settings: Settings, loop: str, timeout_s: float = 3.0) -> TraceClient:
    """A client of that loop's trace service, with the token its routes ask for (the
    operator's for the app's own, an agent's own for an agent's)."""
    where = endpoint_of(settings, loop)
    return TraceClient(where.url, timeout_s, where.token)


def failed(err: TraceError, lang: str, loop: str) -> Any:
    return message(error_text(err, lang, loop), ok=False)


def failure(err: TraceError, loop: str) -> dict[str, Any]:
    """What went wrong, as an action's note (``views.tracing.show_note``)."""
    return note(error_key(err, loop), ok=False, **MESSAGE_PARAMS)


def loop_of(data: dict[str, Any] | None) -> str:
    """The loop a store (the view, or an inspected task) is about."""
    return TraceView.from_store(data).loop


# -- the push stream ----------------------------------------------------------------------


class _Stream(PageStream):
    page = "trace"
    path = PAGE_PATH

    def __init__(self, client: TraceClient, settings: Settings, number: int) -> None:
        self.number = number
        self.client = client
        self.settings = settings
        self.session: TraceSession | None = None
        self.where = Endpoint(client.base_url, "", agent=False)
        self._focus: tuple[int, ...] = ()  # the rows highlighted in what was pushed
        self._diagnosis_at = 0.0
        self._findings: dict[str, Any] | None = None  # the last pushed
        self._tree: dict[str, Any] | None = None
        self._tracks_shown = False
        self._counters_at = 0.0
        self._watched_at = 0.0
        self._retry_at = 0.0  # after a failed turn: when to ask the trace service again

    def current(self, data: dict[str, Any] | None) -> bool:
        return (
            data is not None and data.get("stream") == self.number
        )  # else the page was left, or a newer stream serves it

    async def turn(self, data: dict[str, Any] | None) -> None:
        await self.step(TraceView.from_store(data))

    async def failed(self, err: Exception, data: dict[str, Any] | None) -> None:
        lang = checked_lang((data or {}).get("lang"))
        if isinstance(err, TraceError):
            self.push(ids.TRACE_STATUS, {"children": error_text(err, lang, TraceView.from_store(data).loop)})
        else:
            logger.exception("trace stream step failed; rebuilding")
            self.push(ids.TRACE_STATUS, {"children": t("trace.err.stream", lang)})
        self.session = None
        self._retry_at = time.monotonic() + RETRY_S  # the message goes out now, the next try then

    async def step(self, view: TraceView) -> None:
        """A new picture (the first, or another loop, window, threshold or language: every
        word in it follows), or the rows since the last; then the table and counters."""
        if (wait := self._retry_at - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        session, lang = self.session, view.lang
        if session is None or not view.same_picture(session.view):
            self.where = endpoint_of(self.settings, view.loop)
            self.client.use(self.where.url, self.where.token)
            self.session = TraceSession(view)
            if session is not None and session.view.loop == view.loop:
                self.session.stats = session.stats  # the rate it measured holds until the next one
            session = self.session
            update = session.feed(await self.client.poll(-1, view.window_s))
            self.push(ids.TRACE_GRAPH, {"figure": make_trace_figure(update, session, lang)})
            self.push(ids.TRACE_MAIN, {"className": "trace-main with-tree" if self.where.agent else "trace-main"})
            self._counters_at = self._diagnosis_at = 0.0  # its counters, status and findings now, in its language
            self._focus, self._findings, self._tree = view.focus, None, None
            self._tracks_shown = self._tracks_shown and self.where.agent  # another language: drawn anew
        else:
            paused_before, session.view = session.view.paused, view
            if view.paused != paused_before:
                self.push_status(lang)
            await asyncio.sleep(PUSH_S)
            if view.paused:  # the picture stays; the tracer must not detach meanwhile
                if view.focus != self._focus:  # a finding picked meanwhile: its rows, highlighted
                    self.push(ids.TRACE_GRAPH, {"figure": make_focus_patch(session.focused(), view.window_s)})
                    self.push(ids.TRACE_SLOW, {"children": self.slow_table(session)})
                    self._focus = view.focus
                if time.monotonic() - self._watched_at >= WATCH_EVERY_S:
                    self._watched_at = time.monotonic()
                    await self.client.watch()
                return
            update = session.feed(await self.client.poll(session.cursor, view.window_s))
            refocus = view.focus != self._focus
            shapes = session.focused() if refocus or update.fresh else None
            self.push(ids.TRACE_GRAPH, {"figure": make_trace_patch(update, view.window_s, shapes)})
            self._focus = view.focus
            update.slow_changed |= refocus
        if update.slow_changed:
            self.push(ids.TRACE_SLOW, {"children": self.slow_table(session)})
        await self.diagnose(session, lang)
        if time.monotonic() - self._counters_at >= COUNTERS_EVERY_S:
            self._counters_at = time.monotonic()
            self.push_tracks(session, lang)
            self.push(ids.TRACE_COUNTERS, {"children": counters_text(session, lang)})
            self.push_status(lang)

    def push_tracks(self, session: TraceSession, lang: str) -> None:
        """An agent's counter tracks and executor lanes, redrawn each second (they are few):
        the first time a graph made while shown (one made hidden keeps a wrong size), then
        its figure; none: no graph."""
        figure = make_tracks_figure(session, lang) if self.where.agent else None
        if figure is None:
            if self._tracks_shown:
                self.push(ids.TRACE_TRACKS_BOX, {"children": []})
            self._tracks_shown = False
        elif self._tracks_shown:
            self.push(ids.TRACE_TRACKS, {"figure": figure, "style": box_style(figure.layout.height)})
        else:
            self.push(ids.TRACE_TRACKS_BOX, {"children": tracks_graph(figure, lang)})
            self._tracks_shown = True

    def slow_table(self, session: TraceSession) -> Any:
        view = session.view
        return make_slow_table(session.slow_rows(), view.slow_ms, view.lang, set(view.focus))

    async def diagnose(self, session: TraceSession, lang: str) -> None:
        """An agent's findings and task tree, every ``DIAGNOSIS_EVERY_S``, each pushed when it
        changed (a panel pushed again loses the keyboard's focus in it); for the app's own
        loops, once, where to find them."""
        if time.monotonic() - self._diagnosis_at < DIAGNOSIS_EVERY_S:
            return
        self._diagnosis_at = time.monotonic()
        view = session.view
        if not self.where.agent:
            self._diagnosis_at = float("inf")  # said once per picture
            self.push(ids.TRACE_DIAGNOSIS, {"children": make_diagnosis(None, session.limits, view.window_s, lang)})
            self.push(ids.TRACE_TREE, {"children": make_task_tree(None, lang)})
            return
        found = await self.client.diagnosis(view.window_s)
        if found != self._findings:
            self._findings = found
            self.push(ids.TRACE_DIAGNOSIS, {"children": make_diagnosis(found, session.limits, view.window_s, lang)})
        tree = await self.client.tree()
        if tree != self._tree:
            self._tree = tree
            self.push(ids.TRACE_TREE, {"children": make_task_tree(tree, lang)})

    def push_status(self, lang: str) -> None:
        assert self.session is not None
        view = self.session.view
        live = {"pid": self.session.pid, "window": view.window_s}
        text = (
            t("trace.status.paused", lang)
            if view.paused
            else t("trace.status.agent", lang, address=self.where.label, **live)
            if self.where.agent
            else t("trace.status.live", lang, loop=t(f"trace.loop.{view.loop}", lang), **live)
        )
        self.push(ids.TRACE_STATUS, {"children": text})


async def stream(settings: Settings, number: int | None) -> None:
    if not number:
        raise PreventUpdate  # only for a page visit
    async with trace_client(settings, "collector") as client:
        await _Stream(client, settings, number).run(ids.TRACE_VIEW, ids.TRACE_BEAT, number)


def register(app: Dash, settings: Settings) -> None:
    """The view, the stream and its watchdog (the page's actions: ``callbacks.trace_actions``)."""

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
        status=ids.TRACE_STATUS,
        state="looplensTrace",
    )
    follow_language(app, ids.TRACE_VIEW)

    # Leaving the page empties its view at once, before its layout goes: a stream that asks
    # meanwhile ends instead of pushing to components about to be gone.
    app.clientside_callback(
        f"(path) => path === '{PAGE_PATH}' ? window.dash_clientside.no_update : null",
        Output(ids.TRACE_VIEW, "data", allow_duplicate=True),
        Input(ids.PAGES_LOCATION, "pathname"),
        prevent_initial_call=True,
    )
