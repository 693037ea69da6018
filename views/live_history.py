"""Live page markup for long ranges: the band figure, what the chart is made of, and the
per-day table."""

from __future__ import annotations

import base64
from typing import Any

import dash_ag_grid as dag
import numpy as np
import pandas as pd
from dash import html
from plotly.colors import hex_to_rgb, unlabel_rgb

import ids
from services.core.i18n import t
from services.live.daily import MAX_SHOWN_ROWS
from services.live.history import HistorySnapshot, Plan
from services.live.session import MAX_POINTS as RAW_POINTS
from services.live.view import METRICS, local_time
from services.sensors.stations import Station
from views.live import chart_axes, figure_layout, legend_name, station_color, station_name


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


def typed(values: np.ndarray) -> dict[str, str]:
    """A numeric array as Plotly's typed-array form: its bytes in base64, no number printed
    (what plotly.py sends for a numpy array, without building a validated figure)."""
    dtype = "f4" if values.dtype == np.float32 else "f8"
    return {"dtype": dtype, "bdata": base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode()}


def make_history_figure(snap: HistorySnapshot, stations: dict[str, Station]) -> dict[str, Any]:
    """Per station and metric a light band from min to max and the mean line over it
    (temperature on top, humidity below), one point per bucket. A plain figure dict: with
    50 stations, validating 200 traces as plotly objects cost more than reading them."""
    view = snap.view
    lang, deg = view.lang, f"°{view.unit}"
    mean_word, band_word = t("live.hover.mean", lang), t("live.hover.band", lang)  # a band's hover: its edge
    data: list[dict[str, Any]] = []
    for position, station in enumerate(snap.stations):
        name = station_name(stations, station.station, lang)
        color = station_color(position, len(snap.stations))
        for row, metric in enumerate(METRICS, 1):
            band = snap.bands[(station.station, metric)]
            unit = deg if metric == "temperature" else "%RH"
            axes = chart_axes(row)
            first = metric == "temperature"
            data.append({
                "type": "scatter", "mode": "lines", "fill": "toself", "fillcolor": _fill(color),
                "line": {"width": 0}, "hoveron": "points", "legendgroup": station.station, "showlegend": False,
                "name": name, "hovertemplate": f"{name}<br>{band_word} %{{y:.1f}} {unit}<extra></extra>",
                "x": typed(np.concatenate([band.x, band.x[::-1]])),
                "y": typed(np.concatenate([band.high, band.low[::-1]])), **axes,
            })  # fmt: skip
            data.append({
                "type": "scatter", "mode": "lines", "legendgroup": station.station, "showlegend": first,
                "name": legend_name(name, station.offline, lang) if first else name,
                "line": {"color": color, "width": 1.6},
                "hovertemplate": f"{name}<br>%{{x}}<br>{mean_word} %{{y:.1f}} {unit}<extra></extra>",
                "x": typed(band.x), "y": typed(band.mean), **axes,
            })  # fmt: skip
    return {"data": data, "layout": figure_layout(view, snap.start, snap.end)}


def make_daily_table(frame: pd.DataFrame, resolution_s: int, unit: str, lang: str) -> list[Any]:
    """The per-day table (the newest ``MAX_SHOWN_ROWS`` rows), its note and, when cut, how much.
    One grid component, its rows as data: as Dash components (a cell each), 100 rows froze
    the page for 10 s while Dash took them in."""
    if frame.empty:
        return [html.P(t("live.daily.empty", lang), className="daily-note")]
    deg = f" °{unit}"

    def value(v: Any, suffix: str, at: Any = None) -> str:
        if pd.isna(v):
            return "–"
        when = "" if at is None or pd.isna(at) else f" · {local_time(int(at)).strftime('%H:%M')}"
        return f"{v:.1f}{suffix}{when}"

    rows = [
        {"day": r.day, "station": r.name,
         "t_min": value(r.t_min, deg, r.t_min_at), "t_mean": value(r.t_mean, deg),
         "t_max": value(r.t_max, deg, r.t_max_at), "h_min": value(r.h_min, " %", r.h_min_at),
         "h_mean": value(r.h_mean, " %"), "h_max": value(r.h_max, " %", r.h_max_at)}
        for r in frame.head(MAX_SHOWN_ROWS).itertuples()
    ]  # fmt: skip

    def three(prefix: str, title: str) -> dict[str, Any]:
        widths = {"min": 135, "mean": 90, "max": 135}  # a min or max has its time: "19.9 °C · 12:35"
        kids = [{"field": f"{prefix}_{k}", "headerName": t(f"live.daily.{k}", lang), "minWidth": w}
                for k, w in widths.items()]  # fmt: skip
        return {"headerName": title, "children": kids}

    columns = [
        {"field": "day", "headerName": t("live.daily.day", lang), "minWidth": 125},
        {"field": "station", "headerName": t("live.daily.station", lang)},
        three("t", t("live.daily.temp", lang, unit=unit)),
        three("h", t("live.daily.hum", lang)),
    ]
    title = t("live.daily.title", lang)
    notes = [
        html.P(t("live.daily.note", lang, resolution=resolution_words(resolution_s, lang)), className="daily-note")
    ]
    if len(frame) > MAX_SHOWN_ROWS:
        notes.append(html.P(t("live.daily.cut", lang, shown=MAX_SHOWN_ROWS, total=len(frame)), className="daily-note"))
    grid = dag.AgGrid(
        id=ids.LIVE_DAILY_GRID,
        rowData=rows,
        columnDefs=columns,
        defaultColDef={"sortable": False, "resizable": True, "suppressHeaderMenuButton": True, "minWidth": 90},
        dashGridOptions={"animateRows": False, "ensureDomOrder": True, "suppressCellFocus": False},
        columnSize="responsiveSizeToFit",
        style={"height": "420px", "width": "100%"},
        className="daily-grid",
    )
    return [html.H2(title), *notes, grid]
