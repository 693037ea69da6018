"""Fleet page: its filters (checked here, applied by the grid in the browser), alert
thresholds, the language of the table, the rows ticked and Open on Live, and the push
stream (``callbacks.fleet_stream``) with its watchdog."""

from __future__ import annotations

import urllib.parse
from typing import Any

from dash import Dash, Input, Output, Patch, State, ctx, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks.fleet_stream import PAGE_PATH, stream
from callbacks.i18n import checked_lang
from callbacks.streaming import register_watchdog
from services.core.errors import FleetInputError, LiveInputError
from services.core.i18n import t
from services.core.settings import Settings
from services.fleet.filters import FleetFilter
from services.live.meta import polled_stations
from services.live.view import MAX_STATIONS, Thresholds
from views.fleet import ANY, column_defs, source_choices

MAX_ID_CHARS = 200  # a sensor key is far shorter: anything longer is not one of ours


def checked_filter(settings: Settings, text: Any, source: Any, status: Any) -> FleetFilter:
    """The filter the boxes say; FleetInputError when one cannot be used."""
    sources = {s.source for s in polled_stations(settings).values()}
    return FleetFilter.parse(text, None if source == ANY else source, None if status == ANY else status, sources)


def make_filter(settings: Settings, text: Any, source: Any, status: Any, lang: Any) -> tuple[Any, Any, str]:
    """(the grid's options patch with the quick filter, its filter model, a message)."""
    try:
        chosen = checked_filter(settings, text, source, status)
    except FleetInputError as err:
        return no_update, no_update, t(err.code, checked_lang(lang), **err.params)
    options = Patch()
    options["quickFilterText"] = chosen.text
    return options, chosen.filter_model(), ""


LIMITS = ("temp_low", "temp_high", "hum_low", "hum_high")
THRESHOLD_BOXES = (ids.FLEET_TEMP_LOW, ids.FLEET_TEMP_HIGH, ids.FLEET_HUM_LOW, ids.FLEET_HUM_HIGH)


def make_thresholds(triggered: Any, values: tuple[Any, ...], stored: Any, lang: Any) -> tuple[Any, ...]:
    """(the four boxes' values, the limits the browser keeps, the view's limits, a message).
    Typed limits that can be used are kept and applied; others are told and change nothing.
    On a visit the kept ones fill the boxes: checked, and no limits (never an error) when
    they cannot be used."""
    if triggered in THRESHOLD_BOXES:
        try:
            limits = Thresholds.parse(dict(zip(LIMITS, values, strict=True)), "C").as_dict()
        except LiveInputError as err:
            lang, field = checked_lang(lang), err.params.get("field")
            message = t(err.code, lang, field=t(f"live.{field}", lang) if field else "")
            return (*[no_update] * 4, no_update, no_update, message)
        return (*[no_update] * 4, limits, _view_limits(limits), "")
    limits = Thresholds.restore(stored).as_dict()
    boxes = ["" if v is None else format(v, "g") for v in limits.values()]
    kept = no_update if stored is None or limits == stored else limits  # a bad one is replaced
    return (*boxes, kept, _view_limits(limits), no_update)


def _view_limits(limits: dict[str, float | None]) -> Patch:
    patch = Patch()  # the limits alone: the language may be written at the same time
    patch["thresholds"] = limits
    return patch


def make_language(settings: Settings, lang: Any, view: Any) -> tuple[Any, list[dict[str, str]], Any]:
    """(the grid's columns titled in ``lang``, the source choices in it, the view's language).
    The grid stays, with its sort, filters and ticked rows: its columns are relabelled here,
    its own words follow <html lang> (views.fleet.grid_words) and the stream sends its rows
    again with their status in words of ``lang``."""
    lang = checked_lang(lang)
    choices = source_choices(sorted({s.source for s in polled_stations(settings).values()}), lang)
    if not isinstance(view, dict):
        raise PreventUpdate  # the page is going
    shown = checked_lang(view.get("lang"))  # the page's grid is made in the default language
    columns = no_update if shown == lang else column_defs(lang)
    patch = Patch()  # the language alone: the thresholds may be written at the same time
    patch["lang"] = lang
    return columns, choices, patch


def live_link(selected: Any, lang: Any) -> tuple[Any, str]:
    """(where Open on Live goes, a message): ``/live?stations=a,b`` for the ticked rows."""
    lang = checked_lang(lang)
    keys = [r["id"] for r in selected or () if isinstance(r, dict) and isinstance(r.get("id"), str)]
    keys = [k for k in dict.fromkeys(keys) if 0 < len(k) <= MAX_ID_CHARS and "," not in k]
    if not keys:
        return no_update, t("fleet.err.none_selected", lang)
    if len(keys) > MAX_STATIONS:
        return no_update, t("fleet.err.too_many", lang, limit=MAX_STATIONS)
    return "/live?" + urllib.parse.urlencode({"stations": ",".join(keys)}, safe=",:"), ""


def selected_text(selected: Any, lang: Any) -> str:
    n = len(selected) if isinstance(selected, list) else 0
    return t("fleet.selected", checked_lang(lang), n=n) if n else ""


