"""Live page, long ranges and fixed windows: the window a page asks for (a preset, a
from–to range, a zoom), the stream's still pictures, CSV exports and the per-day table.

A window that does not end now (a from–to range, a zoom) or that is drawn from the
statistics (a range over ``history.RAW_SPAN_S``) is not streamed point by point: the
stream pushes one picture per change of view, and a sliding one again every
``REFRESH_S`` (its newest bucket fills as readings arrive; a minute is a fifth of the
finest bucket). The picture is built in a thread: reading and merging the statistics is
blocking SQLite work.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks.i18n import checked_lang
from services.core.i18n import t
from services.core.settings import Settings
from services.live.daily import chunks, daily_csv, daily_frame
from services.live.export import buckets_csv, csv_text, resolution_name
from services.live.history import (
    HistorySnapshot,
    Plan,
    Presence,
    daily_resolution,
    history_snapshot,
    plan,
    read_buckets,
)
from services.live.meta import polled_stations, unavailable
from services.live.session import LiveSession
from services.live.store import ReadingStore
from services.live.view import DEFAULT_RANGE, MAX_WINDOW_S, RANGES_S, LiveView, checked_window, local_time
from services.sensors.stations import Station
from views.live import banner, make_cards, make_live_figure
from views.live_history import make_daily_table, make_history_figure, showing

REFRESH_S = 60.0
STAMP = "%Y-%m-%d %H:%M"


# -- the window a page asks for ------------------------------------------------------------


def pick_window(
    triggered: Any, date_from: Any, date_to: Any, relayout: Any, previous: dict[str, Any]
) -> tuple[dict[str, Any], str, tuple[Any, Any]]:
    """({"window": from–to or None, "zoom": zoomed window or None}, a message key or "", the
    date boxes' new values): a preset clears the dates and the zoom, dates replace the zoom,
    a double-click on the chart (autorange) ends the zoom."""
    window, zoom = previous.get("window"), previous.get("zoom")
    if triggered == ids.LIVE_RANGE:
        return {"window": None, "zoom": None}, "", ("", "")
    if triggered in (ids.LIVE_FROM, ids.LIVE_TO):
        window, message = dates_window(date_from, date_to)
        return {"window": window, "zoom": None}, message, (no_update, no_update)
    if triggered == ids.LIVE_GRAPH:
        zoom = zoomed(relayout, zoom)
    return {"window": window, "zoom": zoom}, "", (no_update, no_update)


def shown_preset(range_key: Any, window: dict[str, Any], previous: dict[str, Any]) -> tuple[str, Any]:
    """(the preset the view keeps, the preset buttons' new value): no button is on while a
    from–to range or a zoom is shown (the preset comes back when it ends, or is picked)."""
    preset = range_key if range_key in RANGES_S else previous.get("range")
    preset = preset if preset in RANGES_S else DEFAULT_RANGE
    shown = None if window.get("window") or window.get("zoom") else preset
    return preset, no_update if shown == range_key else shown


def dates_window(date_from: Any, date_to: Any) -> tuple[list[float] | None, str]:
    """[local midnight of ``date_from``, local midnight after ``date_to``), or None with why."""
    if not date_from or not date_to:
        return None, ""  # one date alone: the preset until the other comes
    try:
        first, last = date.fromisoformat(str(date_from)), date.fromisoformat(str(date_to))
    except ValueError:
        return None, "live.err.range_date"
    if last < first:
        return None, "live.err.range_order"
    start = datetime.combine(first, datetime.min.time()).timestamp()
    end = datetime.combine(last + timedelta(days=1), datetime.min.time()).timestamp()
    if end - start > MAX_WINDOW_S:
        return None, "live.err.range_long"
    return [start, end], ""


def _instant(value: Any) -> float:
    """A Plotly date-axis value (local wall time, "2026-11-27 10:00:00.1234") as Unix seconds."""
    text = str(value)
    head, dot, fraction = text.partition(".")
    return datetime.fromisoformat(head + (dot + fraction[:6] if dot else "")).timestamp()


def zoomed(relayout: Any, current: Any) -> list[float] | None:
    """The x window a chart's relayoutData zooms to, None when it asks for the whole range
    again, else ``current`` (a resize, a legend click…)."""
    if not isinstance(relayout, dict):
        return current
    for axis in ("xaxis", "xaxis2"):
        if relayout.get(f"{axis}.autorange"):
            return None
        pair = relayout.get(f"{axis}.range") or [relayout.get(f"{axis}.range[{i}]") for i in (0, 1)]
        if isinstance(pair, list) and len(pair) == 2 and None not in pair:
            try:
                window = checked_window([_instant(pair[0]), _instant(pair[1])])
            except (TypeError, ValueError):
                return current
            return list(window) if window else current
    return current


# -- what the stream shows for a still view -------------------------------------------------


def raw_kept_s(settings: Settings) -> float:
    return settings.retention_hours * 3600


class StillViews:
    """The stream's part for views that are not streamed point by point (see the docstring)."""

    settings: Settings
    store: ReadingStore
    stations: dict[str, Station]
    still: LiveView | None = None
    _still_at = 0.0

    def push(self, component_id: str, props: dict[str, Any]) -> None:
        raise NotImplementedError

    async def still_step(self, view: LiveView, p: Plan) -> None:
        """One turn: a picture when the view changed or a sliding one is due, else wait."""
        shown = self.still
        due = view.live and not view.paused and time.monotonic() - self._still_at >= REFRESH_S
        if shown is None or not view.same_picture(shown) or due:
            self.still, self._still_at = view, time.monotonic()
            await self.push_still(view, p)
        elif view.paused != shown.paused:
            self.still = view
            self.push(ids.LIVE_SHOWN, {"data": self._shown(view, p)})
            self.push(ids.LIVE_STATUS, {"children": self._still_status(view, p)})
        else:
            await asyncio.sleep(0.25)  # nothing to send: ask the page again in a while
            return
        # what was pushed goes with the next acknowledgement: ask for it now

    async def push_still(self, view: LiveView, p: Plan) -> None:
        settings = self.settings
        periods = {key: max(settings.collector_period_s, s.period_s or 0) for key, s in self.stations.items()}
        after = {s: settings.live_offline_periods * periods.get(s, settings.collector_period_s) for s in view.stations}
        presence = Presence(time.time(), after, frozenset(unavailable(self.store)))
        if p.raw:  # a short fixed window (a zoom): every reading, or thinned
            session = LiveSession(view, self.store, period_s=settings.collector_period_s)
            snap: Any = await asyncio.to_thread(session.rebuild, p.end)
            figure, thinned = make_live_figure(snap, self.stations), session.thinned
        else:

            def picture() -> tuple[HistorySnapshot, dict[str, Any]]:  # reading and drawing: off the loop
                snap = history_snapshot(self.store, view, p, presence, raw=not settings.live_rollups)
                return snap, make_history_figure(snap, self.stations)

            (snap, figure), thinned = await asyncio.to_thread(picture), False
        self.push(ids.LIVE_GRAPH, {"figure": figure})
        self.push(ids.LIVE_RESOLUTION, {"children": showing(p, view.lang, thinned)})
        self.push(ids.LIVE_CARDS_DATA, {"data": make_cards(snap, self.stations)})
        text, class_name = banner({s.station: s.alerts for s in snap.stations if s.alerts}, self.stations, view.lang)
        self.push(ids.LIVE_BANNER, {"children": text, "className": class_name})
        self.push(ids.LIVE_SHOWN, {"data": self._shown(view, p)})
        self.push(ids.LIVE_STATUS, {"children": self._still_status(view, p)})

    @staticmethod
    def _shown(view: LiveView, p: Plan) -> dict[str, Any]:
        return {"start": p.start, "end": p.end, "cursor": None, "paused": view.paused, "bucket": p.bucket_s,
                "lang": view.lang, "unit": view.unit}  # fmt: skip  # a new language or unit: a new table

    def _still_status(self, view: LiveView, p: Plan) -> str:
        if view.paused:
            return t("live.status.paused", view.lang, time=local_time(p.end).strftime("%H:%M:%S"))
        start, end = local_time(p.start).strftime(STAMP), local_time(p.end).strftime(STAMP)
        now = local_time(time.time()).strftime("%H:%M:%S")
        return t("live.status.still", view.lang, n=len(view.stations), start=start, end=end, time=now)


# -- exports and the per-day table -----------------------------------------------------------


def frozen_at(shown: dict[str, Any], now: float) -> tuple[float, int | None]:
    """(end, last row id) of a paused page's picture, from the page's store (written by
    the stream, but the browser's to change): anything odd means "now, every row"."""
    try:
        end, cursor = float(shown["end"]), shown["cursor"]
    except (KeyError, TypeError, ValueError):
        return now, None
    if not math.isfinite(end) or abs(end - now) > 366 * 86400:
        return now, None
    if cursor is None:  # a still picture: its end is enough
        return end, None
    if not isinstance(cursor, int) or cursor < 0:
        return now, None
    return end, cursor


async def export(
    settings: Settings, n_clicks: int | None, view_data: dict[str, Any] | None, shown: dict[str, Any] | None
) -> tuple[Any, str]:
    """The shown window as CSV: its readings, or on a long range the statistics shown."""
    if not n_clicks or not view_data:
        raise PreventUpdate  # nothing asked for yet
    stations = polled_stations(settings)
    view = LiveView.from_store(view_data, stations)
    lang = checked_lang(view.lang)
    if not view.stations:
        return no_update, t("live.err.no_station", lang)
    now = time.time()
    end, max_id = frozen_at(shown, now) if (view.paused and shown and shown.get("paused")) else (now, None)
    p = plan(view, end, now, raw_kept_s(settings))

    def read() -> str | None:
        with ReadingStore(settings.store_path) as store:
            if p.raw:
                rows = store.window(view.stations, p.start, p.end, max_id)
                return csv_text(rows, view.unit, stations) if rows else None
            buckets = read_buckets(store, view.stations, p, raw=not settings.live_rollups)
            return buckets_csv(buckets, p.bucket_s, view.unit, stations) if buckets else None

    text = await asyncio.to_thread(read)
    if text is None:
        return no_update, t("live.err.export_empty", lang)
    stamp = local_time(end).strftime("%Y%m%d-%H%M%S")
    what = "raw" if p.raw else resolution_name(p.bucket_s)
    filename = f"looplens-{view.range_key if view.live else 'range'}-{what}-{stamp}.csv"
    return dcc.send_string(text, filename, type="text/csv"), ""


async def daily(settings: Settings, shown: Any, view_data: Any) -> tuple[Any, int, str]:
    """(the per-day DataFrame, its resolution, the view's unit) of the window the stream shows
    from the statistics, or (None, 0, "") when it shows raw readings."""
    if not isinstance(shown, dict) or not shown.get("bucket") or not isinstance(view_data, dict):
        return None, 0, ""
    window = checked_window([shown.get("start"), shown.get("end")])
    stations = polled_stations(settings)
    view = LiveView.from_store(view_data, stations)
    if window is None or not view.stations:
        return None, 0, ""
    resolution = daily_resolution(window[0], time.time())
    names = {s: st.name(checked_lang(view.lang)) if (st := stations.get(s)) else s for s in view.stations}

    def read() -> Any:
        frames = []
        with ReadingStore(settings.store_path) as store:
            for start, end in chunks(window[0] - window[0] % resolution, window[1]):  # a month at a time
                frames.append(daily_frame(store.rollups(view.stations, resolution, start, end), names, view.unit))
        frames = [f for f in frames if not f.empty]
        return (
            pd.concat(frames).sort_values(["day", "station"], ascending=[False, True], ignore_index=True)
            if frames
            else daily_frame([], names)
        )

    return await asyncio.to_thread(read), resolution, view.unit


def register(app: Dash, settings: Settings) -> None:
    async def export_csv(n_clicks: int | None, view: Any, shown: Any) -> tuple[Any, str]:
        return await export(settings, n_clicks, view, shown)

    app.callback(
        Output(ids.LIVE_DOWNLOAD, "data"),
        Output(ids.LIVE_MESSAGE, "children", allow_duplicate=True),
        Input(ids.LIVE_EXPORT, "n_clicks"),
        State(ids.LIVE_VIEW, "data"),
        State(ids.LIVE_SHOWN, "data"),
        prevent_initial_call=True,
    )(export_csv)

    async def daily_table(shown: Any, view: Any) -> tuple[Any, str]:
        frame, resolution, unit = await daily(settings, shown, view)
        if frame is None:
            return [], "daily hidden"
        return make_daily_table(frame, resolution, unit, checked_lang(view.get("lang"))), "daily"

    app.callback(
        Output(ids.LIVE_DAILY, "children"),
        Output(ids.LIVE_DAILY_BOX, "className"),
        Input(ids.LIVE_SHOWN, "data"),
        State(ids.LIVE_VIEW, "data"),
    )(daily_table)

    async def daily_export(n_clicks: int | None, shown: Any, view: Any) -> tuple[Any, str]:
        if not n_clicks:
            raise PreventUpdate
        frame, resolution, unit = await daily(settings, shown, view)
        lang = checked_lang((view or {}).get("lang"))
        if frame is None or frame.empty:
            return no_update, t("live.err.export_empty", lang)
        stamp = local_time(time.time()).strftime("%Y%m%d-%H%M%S")
        text = daily_csv(frame, unit, resolution)
        return dcc.send_string(text, f"looplens-daily-{resolution_name(resolution)}-{stamp}.csv", type="text/csv"), ""

    app.callback(
        Output(ids.LIVE_DAILY_DOWNLOAD, "data"),
        Output(ids.LIVE_MESSAGE, "children", allow_duplicate=True),
        Input(ids.LIVE_DAILY_EXPORT, "n_clicks"),
        State(ids.LIVE_SHOWN, "data"),
        State(ids.LIVE_VIEW, "data"),
        prevent_initial_call=True,
    )(daily_export)
