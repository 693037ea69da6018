"""A page's push stream: the loop every streaming page runs (``PageStream.run``), its
beats, and the clientside watchdog that restarts it.

``PageStream.run`` is one long-running WebSocket callback: each turn it asks the page
for its view with ``get_prop`` — the acknowledgement that keeps one update in flight,
and the user's latest settings — beats, and lets the page's stream take one ``turn``.
A turn that fails is shown by the page's ``failed`` and the stream goes on.

Pushing only to a page that is there: a turn awaits (new rows, a service), and the user
may leave the page meanwhile; what it ``push``es is held until the next acknowledgement
and sent only if that brings a view (a page whose view store lives in the shell empties
it when left), so nothing goes to components that are gone (the browser would warn
"SET_PROPS: Component … not found"). A page whose view store is part of the page itself
names its ``path``: its stream asks the shell's location first and ends as soon as the
browser is elsewhere, without asking for a store that is gone.

Drawn as soon as it can be: a stream whose turn waits for news (new rows) does the waiting
in ``ready``, before it asks; the page meanwhile draws the last update, and its answer is
followed at once by a turn that takes everything new up to that moment. What a turn pushes
within ``FRESH_S`` of the acknowledgement is sent straight away (the page was there a moment
ago); what took longer is held for the next one, as above, which is then asked for at once
(without waiting in ``ready`` for news).

Keeping one stream alive per page: Dash 4.4.1 restarts a WebSocket callback after a
reconnect only for some losses of the socket (a second full page load in the same
browser can leave the page with none), so each streaming page watches for itself. Its
stream sets a beat store at least every ``BEAT_S``; a ``dcc.Interval`` on the page runs
the watchdog, which, after ``STALL_MS`` without a beat, raises the stream number — the
stream callback's Input, so a new stream starts — and writes the number into the page's
view store too. A stream that sees a view with another number than its own returns, so
one stream pushes to a page. A restart that brings no beat makes the watchdog wait twice
as long (up to ``STALL_MAX_MS``); a page that was away (another page, a frozen tab)
starts fresh.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from dash import Dash, Input, Output, Patch, State, ctx, set_props
from dash.exceptions import PreventUpdate, WebsocketDisconnected

import ids
from services.core.i18n import LANGS, t
from services.core.metrics import OPEN_STREAMS
from views.controls import WAITING

BEAT_S = 1.0
FRESH_S = 0.05  # a turn's pushes that soon after the acknowledgement go at once
STALL_MS = 3000  # three beats missed
STALL_MAX_MS = 24000


class Beat:
    """A stream's heartbeat: ``beat(drew)`` each turn sets the store at most every ``BEAT_S``.
    Each value names the stream, so a new stream's first beat always differs, and ends in
    "d" once the stream has drawn its picture (see ``register_watchdog``)."""

    def __init__(self, store_id: str, number: int) -> None:
        self.store_id, self.number = store_id, number
        self._count, self._at = 0, 0.0

    def beat(self, drew: bool = False) -> None:
        if time.monotonic() - self._at >= BEAT_S:
            self._count, self._at = self._count + 1, time.monotonic()
            set_props(self.store_id, {"data": f"{self.number}.{self._count}{'d' if drew else ''}"})


class PageStream:
    """One page's stream; a page subclasses it with what a turn does (and names its page)."""

    page = "page"
    path: str | None = None  # the page's path when its view store is part of the page
    picture = ""  # a graph the stream draws, a whole figure and then patches of it (see register_watchdog)
    drew = False  # whether it has pushed a whole figure of ``picture``
    _outbox: list[tuple[str, dict[str, Any]]]  # what ``push`` holds until the next acknowledgement

    def push(self, component_id: str, props: dict[str, Any]) -> None:
        """Set ``props`` of a component of the page once the page has acknowledged the last
        update and is still there (see the module docstring)."""
        if component_id == self.picture and "figure" in props and not isinstance(props["figure"], Patch):
            self.drew = True
        self._outbox.append((component_id, props))

    def current(self, data: dict[str, Any] | None) -> bool:
        """Whether this stream still serves the page whose view is ``data``."""
        raise NotImplementedError

    def look(self, data: dict[str, Any] | None) -> None:
        """The page's view, before anything held is sent: a stream may drop what is held."""

    async def ready(self) -> None:
        """Before asking the page: wait for news, if this stream waits for any (see the module docstring)."""

    async def turn(self, data: dict[str, Any] | None) -> None:
        """One turn, after the page's acknowledgement: ``push`` what is new."""
        raise NotImplementedError

    async def failed(self, err: Exception, data: dict[str, Any] | None) -> None:
        """Show that a turn failed (called while handling ``err``) and get ready to rebuild."""
        raise NotImplementedError

    async def run(self, view_id: str, beat_id: str, number: int) -> None:
        """Turn until the socket closes or the page no longer wants this stream."""
        ws = ctx.websocket
        if ws is None:
            raise PreventUpdate  # only meaningful over the WebSocket
        beat = Beat(beat_id, number)
        self._outbox = []
        with OPEN_STREAMS.labels(self.page).track_inprogress():
            await self._turns(ws, view_id, beat)

    async def _ask(self, ws: Any, view_id: str) -> tuple[bool, dict[str, Any] | None]:
        """(whether the page is still shown, its view): the acknowledgement of the last update."""
        if self.path is not None and await ws.get_prop(ids.PAGES_LOCATION, "pathname") != self.path:
            return False, None  # the page was left: its components, its view store among them, are gone
        return True, await ws.get_prop(view_id, "data")

    async def _turns(self, ws: Any, view_id: str, beat: Beat) -> None:
        while not ws.is_shutdown:
            try:
                if not self._outbox:  # else a slow turn's pushes are held: they go at the next ask, so ask now
                    await self.ready()
                shown, data = await self._ask(ws, view_id)
            except TimeoutError:
                continue  # a frozen or background tab: ask again
            except WebsocketDisconnected:
                return
            if not (shown and self.current(data)):
                return
            beat.beat(self.drew)
            asked = time.monotonic()
            self.look(data)
            self._send(data)  # held since the last turn
            try:
                await self.turn(data)
            except (asyncio.CancelledError, WebsocketDisconnected):
                raise
            except Exception as err:  # the stream must outlive a bad turn
                await self.failed(err, data)
            if time.monotonic() - asked <= FRESH_S:
                self._send(data)

    def _send(self, data: dict[str, Any] | None) -> None:
        outbox, self._outbox = self._outbox, []
        if data is not None:  # else the page was left while the turn ran: what was for it is dropped
            for component_id, props in outbox:
                set_props(component_id, props)