def register(app: Dash, settings: Settings) -> None:
    async def filters(text: Any, source: Any, status: Any, lang: Any) -> tuple[Any, Any, str]:
        return make_filter(settings, text, source, status, lang)

    app.callback(
        Output(ids.FLEET_GRID, "dashGridOptions"),
        Output(ids.FLEET_GRID, "filterModel"),
        Output(ids.FLEET_MESSAGE, "children"),
        Input(ids.FLEET_FIND, "value"),
        Input(ids.FLEET_SOURCE, "value"),
        Input(ids.FLEET_STATE, "value"),
        State(ids.LANG, "value"),
    )(filters)

    async def thresholds(*args: Any) -> tuple[Any, ...]:
        *values, stored, lang = args
        return make_thresholds(ctx.triggered_id, tuple(values), stored, lang)

    app.callback(  # the boxes and the kept limits are both read and written: one callback
        *[Output(box, "value") for box in THRESHOLD_BOXES],
        Output(ids.FLEET_LIMITS, "data"),
        Output(ids.FLEET_VIEW, "data", allow_duplicate=True),
        Output(ids.FLEET_MESSAGE, "children", allow_duplicate=True),
        *[Input(box, "value") for box in THRESHOLD_BOXES],
        Input(ids.FLEET_LIMITS, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call="initial_duplicate",
    )(thresholds)

    async def language(lang: Any, view: Any) -> tuple[Any, Any, Any]:
        return make_language(settings, lang, view)

    app.callback(
        Output(ids.FLEET_GRID, "columnDefs"),
        Output(ids.FLEET_SOURCE, "options"),
        Output(ids.FLEET_VIEW, "data", allow_duplicate=True),
        Input(ids.LANG, "value"),
        State(ids.FLEET_VIEW, "data"),
        prevent_initial_call="initial_duplicate",
    )(language)

    register_selection(app)
    register_stream(app, settings)


def register_selection(app: Dash) -> None:
    """The count of rows ticked, and Open on Live."""

    async def selection(selected: Any, lang: Any) -> str:
        return selected_text(selected, lang)

    app.callback(Output(ids.FLEET_SELECTED, "children"), Input(ids.FLEET_GRID, "selectedRows"),
                 Input(ids.LANG, "value"))(selection)  # fmt: skip

    async def open_live(n_clicks: int | None, selected: Any, lang: Any) -> tuple[Any, str]:
        if not n_clicks:
            raise PreventUpdate
        return live_link(selected, lang)

    app.callback(
        Output(ids.FLEET_GO, "href"),
        Output(ids.FLEET_MESSAGE, "children", allow_duplicate=True),
        Input(ids.FLEET_OPEN, "n_clicks"),
        State(ids.FLEET_GRID, "selectedRows"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(open_live)


def register_stream(app: Dash, settings: Settings) -> None:
    async def fleet_stream(number: int | None) -> int:
        if not number:
            raise PreventUpdate  # only for a page visit
        await stream(settings, number)
        return number

    app.callback(Output(ids.FLEET_ENDED, "data"), Input(ids.FLEET_STREAM, "data"), websocket=True, persistent=True)(
        fleet_stream
    )
    register_watchdog(app, interval=ids.FLEET_WATCHDOG, beat=ids.FLEET_BEAT, stream=ids.FLEET_STREAM,
                      view=ids.FLEET_VIEW, status=ids.FLEET_STATUS, state="looplensFleet")  # fmt: skip
    # The rows on screen, so a push carries theirs first, and that the table is drawn (the
    # stream then sends the heat strip's graph): looked at each beat of the stream and when the
    # grid has its rows (it sets virtualRowData then, and when filtered), told only when they change.
    app.clientside_callback(
        f"""(beat, rows, view) => {{
            const none = window.dash_clientside.no_update;
            let shown = [];
            try {{
                shown = dash_ag_grid.getApi('{ids.FLEET_GRID}').getRenderedNodes().map(n => n.id).slice(0, 200);
            }} catch (e) {{ return none; }}
            if (!view || (view.drawn && JSON.stringify(shown) === JSON.stringify(view.shown || []))) return none;
            return Object.assign({{}}, view, {{shown: shown, drawn: true}});
        }}""",
        Output(ids.FLEET_VIEW, "data", allow_duplicate=True),
        Input(ids.FLEET_BEAT, "data"),
        Input(ids.FLEET_GRID, "virtualRowData"),
        State(ids.FLEET_VIEW, "data"),
        prevent_initial_call=True,
    )
    # The rows that changed, as a transaction on the rows the grid has (AG Grid refuses an
    # update of a row it has not: a sensor a source found meanwhile comes with every row next);
    # now and then the rows on screen are drawn afresh, so React lets go of the grid's old
    # state updates (looplensFleetTidy, assets/fleet.js).
    app.clientside_callback(
        f"""(sent, rows, applied) => {{
            const none = window.dash_clientside.no_update;
            let api = null;
            try {{ api = dash_ag_grid.getApi('{ids.FLEET_GRID}'); }} catch (e) {{ return none; }}
            if (!rows || !rows.length || !api || api.isDestroyed()) return none;
            const update = rows.filter(r => api.getRowNode(r.id));
            if (update.length) api.applyTransaction({{update: update}});
            if (window.looplensFleetTidy) window.looplensFleetTidy(api, '{ids.FLEET_GRID}');  // assets/fleet.js
            window.looplensFleetApplied = (window.looplensFleetApplied || 0) + update.length;  // a bench reads it
            return (applied || 0) + update.length;
        }}""",
        Output(ids.FLEET_APPLIED, "data"),
        Input(ids.FLEET_ROWS_SENT, "data"),
        State(ids.FLEET_ROWS, "data"),
        State(ids.FLEET_APPLIED, "data"),
        prevent_initial_call=True,
    )
    # Leaving the page empties its view at once: a stream that asks meanwhile ends.
    app.clientside_callback(
        f"(path) => path === '{PAGE_PATH}' ? window.dash_clientside.no_update : null",
        Output(ids.FLEET_VIEW, "data", allow_duplicate=True),
        Input(ids.PAGES_LOCATION, "pathname"),
        prevent_initial_call=True,
    )
