"""Live page markup for long ranges: the band figure, what the chart is made of, and the
per-day table."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import html
from plotly.colors import hex_to_rgb, unlabel_rgb
from plotly.subplots import make_subplots

from services.core.i18n import t
from services.live.daily import MAX_SHOWN_ROWS
from services.live.history import HistorySnapshot, Plan
from services.live.session import MAX_POINTS as RAW_POINTS
from services.live.view import METRICS, local_time
from services.sensors.stations import Station
from views.controls import scroll_box
from views.i18n import date_axis
from views.live import EMPTY_LAYOUT, PALETTE, legend_name, station_name, threshold_lines, x_range


def resolution_words(bucket_s: int, lang: str) -> str:
    """5-minute, hourly, 5-hour."""
    if bucket_s in (300, 3600):
        return t(f"live.res.{bucket_s}", lang)
    return t("live.res.hours", lang, hours=bucket_s // 3600)


def showing(p: Plan, lang: str, thinned: bool = False) -> str:
    """The line over the cards: what the chart and the cards are made of."""
    if p.raw:
        what = t("live.res.thinned", lang, points=RAW_POINTS) if thinned else t("live.res.raw", lang)
        return t("live.showing.raw", lang, what=what)
    return t("live.showing.stats", lang, resolution=resolution_words(p.bucket_s, lang))


def _fill(color: str) -> str:
    """The palette's colour (``#rrggbb`` or ``rgb(r,g,b)``), light: a band's fill."""
    r, g, b = hex_to_rgb(color) if color.startswith("#") else unlabel_rgb(color)
    return f"rgba({int(r)},{int(g)},{int(b)},0.18)"


def make_history_figure(snap: HistorySnapshot, stations: dict[str, Station]) -> go.Figure:
    """Per station and metric a light band from min to max and the mean line over it
    (temperature on top, humidity below), one point per bucket."""
    view = snap.view
    lang, deg = view.lang, f"°{view.unit}"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.07)
    mean_word, band_word = t("live.hover.mean", lang), t("live.hover.band", lang)  # a band's hover: its edge
    for position, station in enumerate(snap.stations):
        name = station_name(stations, station.station, lang)
        color = PALETTE[position % len(PALETTE)]
        for row, metric in enumerate(METRICS, 1):
            band = snap.bands[(station.station, metric)]
            unit = deg if metric == "temperature" else "%RH"
            x = band.x
            fig.add_trace(
                go.Scatter(
                    x=np.concatenate([x, x[::-1]]),
                    y=np.concatenate([band.high, band.low[::-1]]),
                    fill="toself",
                    fillcolor=_fill(color),
                    line={"width": 0},
                    mode="lines",
                    hovertemplate=f"{name}<br>{band_word} %{{y:.1f}} {unit}<extra></extra>",
                    hoveron="points",
                    legendgroup=station.station,
                    showlegend=False,
                    name=name,
                ),
                row=row,
                col=1,
            )
            first = metric == "temperature"
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=band.mean,
                    mode="lines",
                    name=legend_name(name, station.offline, lang) if first else name,
                    legendgroup=station.station,
                    showlegend=first,
                    line={"color": color, "width": 1.6},
                    hovertemplate=f"{name}<br>%{{x}}<br>{mean_word} %{{y:.1f}} {unit}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    threshold_lines(fig, view)
    fig.update_xaxes(range=x_range(snap.start, snap.end), type="date", **date_axis(lang))
    fig.update_yaxes(title_text=t("live.axis.temperature", lang, unit=view.unit), row=1, col=1)
    fig.update_yaxes(title_text=t("live.axis.humidity", lang), row=2, col=1)
    fig.update_layout(
        **EMPTY_LAYOUT,
        height=560,
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.09, "x": 0},
    )
    return fig


def make_daily_table(frame: pd.DataFrame, resolution_s: int, unit: str, lang: str) -> list[Any]:
    """The per-day table (the newest ``MAX_SHOWN_ROWS`` rows), its note and, when cut, how much."""
    if frame.empty:
        return [html.P(t("live.daily.empty", lang), className="daily-note")]
    deg = f" °{unit}"

    def value(v: Any, suffix: str, at: Any = None) -> str:
        if pd.isna(v):
            return "–"
        when = "" if at is None or pd.isna(at) else f" · {local_time(int(at)).strftime('%H:%M')}"
        return f"{v:.1f}{suffix}{when}"

    head = [
        html.Tr(
            [html.Th(t(f"live.daily.{k}", lang), rowSpan=2, scope="col") for k in ("day", "station")]
            + [html.Th(t("live.daily.temp", lang, unit=unit), colSpan=3, scope="colgroup"),
               html.Th(t("live.daily.hum", lang), colSpan=3, scope="colgroup")]
        ),
        html.Tr([html.Th(t(f"live.daily.{k}", lang), scope="col") for k in ("min", "mean", "max") * 2]),
    ]  # fmt: skip
    body = [
        html.Tr(
            [html.Td(r.day), html.Th(r.name, scope="row"),
             html.Td(value(r.t_min, deg, r.t_min_at)), html.Td(value(r.t_mean, deg)),
             html.Td(value(r.t_max, deg, r.t_max_at)), html.Td(value(r.h_min, " %", r.h_min_at)),
             html.Td(value(r.h_mean, " %")), html.Td(value(r.h_max, " %", r.h_max_at))]
        )
        for r in frame.head(MAX_SHOWN_ROWS).itertuples()
    ]  # fmt: skip
    title = t("live.daily.title", lang)
    notes = [
        html.P(t("live.daily.note", lang, resolution=resolution_words(resolution_s, lang)), className="daily-note")
    ]
    if len(frame) > MAX_SHOWN_ROWS:
        notes.append(html.P(t("live.daily.cut", lang, shown=MAX_SHOWN_ROWS, total=len(frame)), className="daily-note"))
    table = html.Table([html.Thead(head), html.Tbody(body)], className="daily-table")
    return [html.H2(title), *notes, scroll_box(table, title)]
