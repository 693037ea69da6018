"""Trace page: an agent's counter tracks (a queue's size and waiting putters and getters,
a lock's holders and waiters …) and its executor jobs as lanes, under the timeline on the
same clock and window."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from dash import dcc, html
from plotly.subplots import make_subplots

import ids
from services.core.i18n import t
from services.tracing.tracks import Track
from services.tracing.view import TraceSession
from views.controls import box_style
from views.tracing import EMPTY_LAYOUT, HOVER_TIME, TICKS, x_window

SHOWN = 6  # tracks drawn at most (the rest are counted in the title)
ROW_PX = 110
COLORS = ("#1f77b4", "#d62728", "#2ca02c")  # the level, then the two waiting counts
NAMES = {"queue": ("size", "putters", "getters"), "lock": ("held", "waiters"), "semaphore": ("free", "waiters"),
         "event": ("set", "waiters")}  # fmt: skip


def _track(fig: go.Figure, row: int, track: Track, session: TraceSession, lang: str) -> None:
    samples = np.array(track.samples, dtype=np.int64)
    x = samples[:, 0] / 1e6 + session.ms(0)  # the traced machine's ns → the page's clock (ms)
    for column, name in enumerate(NAMES[track.kind], start=1):
        label = t(f"trace.track.{name}", lang)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=samples[:, column],
                mode="lines",
                line={"shape": "hv", "width": 2 if column == 1 else 1.2, "color": COLORS[column - 1]},
                name=label,
                showlegend=False,
                hovertemplate=f"{label}: %{{y}}<extra></extra>",
            ),
            row=row,
            col=1,
        )


def _jobs(fig: go.Figure, row: int, session: TraceSession, lang: str) -> None:
    xs: list[float | None] = []
    ys: list[str | None] = []
    texts: list[str | None] = []
    for _submitted, start, end, thread, name in session.tracks.jobs.values():
        text = t("trace.track.job", lang, name=name, ms=f"{(end - start) / 1e6:.1f}")
        for x in (session.ms(start), session.ms(end), None):
            xs.append(x)
            ys.append(thread if x is not None else None)
            texts.append(text)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"width": 10, "color": "#2ca02c"},
            hovertext=texts,
            hoverinfo="text",
            showlegend=False,
        ),  # fmt: skip
        row=row,
        col=1,
    )
    fig.update_yaxes(type="category", row=row, col=1)


def make_tracks_figure(session: TraceSession, lang: str) -> go.Figure | None:
    """The tracks and the executor's lanes, or None when there is none to draw."""
    tracks = session.tracks.shown()
    shown = tracks[:SHOWN]
    jobs = bool(session.tracks.jobs)
    rows = len(shown) + jobs
    if not rows:
        return None
    titles = [t(f"trace.track.{track.kind}", lang, site=track.site) for track in shown]
    titles += [t("trace.track.executor", lang)] if jobs else []
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.5 / rows / 2)
    for row, track in enumerate(shown, start=1):
        _track(fig, row, track, session, lang)
    if jobs:
        _jobs(fig, rows, session, lang)
    fig.update_layout(**{**EMPTY_LAYOUT, "margin": {"l": 170, "r": 20, "t": 30, "b": 40}}, height=ROW_PX * rows + 70,
                      hovermode="x unified")  # fmt: skip
    fig.update_xaxes(type="date", range=x_window(session.end_ms, session.view.window_s), tickformat=TICKS,
                     hoverformat=HOVER_TIME)  # fmt: skip
    fig.update_yaxes(rangemode="tozero")
    return fig


def tracks_graph(figure: go.Figure, lang: str, graph_id: str = ids.TRACE_TRACKS) -> html.Figure:
    """The tracks' graph with its first figure, and what it shows for a screen reader."""
    chart = dcc.Graph(
        id=graph_id,
        figure=figure,
        config={"displayModeBar": False, "responsive": True},  # its titles have the top; it zooms by dragging
        className="trace-graph",
        style=box_style(figure.layout.height),
    )
    return html.Figure(
        [chart, html.Figcaption(t("trace.tracks_summary", lang), className="sr-only")], className="chart"
    )
