"""Live page: the view the page asks for, CSV export, and the push stream.

The stream is one long-running WebSocket callback per browser page, with no
Output. It waits on the store for new rows, pushes a small Patch, then asks the
page for its view with ``get_prop`` — the answer is both the acknowledgement (at
most one update in flight, so a slow tab gets fewer, larger updates instead of a
growing queue) and the user's latest settings. A stream starts by rebuilding the
page from the store, so a new stream leaves no gap and no duplicate point.

Starting streams: the page load starts one (its Input, the stream number in the
shell, is there from the start); ``callbacks.watchdog`` starts a new one when its
beats stop. A stream that sees a higher number than its own in the view returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update

import ids
from callbacks import live_history
from callbacks.i18n import checked_lang, follow_language
from callbacks.live_history import StillViews, pick_window, raw_kept_s, shown_preset
from callbacks.streaming import PageStream, register_watchdog
from services.core.errors import LiveInputError
from services.core.i18n import t
from services.core.settings import Settings
from services.live.bell import CommitBell
from services.live.history import Plan, plan
from services.live.meta import heartbeat, polled_stations, unavailable
from services.live.session import Delta, LiveSession, Snapshot
from services.live.store import ReadingStore
from services.live.view import MAX_STATIONS, MAX_WINDOW_S, LiveView, Thresholds, from_unit, local_time, to_unit
from views.live import banner, card_patch, make_cards, make_live_figure, make_live_patch
from views.live_history import showing

logger = logging.getLogger(__name__)

VIEW_CHECK_S = 0.25  # with nothing new, still ask the page for its view this often
# With no new point, the x window slides once a step (each slide redraws the figure): 1 s,
# or 1/300 of a longer window (about 3 px: 12 s in 1 h, 288 s in 24 h).
WINDOW_STEP_S = 1.0
WINDOW_STEPS = 300
IDLE_S = 0.2  # not on the Live page: look again this often
# A page that is loading sets its view a moment after its stream starts: for the stream's
# first LOADING_S, look again this often (each look saved is up to IDLE_S of first paint).
LOADING_S, LOADING_IDLE_S = 2.0, 0.04
STATUS_EVERY_S = 2.0  # how often the collector heartbeat (and sensor availability) is checked
STATIONS_EVERY_S = 2.0  # a page asks for a sensor this stream does not know: look again at most this often
PAGE_PATH = "/live"


# -- the view the page asks for --------------------------------------------------------


def _convert(value: Any, old: str, new: str) -> Any:
    """A typed temperature threshold, moved to the new unit; text that is not a number stays."""
    try:
        return round(to_unit(from_unit(float(value), old), new), 1)
    except (TypeError, ValueError):
        return value


def _plain(value: Any) -> Any:
    """Full-width digits and signs ("１０", "－５", from a Chinese input method) as plain ones,
    to show the box back what was understood; no_update when it is plain already."""
    if not isinstance(value, str):
        return no_update
    plain = unicodedata.normalize("NFKC", value)
    return plain if plain != value else no_update


async def update_view(
    stations: list[str] | None, range_key: str | None, date_from: Any, date_to: Any, unit: str, n_pause: int | None,
    temp_low: Any, temp_high: Any, hum_low: Any, hum_high: Any, relayout: Any, lang: str | None, render: str | None,
    previous: dict[str, Any] | None,
) -> tuple[Any, ...]:  # fmt: skip
    return make_view(
        ctx.triggered_id, stations, range_key, unit, n_pause, temp_low, temp_high, hum_low, hum_high, lang, previous,
        date_from=date_from, date_to=date_to, relayout=relayout, render=render,
    )  # fmt: skip


def make_view(
    triggered: Any, stations: list[str] | None, range_key: str | None, unit: str, n_pause: int | None, temp_low: Any,
    temp_high: Any, hum_low: Any, hum_high: Any, lang: str | None, previous: dict[str, Any] | None, *,
    date_from: Any = None, date_to: Any = None, relayout: Any = None, render: str | None = None,
) -> tuple[Any, ...]:  # fmt: skip
    """(view store, message, pause button class, the four threshold boxes' values (converted
    when the unit changed, made plain when typed in full-width digits), the preset buttons'
    value (none while dates or a zoom are shown), the two date boxes' values (cleared when a
    preset is picked))."""
    lang = checked_lang(lang)
    previous = previous or {}
    thresholds, message, boxes_out = _thresholds(triggered, unit, (temp_low, temp_high, hum_low, hum_high), lang,
                                                 previous)  # fmt: skip
    window, window_message, dates_out = pick_window(triggered, date_from, date_to, relayout, previous)
    range_key, range_out = shown_preset(range_key, window, previous)
    if window_message:
        message = t(window_message, lang, days=int(MAX_WINDOW_S // 86400))
    stations = list(stations or [])
    if not stations:
        message = t("live.err.no_station", lang)
    elif len(stations) > MAX_STATIONS:
        message = t("live.err.too_many", lang, limit=MAX_STATIONS)
    paused = bool(n_pause and n_pause % 2)
    view = {"path": PAGE_PATH, "stations": stations[:MAX_STATIONS], "range": range_key, "unit": unit, "paused": paused,
            "thresholds": thresholds, "lang": lang, "stream": previous.get("stream", 0), "render": render,
            **window}  # fmt: skip
    return (view, message, "btn btn-pause paused" if paused else "btn btn-pause", *boxes_out, range_out, *dates_out)


def _thresholds(
    triggered: Any, unit: str, boxes: tuple[Any, Any, Any, Any], lang: str, previous: dict[str, Any]
) -> tuple[dict[str, float | None], str, list[Any]]:
    """(the thresholds in °C and %RH, a message when the typed ones are unusable, the boxes' new values)."""
    old_unit = previous.get("unit", unit)
    boxes_out = [_plain(v) for v in boxes]
    temp_low, temp_high, hum_low, hum_high = (
        v if out is no_update else out for v, out in zip(boxes, boxes_out, strict=True)
    )
    if triggered == ids.LIVE_UNIT and old_unit != unit:
        temp_low, temp_high = _convert(temp_low, old_unit, unit), _convert(temp_high, old_unit, unit)
        boxes_out[:2] = [temp_low, temp_high]
    raw = {"temp_low": temp_low, "temp_high": temp_high, "hum_low": hum_low, "hum_high": hum_high}
    try:
        return Thresholds.parse(raw, unit).as_dict(), "", boxes_out
    except LiveInputError as err:
        field = err.params.get("field")
        message = t(err.code, lang, field=t(f"live.{field}", lang) if field else "")
        return previous.get("thresholds") or Thresholds().as_dict(), message, boxes_out


# -- the push stream --------------------------------------------------------------------


class _Stream(PageStream, StillViews):
    """One page's stream: pushes snapshots and deltas (``push``: sent once the page acknowledges and is still there)."""

    page = "live"
    picture = ids.LIVE_GRAPH

    def __init__(
        self, settings: Settings, store: ReadingStore, number: int = 0, bell: CommitBell | None = None
    ) -> None:
        self.number = number
        self.settings = settings
        self.store = store
        self.bell = bell or CommitBell(settings.store_path)  # the worker's, shared by its pages
        self.heard = -1  # the bell's count when this stream last read rows
        self.stations = polled_stations(settings)
        self._stations_at = time.monotonic()
        self.session: LiveSession | None = None
        self.frozen: tuple[float, int] | None = None  # (end, cursor) while paused
        self._status_at = 0.0
        self._window_end = 0.0  # the end of the x window the page was last sent
        self._news: list[Any] | None = None  # rows ``ready`` found
        self._loading_until = time.monotonic() + LOADING_S
        self._render: str | None = None  # which drawing of the page the session is for

    def current(self, data: dict[str, Any] | None) -> bool:
        return not (data and data.get("stream", 0) > self.number)  # else the page started a newer one

    def look(self, data: dict[str, Any] | None) -> None:
        if data and data.get("path") == PAGE_PATH and data.get("render") != self._render:
            # the page was drawn anew: its graph has no figure of ours to patch; start from a snapshot
            self._render, self.session, self.still = data.get("render"), None, None
            self._outbox.clear()

    async def turn(self, data: dict[str, Any] | None) -> None:
        if not data or data.get("path") != PAGE_PATH:
            self.session = None  # another page, or this one still loading: look again soon
            await asyncio.sleep(LOADING_IDLE_S if time.monotonic() < self._loading_until else IDLE_S)
            return
        self._loading_until = 0.0
        unknown = any(s not in self.stations for s in data.get("stations") or ())
        if unknown and time.monotonic() - self._stations_at > STATIONS_EVERY_S:  # a source found a new sensor
            self.stations = await asyncio.to_thread(polled_stations, self.settings)
            self._stations_at = time.monotonic()
        await self.step(LiveView.from_store(data, self.stations))

    async def failed(self, err: Exception, data: dict[str, Any] | None) -> None:
        logger.exception("live stream step failed; rebuilding")
        lang = checked_lang((data or {}).get("lang"))
        self.push(ids.LIVE_STATUS, {"children": t("live.err.stream", lang)})
        self.session = None
        await asyncio.sleep(1.0)

    async def rebuild(self, view: LiveView) -> None:
        self.session = session = LiveSession(
            view,
            self.store,
            period_s=self.settings.collector_period_s,
            offline_periods=self.settings.live_offline_periods,
            periods={key: s.period_s for key, s in self.stations.items() if s.period_s},
        )
        session.unavailable = unavailable(self.store)
        end, max_id = self.frozen if (view.paused and self.frozen) else (time.time(), None)
        snap = await asyncio.to_thread(session.rebuild, end, max_id)
        self.push_snapshot(snap)

    def push_snapshot(self, snap: Snapshot) -> None:
        self.push(ids.LIVE_GRAPH, {"figure": make_live_figure(snap, self.stations)})
        self.push(
            ids.LIVE_RESOLUTION,
            {
                "children": showing(
                    Plan(snap.start, snap.end), snap.view.lang, bool(self.session and self.session.thinned)
                )
            },
        )
        self._window_end = snap.end
        self.push(ids.LIVE_CARDS_DATA, {"data": make_cards(snap, self.stations)})
        text, class_name = banner(
            {s.station: s.alerts for s in snap.stations if s.alerts}, self.stations, snap.view.lang
        )
        self.push(ids.LIVE_BANNER, {"children": text, "className": class_name})
        self.push_shown(snap.view.paused)
        self.push_status(force=True)

    def push_shown(self, paused: bool) -> None:
        assert self.session is not None
        self.push(ids.LIVE_SHOWN, {"data": {"end": self.session.end, "cursor": self.session.cursor, "paused": paused}})

    def push_delta(self, delta: Delta) -> None:
        session = self.session
        assert session is not None
        view = session.view
        # Every figure update redraws the whole figure in the browser, so a turn with no new
        # point moves the window only once it is a step behind: with nothing arriving, 4
        # redraws a second become 1 (5 min) or fewer, which a slow or busy browser needs.
        step = max(WINDOW_STEP_S, view.range_s / WINDOW_STEPS)
        if delta.appends or delta.inserts or delta.resets or delta.status or delta.end - self._window_end >= step:
            self.push(ids.LIVE_GRAPH, {"figure": make_live_patch(delta, session.start, view, self.stations)})
            self._window_end = delta.end
        if delta.cards or delta.status:
            self.push(ids.LIVE_CARDS_DATA, {"data": card_patch(delta)})
        if delta.alerting is not None:
            text, class_name = banner(delta.alerting, self.stations, view.lang)
            self.push(ids.LIVE_BANNER, {"children": text, "className": class_name})
        self.push_status()

    def push_status(self, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._status_at < STATUS_EVERY_S:
            return
        self._status_at = now
        assert self.session is not None
        view = self.session.view
        if view.paused and self.frozen:
            text = t("live.status.paused", view.lang, time=local_time(self.frozen[0]).strftime("%H:%M:%S"))
        elif heartbeat(self.store, self.settings, now) is None:
            text = t("live.status.no_collector", view.lang)
        else:
            text = t(
                "live.status.streaming", view.lang, n=len(view.stations), period=f"{self.settings.collector_period_s:g}"
            )
        self.push(ids.LIVE_STATUS, {"children": text})

    async def ready(self) -> None:
        """A streamed view waits here for new rows (up to ``VIEW_CHECK_S``) before the page is
        asked: the page draws the last update meanwhile (see ``callbacks.streaming``)."""
        session = self.session
        if session is not None and self.still is None and not session.view.paused:
            self._news = await self.wait_for_rows(VIEW_CHECK_S)

    async def wait_for_rows(self, limit_s: float) -> list[Any]:
        """Rows stored since the cursor, waiting up to ``limit_s`` for some."""
        session = self.session
        assert session is not None
        deadline = time.monotonic() + limit_s
        while True:
            if self.heard != self.bell.rung:
                self.heard = self.bell.rung
                rows = self.store.since(session.cursor, session.view.stations)
                if rows:
                    return rows
            if (left := deadline - time.monotonic()) <= 0:
                return []
            await self.bell.wait(self.heard, left)

    async def step(self, view: LiveView) -> None:
        """One turn: rebuild if the picture changed, else push what is new (a window that is
        fixed or drawn from the statistics: ``StillViews``)."""
        news, self._news = self._news, None  # a rebuild reads them anyway
        now = time.time()
        p = plan(view, self.frozen[0] if (view.paused and self.frozen) else now, now, raw_kept_s(self.settings))
        if not (view.live and p.raw):
            self.session, self.frozen = None, None
            await self.still_step(view, p)
            return
        self.still = None
        session = self.session
        if session is None or not view.same_picture(session.view):
            if session is None or not view.paused:
                self.frozen = None
            await self.rebuild(view)
            return
        if view.paused:
            if not session.view.paused:  # just paused: remember what is on screen
                self.frozen = (session.end, session.cursor)
                session.view = view
                self.push_shown(True)
                self.push_status(force=True)
            await asyncio.sleep(VIEW_CHECK_S)
            return
        if session.view.paused:  # resuming: the next rows are everything since the pause
            self.frozen = None
            session.view = view
            self.push_shown(False)
            self.push_status(force=True)
        rows = news or []  # found while waiting to ask the page
        rows += self.store.since(rows[-1].id if rows else session.cursor, view.stations)  # and since
        if time.time() - self._status_at >= STATUS_EVERY_S:
            session.unavailable = unavailable(self.store)  # availability its sources report
        delta = session.advance(rows, time.time())
        if delta.rebuild:
            await self.rebuild(view)
        else:
            self.push_delta(delta)


async def stream(settings: Settings, number: int | None, bell: CommitBell) -> None:
    with ReadingStore(settings.store_path) as store:
        await _Stream(settings, store, number or 0, bell).run(ids.LIVE_VIEW, ids.LIVE_BEAT, number or 0)


def register(app: Dash, settings: Settings) -> None:
    _register_view(app)
    live_history.register(app, settings)

    bell = CommitBell(settings.store_path)  # one per app: one per worker process

    async def live_stream(number: int | None) -> None:
        await stream(settings, number, bell)

    app.callback(Input(ids.LIVE_STREAM, "data"), websocket=True, persistent=True)(live_stream)

    register_watchdog(app, interval=ids.LIVE_WATCHDOG, beat=ids.LIVE_BEAT, stream=ids.LIVE_STREAM, view=ids.LIVE_VIEW,
                      status=ids.LIVE_STATUS, state="looplensStream", picture=_Stream.picture)  # fmt: skip

    # A page drawn anew says so in its view at once, before its controls' callback answers.
    app.clientside_callback(
        "(render, view) => view ? Object.assign({}, view, {render: render}) : window.dash_clientside.no_update",
        Output(ids.LIVE_VIEW, "data", allow_duplicate=True),
        Input(ids.LIVE_RENDER, "data"),
        State(ids.LIVE_VIEW, "data"),
        prevent_initial_call="initial_duplicate",
    )

    # The language switch lives in the shell; the stream writes names in this language.
    follow_language(app, ids.LIVE_VIEW)

    # The cards are drawn in the page from their store (assets/cards.js), not as components.
    app.clientside_callback("(cards) => window.looplensCards(cards)", Input(ids.LIVE_CARDS_DATA, "data"))

    # Leaving the Live page empties the view, so its stream idles instead of pushing.
    app.clientside_callback(
        f"(path) => path === '{PAGE_PATH}' ? window.dash_clientside.no_update : null",
        Output(ids.LIVE_VIEW, "data", allow_duplicate=True),
        Input(ids.PAGES_LOCATION, "pathname"),
        prevent_initial_call=True,
    )


def _register_view(app: Dash) -> None:
    app.callback(
        Output(ids.LIVE_VIEW, "data"),
        Output(ids.LIVE_MESSAGE, "children"),
        Output(ids.LIVE_PAUSE, "className"),
        Output(ids.LIVE_TEMP_LOW, "value"),
        Output(ids.LIVE_TEMP_HIGH, "value"),
        Output(ids.LIVE_HUM_LOW, "value"),
        Output(ids.LIVE_HUM_HIGH, "value"),
        Output(ids.LIVE_RANGE, "value"),
        Output(ids.LIVE_FROM, "value"),
        Output(ids.LIVE_TO, "value"),
        Input(ids.LIVE_STATIONS, "value"),
        Input(ids.LIVE_RANGE, "value"),
        Input(ids.LIVE_FROM, "value"),
        Input(ids.LIVE_TO, "value"),
        Input(ids.LIVE_UNIT, "value"),
        Input(ids.LIVE_PAUSE, "n_clicks"),
        Input(ids.LIVE_TEMP_LOW, "value"),
        Input(ids.LIVE_TEMP_HIGH, "value"),
        Input(ids.LIVE_HUM_LOW, "value"),
        Input(ids.LIVE_HUM_HIGH, "value"),
        Input(ids.LIVE_GRAPH, "relayoutData"),
        State(ids.LANG, "value"),  # a State: an Input outside the page breaks its first load
        State(ids.LIVE_RENDER, "data"),
        State(ids.LIVE_VIEW, "data"),
    )(update_view)
