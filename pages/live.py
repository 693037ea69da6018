import uuid
from datetime import date
from typing import Any

import dash
from dash import dcc, html

import ids
from services.live.meta import polled_stations
from services.live.view import DEFAULT_RANGE, MAX_STATIONS, RANGES_S
from services.sensors.stations import Station
from views.controls import buttons, field, graph, head, segmented, text_box
from views.i18n import T
from views.live import CHART_PX, EMPTY_LAYOUT

dash.register_page(__name__, path="/live", title="Live · looplens", name="Live", order=1)


def _controls(stations: dict[str, Station], defaults: list[str], range_key: str) -> html.Div:
    """Stations, range, unit (the browser keeps the stations and the unit), pause, export."""
    names = [
        {"label": s.name_en if s.name_en == s.name_zh else f"{s.name_zh} {s.name_en}", "value": sid}
        for sid, s in stations.items()
    ]
    units = [{"label": "°C", "value": "C"}, {"label": "°F", "value": "F"}]
    return html.Div(
        className="live-controls",
        children=[
            field(
                "live.stations",
                dcc.Dropdown(
                    id=ids.LIVE_STATIONS,
                    multi=True,
                    value=defaults,
                    clearable=True,
                    options=names,
                    persistence=True,
                    persistence_type="local",
                ),
                "stations-field",
            ),
            field(
                "live.range",
                segmented(ids.LIVE_RANGE, range_key, [{"label": T(f"live.range.{k}"), "value": k} for k in RANGES_S]),
            ),
            html.Div(_dates(), className="date-range"),
            field("live.unit", segmented(ids.LIVE_UNIT, "C", units, persistence=True, persistence_type="local")),
            buttons(
                html.Button([T("live.pause"), T("live.resume")], id=ids.LIVE_PAUSE, className="btn btn-pause"),
                html.Button(T("live.export"), id=ids.LIVE_EXPORT, className="btn"),
                dcc.Download(id=ids.LIVE_DOWNLOAD),
            ),
        ],
    )


def _dates() -> list[Any]:
    """From and to (year-month-day, typed: the same in every language and browser), a range
    instead of the preset."""
    today = date.today().isoformat()
    return [
        text_box(key, component_id, debounce=True, placeholder=today)
        for key, component_id in (("live.from", ids.LIVE_FROM), ("live.to", ids.LIVE_TO))
    ]


def _thresholds() -> html.Details:
    boxes = [
        text_box(f"live.{key}", component_id, debounce=True)
        for key, component_id in (
            ("temp_low", ids.LIVE_TEMP_LOW),
            ("temp_high", ids.LIVE_TEMP_HIGH),
            ("hum_low", ids.LIVE_HUM_LOW),
            ("hum_high", ids.LIVE_HUM_HIGH),
        )
    ]
    return html.Details(
        [html.Summary(T("live.thresholds")), html.Div(boxes, className="thresholds")],
        className="threshold-box",
        open=False,
    )


def layout(stations: str = "", **_query: str) -> html.Div:
    """``/live?stations=a,b``: those sensors (the Sources page links each sensor so);
    ``&range=7d``: that range."""
    settings = dash.get_app().server.state.settings
    known = polled_stations(settings)
    asked = [key for key in stations.split(",") if key in known][:MAX_STATIONS]
    defaults = asked or [s for s in settings.live_default_stations if s in known] or list(known)[:5]
    range_key = _query.get("range") or DEFAULT_RANGE
    return html.Div(
        className="page page-live",
        children=[
            head("live.title", ids.LIVE_STATUS),
            _controls(known, defaults, range_key if range_key in RANGES_S else DEFAULT_RANGE),
            _thresholds(),
            html.Div(id=ids.LIVE_MESSAGE, className="live-message", role="alert"),
            html.Div(id=ids.LIVE_BANNER, className="banner hidden", role="alert"),
            html.P(id=ids.LIVE_RESOLUTION, className="live-resolution"),
            html.Div(id=ids.LIVE_CARDS, className="sensor-cards"),
            dcc.Store(id=ids.LIVE_CARDS_DATA),
            graph(ids.LIVE_GRAPH, EMPTY_LAYOUT, "live-graph", "live.chart_summary", CHART_PX),
            html.Section(
                [
                    html.Div(id=ids.LIVE_DAILY),
                    buttons(html.Button(T("live.daily.export"), id=ids.LIVE_DAILY_EXPORT, className="btn")),
                    dcc.Download(id=ids.LIVE_DAILY_DOWNLOAD),
                ],
                id=ids.LIVE_DAILY_BOX,
                className="daily hidden",
            ),
            dcc.Interval(id=ids.LIVE_WATCHDOG, interval=1000),
            dcc.Store(id=ids.LIVE_RENDER, data=uuid.uuid4().hex),  # this drawing of the page
        ],
    )
