"""Live page markup: the figure from a snapshot, a small Patch from a delta, the cards."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import Patch
from plotly.colors import qualitative
from plotly.subplots import make_subplots

import ids
from services.core.i18n import t
from services.live.history import HistorySnapshot
from services.live.session import (
    LINE_GROUPS,
    Delta,
    Series,
    Snapshot,
    StationSnapshot,
    group_members,
    group_of,
    groups,
    line_of,
    shared_lines,
    trace_index,
)
from services.live.view import METRICS, LiveView, to_unit, x_value
from services.sensors.stations import Station
from views.i18n import date_axis

ALERT_COLOR = "#d62728"
# Red is the alerts' own colour: no station line is drawn in a red, so a ring on a line says
# which station crossed a limit.
RESERVED = {"#D62728", "#FB0D0D", "#AF0038", "#FC0080", "#862A16"}
PALETTE = [c for c in qualitative.D3 if c.upper() not in RESERVED]  # a colour per line group
assert len(PALETTE) == LINE_GROUPS
CHART_PX = 560  # the two charts' height, whatever figure (live or long range) they show
EMPTY_LAYOUT = {"margin": {"l": 60, "r": 20, "t": 30, "b": 70}, "template": "plotly_white"}


def station_name(stations: dict[str, Station], station_id: str, lang: str) -> str:
    station = stations.get(station_id)
    return station.name(lang) if station else station_id


def legend_name(name: str, offline: bool, lang: str) -> str:
    return f"{name} · {t('live.offline', lang)}" if offline else name


def x_range(start: float, end: float) -> list[str]:
    return [x_value(start), x_value(end)]


def station_color(position: int, stations: int) -> str:
    """The line colour of the station at ``position`` among ``stations`` (its group's)."""
    return PALETTE[group_of(position, stations)]


def group_line(members: list[StationSnapshot], metric: str, names: dict[str, str]) -> Series:
    """One group's line for ``metric``: its stations' runs one after another, a gap between,
    each point named after its station."""
    line, _ = line_of([(s.station, getattr(s, metric)) for s in members])
    line.text = [s and names[s] for s in line.text]
    return line


def make_live_figure(snap: Snapshot, stations: dict[str, Station]) -> go.Figure:
    """Per line group (a colour; a station of its own up to ``LINE_GROUPS`` stations):
    temperature (top) and humidity (bottom), a trace each (see services.live.session);
    then the alert markers. Trace order is ``trace_index``. With a
    station per group the legend names each; with more, the cards show each one's colour."""
    view = snap.view
    lang, deg = view.lang, f"°{view.unit}"
    fig = go.Figure(layout=figure_layout(view, snap.start, snap.end))
    names = {s.station: station_name(stations, s.station, lang) for s in snap.stations}
    n, shared = len(snap.stations), shared_lines(len(snap.stations))
    for group in range(groups(n)):
        members = [snap.stations[p] for p in group_members(group, n)]
        head = members[0]
        name = legend_name(names[head.station], head.offline, lang)
        for row, (metric, unit) in enumerate((("temperature", deg), ("humidity", "%RH")), 1):
            line = group_line(members, metric, names)
            fig.add_trace(
                go.Scatter(
                    x=line.x,
                    y=line.y,
                    text=line.text,
                    mode="lines",
                    name=name,
                    legendgroup=f"group-{group}",
                    showlegend=not shared and metric == "temperature",
                    line={"color": PALETTE[group], "width": 1.6},
                    hovertemplate=f"%{{text}}<br>%{{x|%H:%M:%S}}<br>%{{y:.1f}} {unit}<extra></extra>",
                    **chart_axes(row),
                )
            )
    for row, metric in enumerate(METRICS, 1):
        unit = deg if metric == "temperature" else "%RH"
        series = snap.alerts[metric]
        fig.add_trace(
            go.Scatter(
                x=series.x,
                y=series.y,
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
    # Fixed margins, labels level: with the template's automargin, a draw that brought a new
    # tick label (every 30 s, live) measured the labels to fit the margins to them, and took
    # ~1.5x a plain draw, its worst 2-3x (a static figure stepped 200 times, three rounds).
    fig.update_xaxes(range=x_range(start, end), type="date", automargin=False, tickangle=0, **date_axis(lang))
    fig.update_yaxes(automargin=False)
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
    """Only what changed: traces filled anew, points added (a line's named after their
    stations), legend names, the x window."""
    patch = Patch()

    def named(text: list[str | None]) -> list[str | None]:
        return [s and station_name(stations, s, view.lang) for s in text]

    lines = 2 * groups(len(view.stations))  # the traces before are lines, those after alert markers
    for index, series in delta.resets.items():  # before what is added to them
        patch["data"][index]["x"] = series.x
        patch["data"][index]["y"] = series.y
        if index < lines:  # (an empty line too: its names go with its points)
            patch["data"][index]["text"] = named(series.text)

    for index, inserts in delta.inserts.items():  # at the end of a station's run, before the appends
        trace = patch["data"][index]
        for at, series in inserts:
            for k, (x, y, name) in enumerate(zip(series.x, series.y, named(series.text), strict=True)):
                trace["x"].insert(at + k, x)
                trace["y"].insert(at + k, y)
                trace["text"].insert(at + k, name)
    for index, series in delta.appends.items():
        patch["data"][index]["x"].extend(series.x)
        patch["data"][index]["y"].extend(series.y)
        if series.text:
            patch["data"][index]["text"].extend(named(series.text))
    if not shared_lines(len(view.stations)):  # the legend names each station
        for station, (offline, _alerts) in delta.status.items():
            legend = trace_index(view.stations.index(station), "temperature")
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


def make_cards(snap: Snapshot | HistorySnapshot, stations: dict[str, Station]) -> dict[str, Any]:
    """What the cards store holds, drawn by assets/cards.js: per station its name, colour,
    classes and texts (now, dew point, and min / max (with when) / mean over the range), and
    the page's words for them."""
    lang, n = snap.view.lang, len(snap.stations)
    return {
        "words": {key: t(f"live.card.{key}", lang) for key in ("dew", "at", "min", "max", "avg")}
        | {"offline": t("live.offline", lang)},
        "order": [s.station for s in snap.stations],
        "cards": {
            s.station: {
                "id": ids.live_card(s.station),
                "name": station_name(stations, s.station, lang),
                "color": station_color(position, n),
                "class": card_class(s.offline, s.alerts),
                "v": dict(s.card),
            }
            for position, s in enumerate(snap.stations)
        },
    }


def card_patch(delta: Delta) -> Patch:
    """The cards store's change: the texts that changed and the classes of stations whose
    status did."""
    patch = Patch()
    for (station, field), text in delta.cards.items():
        patch["cards"][station]["v"][field] = text
    for station, (offline, alerts) in delta.status.items():
        patch["cards"][station]["class"] = card_class(offline, alerts)
    return patch


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
