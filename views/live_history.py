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
from services.live.history import Band, HistorySnapshot, Plan
from services.live.session import MAX_POINTS as RAW_POINTS
from services.live.session import group_members, groups, shared_lines
from services.live.view import METRICS, local_time
from services.sensors.stations import Station
from views.live import PALETTE, chart_axes, figure_layout, legend_name, station_name


def resolution_words(bucket_s: int, lang: str) -> str:
    """5-minute, 15-minute, hourly, 5-hour."""
    if bucket_s in (300, 3600):
        return t(f"live.res.{bucket_s}", lang)
    if bucket_s < 3600:  # 5-minute statistics merged: 12 stations over 7 days draw 15-minute points
        return t("live.res.minutes", lang, minutes=bucket_s // 60)
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
    50 stations, validating 200 traces as plotly objects cost more than reading them.

    Past ``LINE_GROUPS`` stations, the stations of a colour share its band and line traces
    (as on the live range): Plotly's time grows with traces far more than with points, and
    at 50 stations 36 traces draw in half the time of 200."""
    view = snap.view
    lang, n = view.lang, len(snap.stations)
    names = [station_name(stations, s.station, lang) for s in snap.stations]
    words = (t("live.hover.mean", lang), t("live.hover.band", lang))
    data: list[dict[str, Any]] = []
    for group in range(groups(n)):
        members = group_members(group, n)
        for row, metric in enumerate(METRICS, 1):
            unit = f"°{view.unit}" if metric == "temperature" else "%RH"
            bands = [snap.bands[(snap.stations[p].station, metric)] for p in members]
            if shared_lines(n):
                data += _shared(bands, [names[p] for p in members], PALETTE[group], unit, words[0])
            else:
                first, station = metric == "temperature", snap.stations[group]
                legend = legend_name(names[group], station.offline, lang) if first else names[group]
                data += _own(bands[0], names[group], legend, PALETTE[group], unit, words)
                data[-1]["showlegend"] = first
            for trace in data[-2:]:
                trace.update(chart_axes(row), legendgroup=f"group-{group}")
    return {"data": data, "layout": figure_layout(view, snap.start, snap.end)}


def _own(band: Band, name: str, legend: str, color: str, unit: str, words: tuple[str, str]) -> list[dict[str, Any]]:
    """One station's band (its hover: the edge, min or max) and mean line."""
    mean_word, band_word = words
    return [
        {"type": "scatter", "mode": "lines", "fill": "toself", "fillcolor": _fill(color), "line": {"width": 0},
         "hoveron": "points", "showlegend": False, "name": name,
         "hovertemplate": f"{name}<br>{band_word} %{{y:.1f}} {unit}<extra></extra>",
         "x": typed(np.concatenate([band.x, band.x[::-1]])), "y": typed(np.concatenate([band.high, band.low[::-1]]))},
        {"type": "scatter", "mode": "lines", "name": legend, "line": {"color": color, "width": 1.6},
         "hovertemplate": f"{name}<br>%{{x}}<br>{mean_word} %{{y:.1f}} {unit}<extra></extra>",
         "x": typed(band.x), "y": typed(band.mean)},
    ]  # fmt: skip


def _shared(bands: list[Band], names: list[str], color: str, unit: str, mean_word: str) -> list[dict[str, Any]]:
    """A colour's stations in one band trace and one line trace, a gap (NaN) after each
    station; the line's points name their station, the bands take no hover (50 tangled
    bands' edges told nobody anything)."""
    gap_x, gap_y = np.array([np.nan]), np.array([np.nan], dtype=np.float32)

    def joined(parts: list[np.ndarray], gap: np.ndarray) -> np.ndarray:
        return np.concatenate([piece for part in parts for piece in (part, gap)])

    text: list[str | None] = []
    for name, band in zip(names, bands, strict=True):
        text += [name] * len(band.x) + [None]
    return [
        {"type": "scatter", "mode": "lines", "fill": "toself", "fillcolor": _fill(color), "line": {"width": 0},
         "hoverinfo": "skip", "showlegend": False,
         "x": typed(joined([np.concatenate([b.x, b.x[::-1]]) for b in bands], gap_x)),
         "y": typed(joined([np.concatenate([b.high, b.low[::-1]]) for b in bands], gap_y))},
        {"type": "scatter", "mode": "lines", "showlegend": False, "line": {"color": color, "width": 1.6},
         "text": text, "hovertemplate": f"%{{text}}<br>%{{x}}<br>{mean_word} %{{y:.1f}} {unit}<extra></extra>",
         "x": typed(joined([b.x for b in bands], gap_x)), "y": typed(joined([b.mean for b in bands], gap_y))},
    ]  # fmt: skip


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
