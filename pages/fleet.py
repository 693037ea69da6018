import time
from typing import Any

import dash
from dash import dcc, html

import ids
from services.core.i18n import DEFAULT_LANG
from services.core.settings import Settings
from services.fleet.board import first_rows
from services.fleet.filters import STATUSES
from services.live.meta import polled_stations
from services.live.store import ReadingStore
from services.sensors.stations import Station
from views.controls import buttons, captioned, field, head, segmented, text_box
from views.fleet import ANY, make_grid, source_choices
from views.i18n import T

dash.register_page(__name__, path="/fleet", title="Fleet · looplens", name="Fleet", order=2)


def _filters(sources: list[str]) -> html.Div:
    """Free text (as typed), a source, a status; the grid filters in the browser."""
    states = [{"label": T("fleet.any", slot="state"), "value": ANY}]
    states += [{"label": T(f"fleet.status.{s}", slot="filter"), "value": s} for s in STATUSES]
    choices = source_choices(sources, DEFAULT_LANG)
    return html.Div(
        className="live-controls",
        children=[
            text_box("fleet.find", ids.FLEET_FIND, "", debounce=0.3, maxLength=200, autoComplete="off"),
            field("fleet.source", dcc.Dropdown(id=ids.FLEET_SOURCE, options=choices, value=ANY, clearable=False)),
            field("fleet.status", segmented(ids.FLEET_STATE, ANY, states)),
        ],
    )


def _thresholds() -> html.Details:
    """Alert limits, kept by the browser (ids.FLEET_LIMITS) as the Live page keeps its unit."""
    boxes = [
        text_box(f"live.{key}", component_id, debounce=True)
        for key, component_id in (
            ("temp_low", ids.FLEET_TEMP_LOW),
            ("temp_high", ids.FLEET_TEMP_HIGH),
            ("hum_low", ids.FLEET_HUM_LOW),
            ("hum_high", ids.FLEET_HUM_HIGH),
        )
    ]
    summary = html.Summary(T("fleet.thresholds"))
    return html.Details([summary, html.Div(boxes, className="thresholds")], className="threshold-box")


def _rows(settings: Settings, stations: dict[str, Station]) -> list[dict[str, Any]]:
    """Every row now, so the table is drawn with the page (its stream keeps it current)."""
    if not settings.store_path.exists():
        return []
    with ReadingStore(settings.store_path) as store:
        return first_rows(store, stations, settings.collector_period_s, DEFAULT_LANG)


def layout(**_query: str) -> html.Div:
    settings = dash.get_app().server.state.settings
    stations = polled_stations(settings)
    sources = sorted({s.source for s in stations.values()})
    number = time.time_ns() // 1000  # this visit's first stream: above any earlier visit's
    return html.Div(
        className="page page-fleet",
        children=[
            head("fleet.title", ids.FLEET_STATUS),
            T("fleet.lead", html.P, className="lead"),
            _filters(sources),
            _thresholds(),
            buttons(
                html.Button(T("fleet.open"), id=ids.FLEET_OPEN, className="btn"),
                html.Span(id=ids.FLEET_SELECTED, className="fleet-selected", role="status"),
            ),
            html.Div(id=ids.FLEET_MESSAGE, className="live-message", role="alert"),
            html.Div(make_grid(rows=_rows(settings, stations)), id=ids.FLEET_TABLE, className="fleet-table"),
            html.Section(
                [
                    T("fleet.heat.title", html.H2),
                    html.P(id=ids.FLEET_HEAT_LEAD, className="lead"),
                    # the graph comes from the stream once the table is drawn (views.fleet.heat_graph)
                    captioned(html.Div(id=ids.FLEET_HEAT_BOX, className="fleet-heat"), "fleet.heat.summary"),
                ],
                className="card",
            ),
            dcc.Location(id=ids.FLEET_GO, refresh="callback-nav"),
            dcc.Store(id=ids.FLEET_VIEW, data={"stream": number}),
            dcc.Store(id=ids.FLEET_LIMITS, storage_type="local"),
            dcc.Store(id=ids.FLEET_STREAM, data=number),
            dcc.Store(id=ids.FLEET_ENDED),
            dcc.Store(id=ids.FLEET_ROWS),
            dcc.Store(id=ids.FLEET_ROWS_SENT, data=0),
            dcc.Store(id=ids.FLEET_APPLIED, data=0),
            dcc.Store(id=ids.FLEET_BEAT),
            dcc.Interval(id=ids.FLEET_WATCHDOG, interval=1000),
        ],
    )
