"""Live page markup: the figure from a snapshot, a small Patch from a delta, the cards."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import Patch, html
from plotly.colors import qualitative
from plotly.subplots import make_subplots

import ids
from services.core.i18n import t
from services.live.history import HistorySnapshot
from services.live.session import Delta, Snapshot, trace_index
from services.live.view import METRICS, LiveView, to_unit, x_value
from services.sensors.stations import Station
from views.i18n import date_axis

ALERT_COLOR = "#d62728"
# Red is the alerts' own colour: no station line is drawn in a red, so a ring on a line says
# which station crossed a limit.
RESERVED = {"#D62728", "#FB0D0D", "#AF0038", "#FC0080", "#862A16"}
PALETTE = [c for c in qualitative.D3 + qualitative.Set2 + qualitative.Dark24 if c.upper() not in RESERVED]
CHART_PX = 560  # the two charts' height, whatever figure (live or long range) they show
EMPTY_LAYOUT = {"margin": {"l": 60, "r": 20, "t": 30, "b": 70}, "template": "plotly_white"}


def station_name(stations: dict[str, Station], station_id: str, lang: str) -> str:
    station = stations.get(station_id)
    return station.name(lang) if station else station_id


def legend_name(name: str, offline: bool, lang: str) -> str:
    return f"{name} · {t('live.offline', lang)}" if offline else name


def x_range(start: float, end: float) -> list[str]:
    return [x_value(start), x_value(end)]


def make_live_figure(snap: Snapshot, stations: dict[str, Station]) -> go.Figure:
    """Per station: temperature (top) and humidity (bottom), two chunk traces each (see
    services.live.session); then the alert markers. Trace order is ``trace_index``."""
    view = snap.view
    lang, deg = view.lang, f"°{view.unit}"
    fig = go.Figure(layout=figure_layout(view, snap.start, snap.end))
    for position, station in enumerate(snap.stations):
        name = station_name(stations, station.station, lang)
        color = PALETTE[position % len(PALETTE)]
        for row, (metric, series, unit) in enumerate(
            (("temperature", station.temperature, deg), ("humidity", station.humidity, "%RH")), 1
        ):
            for chunk in (0, 1):
                first = chunk == 0 and metric == "temperature"
                fig.add_trace(
                    go.Scatter(
                        x=series.x if chunk == 0 else [],
                        y=series.y if chunk == 0 else [],
                        mode="lines",
                        name=legend_name(name, station.offline, lang) if first else name,
                        legendgroup=station.station,
                        showlegend=first,
                        line={"color": color, "width": 1.6},
                        hovertemplate=f"{name}<br>%{{x|%H:%M:%S}}<br>%{{y:.1f}} {unit}<extra></extra>",
                        **chart_axes(row),
                    )
                )
    for row, metric in enumerate(METRICS, 1):
        unit = deg if metric == "temperature" else "%RH"
        for chunk in (0, 1):
            series = snap.alerts[metric]
            fig.add_trace(
                go.Scatter(
                    x=series.x if chunk == 0 else [],
                    y=series.y if chunk == 0 else [],
                    mode="markers",
                    name="alert",
                    showlegend=False,
                    marker={"color": ALERT_COLOR, "size": 7, "symbol": "circle-open", "line": {"width": 2}},
                    hovertemplate=f"%{{x|%H:%M:%S}}<br>%{{y:.1f}} {unit}<extra>{t('live.hover.alert', lang)}</extra>",
                    **chart_axes(row),
                )
            )
    return fig


def chart_axes(row: int) -> dict[str, str]:
    """The axes of ``figure_layout``'s chart ``row``: 1 temperature (top), 2 humidity."""
    return {"xaxis": "x", "yaxis": "y"} if row == 1 else {"xaxis": "x2", "yaxis": "y2"}


def figure_layout(view: LiveView, start: float, end: float) -> dict[str, Any]:
    """The two charts' layout over [start, end] (temperature on top, humidity below, one
    shared time axis), with the threshold lines."""
    lang = view.lang
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.07)
    threshold_lines(fig, view)
    fig.update_xaxes(range=x_range(start, end), type="date", **date_axis(lang))
    fig.update_yaxes(title_text=t("live.axis.temperature", lang, unit=view.unit), row=1, col=1)
    fig.update_yaxes(title_text=t("live.axis.humidity", lang), row=2, col=1)
    fig.update_layout(
        **EMPTY_LAYOUT,
        height=CHART_PX,
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.09, "x": 0},
    )
    layout: dict[str, Any] = fig.to_plotly_json()["layout"]
    return layout


