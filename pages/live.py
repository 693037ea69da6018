import dash
from dash import dcc, html

import ids
from services.live import RANGES_S
from views.i18n import T
from views.live import EMPTY_LAYOUT, known_stations

dash.register_page(__name__, path="/live", title="Live · looplens", name="Live", order=1)

RANGE_LABELS = {"5m": "5 min", "1h": "1 h", "24h": "24 h"}


def _threshold(key: str, component_id: str) -> html.Label:
    return html.Label([T(key), dcc.Input(id=component_id, type="text",
                                          debounce=True, className="num-input")],
                      className="field")


def layout(**_query: str) -> html.Div:
    settings = dash.get_app().server.state.settings
    stations = known_stations(settings)
    defaults = [s for s in settings.live_default_stations if s in stations] or list(stations)[:5]
    return html.Div(className="page page-live", children=[
        html.Div([T("live.title", html.H1),
                  html.Span(id=ids.LIVE_STATUS, className="live-status", role="status")],
                 className="live-head"),
        html.Div(className="live-controls", children=[
            html.Label([T("live.stations"), dcc.Dropdown(
                id=ids.LIVE_STATIONS, multi=True, value=defaults, clearable=True,
                options=[{"label": s.name_en if s.name_en == s.name_zh else f"{s.name_zh} {s.name_en}",
                          "value": sid} for sid, s in stations.items()],
                persistence=True, persistence_type="local")], className="field stations-field"),
            html.Label([T("live.range"), dcc.RadioItems(
                id=ids.LIVE_RANGE, value="5m", inline=True, className="segmented",
                options=[{"label": RANGE_LABELS[k], "value": k} for k in RANGES_S])], className="field"),
            html.Label([T("live.unit"), dcc.RadioItems(
                id=ids.LIVE_UNIT, value="C", inline=True, className="segmented",
                options=[{"label": "°C", "value": "C"}, {"label": "°F", "value": "F"}],
                persistence=True, persistence_type="local")], className="field"),
            html.Div([html.Button([T("live.pause"), T("live.resume")], id=ids.LIVE_PAUSE, className="btn btn-pause"),
                      html.Button(T("live.export"), id=ids.LIVE_EXPORT, className="btn"),
                      dcc.Download(id=ids.LIVE_DOWNLOAD)], className="buttons"),
        ]),
        html.Details([
            html.Summary(T("live.thresholds")),
            html.Div([_threshold("live.temp_low", ids.LIVE_TEMP_LOW),
                      _threshold("live.temp_high", ids.LIVE_TEMP_HIGH),
                      _threshold("live.hum_low", ids.LIVE_HUM_LOW),
                      _threshold("live.hum_high", ids.LIVE_HUM_HIGH)], className="thresholds"),
        ], className="threshold-box", open=False),
        html.Div(id=ids.LIVE_MESSAGE, className="live-message", role="alert"),
        html.Div(id=ids.LIVE_BANNER, className="banner hidden", role="alert"),
        html.Div(id=ids.LIVE_CARDS, className="sensor-cards"),
        dcc.Graph(id=ids.LIVE_GRAPH, figure={"data": [], "layout": EMPTY_LAYOUT},
                  config={"displaylogo": False, "responsive": True}, className="live-graph"),
        dcc.Interval(id=ids.LIVE_WATCHDOG, interval=1000),
    ])