def register_watchdog(
    app: Dash, *, interval: str, beat: str, stream: str, view: str, status: str, state: str, picture: str = ""
) -> None:
    """The clientside watchdog for one page; ``state`` names its ``window`` object (a bench
    reads ``starts`` there). A tab in the background restarts its stream too (its timers
    still run, if slower), so every tab of a browser is streaming again when it is looked
    at; while a restart is under way the page's status says so.

    ``picture``: the graph of ``PageStream.picture``. While it shows its placeholder
    (``views.controls.WAITING``) and the stream's beats say it has drawn, they do not count:
    a page that lost the stream's figure gets a new stream, which starts with a whole one.
    Seen once in 20 loads of Live under load: the placeholder, every patch after it failing
    in the renderer, the stream beating on (the page had been drawn anew, which the Live
    stream now tells by the view's ``render``; this is the fallback for any other loss). The
    placeholder appearing (a page load) restarts the clock, so a stream gets a whole stall to
    draw; a stream that never drew (its rebuild fails, and says so in the status) is not
    restarted for it."""
    reconnecting = json.dumps({lang: t("stream.reconnecting", lang) for lang in LANGS})
    app.clientside_callback(
        f"""(tick, beat, number, view, figure) => {{
            const none = window.dash_clientside.no_update;
            const now = Date.now();
            const w = window.{state} ||
                (window.{state} = {{beat: beat, at: now, tick: now, wait: {STALL_MS}, starts: 0}});
            const back = now - w.tick > 2500;  // the page was away (another page, a frozen tab)
            w.tick = now;
            const waiting = !!(figure && figure.layout && figure.layout.meta === {json.dumps(WAITING)});
            if (waiting && !w.waiting) w.at = now;
            w.waiting = waiting;
            const lost = waiting && String(beat).endsWith("d");  // drawn by the stream, not shown
            if ((beat !== w.beat && !lost) || back) {{
                Object.assign(w, {{beat: beat, at: now, wait: {STALL_MS}}});
                return [none, none, none];
            }}
            if (!view || now - w.at < w.wait) return [none, none, none];
            Object.assign(w, {{at: now, wait: Math.min(2 * w.wait, {STALL_MAX_MS}), starts: w.starts + 1}});
            const next = (number || 0) + 1;
            const text = {reconnecting}[view.lang] || {reconnecting}.en;
            return [next, Object.assign({{}}, view, {{stream: next}}), text];
        }}""",
        Output(stream, "data"),
        Output(view, "data", allow_duplicate=True),
        Output(status, "children", allow_duplicate=True),
        Input(interval, "n_intervals"),
        State(beat, "data"),
        State(stream, "data"),
        State(view, "data"),
        *([State(picture, "figure")] if picture else []),
        prevent_initial_call=True,
    )