def threshold_lines(fig: go.Figure, view: LiveView) -> None:
    limits = view.thresholds
    for row, low, high, convert in (
        (1, limits.temp_low, limits.temp_high, True),
        (2, limits.hum_low, limits.hum_high, False),
    ):
        for value, color in ((low, "#1f77b4"), (high, ALERT_COLOR)):
            if value is not None:
                shown = to_unit(value, view.unit) if convert else value
                fig.add_hline(
                    y=shown,
                    line={"color": color, "dash": "dash", "width": 1},
                    row=row,
                    col=1,
                    exclude_empty_subplots=False,
                )


def make_live_patch(delta: Delta, start: float, view: LiveView, stations: dict[str, Station]) -> Patch:
    """Only what changed: chunk resets, appended points, legend names, the x window."""
    patch = Patch()
    for index, series in delta.resets.items():
        patch["data"][index]["x"] = series.x
        patch["data"][index]["y"] = series.y
    for index, series in delta.appends.items():
        patch["data"][index]["x"].extend(series.x)
        patch["data"][index]["y"].extend(series.y)
    for station, (offline, _alerts) in delta.status.items():
        legend = trace_index(view.stations.index(station), "temperature", 0)
        name = station_name(stations, station, view.lang)
        patch["data"][legend]["name"] = legend_name(name, offline, view.lang)
    window = x_range(start, delta.end)
    patch["layout"]["xaxis"]["range"] = window
    patch["layout"]["xaxis2"]["range"] = window
    return patch


def card_class(offline: bool, alerts: list[str]) -> str:
    """The card's classes: ``alert`` and, per limit crossed, ``alert-temp_high`` … (so only
    the metric beyond its limit turns red)."""
    kinds = "".join(f" alert-{kind}" for kind in alerts)
    return "card sensor-card" + (" offline" if offline else "") + (f" alert{kinds}" if alerts else "")


def make_cards(snap: Snapshot | HistorySnapshot, stations: dict[str, Station]) -> list[html.Div]:
    """A card per station: now, dew point, and min / max (with when) / mean over the range."""
    lang = snap.view.lang
    out = []
    for station in snap.stations:
        sid = station.station

        def value(field: str, tag: Any = html.Span) -> Any:
            return tag(station.card[field], id=ids.live_card_field(sid, field), className=f"v v-{field}")

        def cell(field: str) -> html.Span:
            when = f"{field}_at"
            return html.Span(
                [value(field), value(when, html.Small)] if when in station.card else value(field), className="cell"
            )

        def row(label: str, temp_field: str, hum_field: str) -> list[Any]:
            return [html.Span(t(label, lang), className="k"), cell(temp_field), cell(hum_field)]

        out.append(
            html.Div(
                id=ids.live_card(sid),
                className=card_class(station.offline, station.alerts),
                children=[
                    html.Div(
                        [
                            html.Span(station_name(stations, sid, lang), className="card-name"),
                            html.Span(t("live.offline", lang), className="offline-tag"),
                        ],
                        className="card-head",
                    ),
                    html.Div([value("temp"), value("hum")], className="card-now"),
                    html.Div(
                        [
                            html.Span(t("live.card.dew", lang), className="k"),
                            value("dew"),
                            html.Span(t("live.card.at", lang), className="k"),
                            value("at"),
                        ],
                        className="card-meta",
                    ),
                    html.Div(
                        [
                            *row("live.card.min", "t_min", "h_min"),
                            *row("live.card.max", "t_max", "h_max"),
                            *row("live.card.avg", "t_avg", "h_avg"),
                        ],
                        className="card-grid",
                    ),
                ],
            )
        )
    return out


def banner(alerting: dict[str, list[str]], stations: dict[str, Station], lang: str) -> tuple[str, str]:
    """(text, className) of the alert banner: each station and the limits it is beyond."""
    if not alerting:
        return "", "banner hidden"
    separator = t("live.banner.sep", lang)
    parts = [
        t("live.banner.one", lang, station=station_name(stations, s, lang),
          limits=separator.join(t(f"live.alert.{kind}", lang) for kind in kinds))
        for s, kinds in alerting.items()
    ]  # fmt: skip
    return t("live.banner", lang, stations=t("live.banner.list_sep", lang).join(parts)), "banner banner-alert"
