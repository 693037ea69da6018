"""Seed demos markup: the log (in the UI language) and the timeline of what ran where."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import html

from services.core.i18n import t

EMPTY_LAYOUT = {"margin": {"l": 40, "r": 20, "t": 10, "b": 40}, "template": "plotly_white", "height": 260}


def make_log(data: dict[str, Any], lang: str) -> list[Any]:
    name = data["name"]
    lines = [
        html.Div(
            [
                html.Span(f"+{line['t_ms']:.1f} ms", className="log-t"),
                html.Span(f"pid {line['pid']}", className="log-pid"),
                html.Span(t(line["key"], lang, **line["params"]), className="log-text"),
            ],
            className="log-line",
        )
        for line in data["lines"]
    ]
    return [html.H2(t(f"demo.{name}.title", lang)), html.Div(lines, className="demo-log")]


def make_timeline(data: dict[str, Any]) -> go.Figure:
    xs: list[Any] = []
    ys: list[Any] = []
    texts: list[Any] = []
    for span in data["spans"]:
        end = max(span["end_ms"], span["start_ms"] + 0.5)  # a very short callback still shows
        xs += [span["start_ms"], end, None]
        ys += [span["lane"], span["lane"], None]
        texts += [span["label"]] * 2 + [None]
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            hovertext=texts,
            hoverinfo="text+x",
            mode="lines+markers",
            line={"width": 10, "color": "#1f77b4"},
            marker={"symbol": "line-ns-open", "size": 14, "color": "#1f77b4"},
        )
    )
    lanes = len({s["lane"] for s in data["spans"]})
    fig.update_layout(
        **{**EMPTY_LAYOUT, "margin": {"l": 200, "r": 20, "t": 10, "b": 40}, "height": max(200, 60 + 26 * lanes)},
        xaxis_title="ms",
        showlegend=False,
    )
    fig.update_yaxes(type="category", autorange="reversed")
    return fig
