"""Trace page markup: the timeline figure (with its links) and its Patch, the slow table,
the task panel."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import plotly.graph_objects as go
from dash import Patch, html
from plotly.subplots import make_subplots

from services.core.i18n import t
from services.tracing.view import LINK_SERIES, SERIES, Points, TraceSession, Update, trace_index

STYLE: dict[str, dict[str, Any]] = {  # series → how its traces look
    "ticks": {
        "mode": "markers",
        "marker": {"symbol": "line-ns-open", "size": 11, "color": "#1f77b4", "line": {"width": 1.5}},
    },
    "busy": {"mode": "lines", "line": {"width": 9, "color": "#ff7f0e"}},
    "slow": {"mode": "lines", "line": {"width": 13, "color": "#d62728"}},
    "jobs": {"mode": "lines", "line": {"width": 11, "color": "#2ca02c"}},
    "lag": {"mode": "lines", "line": {"width": 1.5, "color": "#9467bd"}},
    # links: a line from where it was made to an arrow head on the row it leads to
    "made": {"mode": "lines+markers", "opacity": 0.8, "line": {"width": 1.2, "color": "#17becf"}},
    "done": {"mode": "lines+markers", "opacity": 0.8, "line": {"width": 1.2, "color": "#e377c2", "dash": "dot"}},
}
ARROW = 10  # a link's arrow head (px); its start and the break after it get none
# under the lag strip: above the lanes, at 390 px, the links' two wrapped entries grew past
# the figure's top and Plotly's toolbar covered what was left of them
LEGEND = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "y": 0,
    "yanchor": "bottom",
    "yref": "container",
    "font": {"size": 11},
}
LEGEND_PX = 48  # room for the legend's lines under the clock's ticks
TIMELINE_PX = 620  # the timeline's height (lanes, then the lag strip)
EMPTY_LAYOUT: dict[str, Any] = {"margin": {"l": 170, "r": 20, "t": 20, "b": 40}, "template": "plotly_white"}
TICKS, HOVER_TIME = "%H:%M:%S", "%H:%M:%S.%L"
FOCUS_FILL, FOCUS_LINE = "rgba(255, 196, 0, 0.35)", "#8a6d00"  # a finding's rows on the timeline
TASK_STATES = ("pending", "running", "waiting", "done", "cancelled", "raised")  # Tracer.task_info's


def x_window(end_ms: float, window_s: int) -> list[float]:
    return [end_ms - window_s * 1000, end_ms]


def focus_shapes(spans: list[tuple[float, float, str]], window_s: int) -> list[dict[str, Any]]:
    """A band across the lanes over each row a finding points at (at least a few pixels wide)."""
    least = window_s * 1000 / 300
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "y domain",
            "x0": start,
            "x1": max(end, start + least),
            "y0": 0,
            "y1": 1,
            "fillcolor": FOCUS_FILL,
            "line": {"color": FOCUS_LINE, "width": 1},
            "layer": "below",
        }  # fmt: skip
        for start, end, _lane in spans
    ]


def _columns(pts: Points, series: str) -> dict[str, Any]:
    """A chunk's columns (a nested dict: a column of ``marker``)."""
    if series == "lag":
        return {"x": pts.x, "y": pts.y}
    columns: dict[str, Any] = {"x": pts.x, "y": pts.y, "hovertext": pts.text, "customdata": pts.custom}
    if series in LINK_SERIES:  # points come in threes: start, end, break
        columns["marker"] = {"size": [0, ARROW, 0] * (len(pts) // 3)}
    return columns


def _scatter(series: str, chunk: int, pts: Points, session: TraceSession) -> go.Scatter:
    """One chunk trace of a series (a link series' first has its legend entry, for both)."""
    columns, style = _columns(pts, series), STYLE[series]
    line: dict[str, Any] = style.get("line", {})
    if series not in LINK_SERIES:
        return go.Scatter(name=series, showlegend=False, hoverinfo="text" if series != "lag" else "x+y",
                          **columns, **style)  # fmt: skip
    marker = {"symbol": "arrow", "angleref": "previous", "color": line.get("color"), **columns.pop("marker")}
    return go.Scatter(name=session.legend.get(series, series), legendgroup=series, showlegend=chunk == 0,
                      hoverinfo="text", marker=marker, **columns, **style)  # fmt: skip


def make_trace_figure(update: Update, session: TraceSession, lang: str) -> go.Figure:
    """Lanes on top (ticks, busy bars, slow bars, worker jobs, then the links; two chunk
    traces each, in ``trace_index`` order), the loop-lag strip below, both on the wall clock."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.8, 0.2], vertical_spacing=0.04)
    for series in SERIES:
        for chunk in (0, 1):
            pts = update.points[series] if chunk == update.chunks.get(series, 0) else Points()
            fig.add_trace(_scatter(series, chunk, pts, session), row=2 if series == "lag" else 1, col=1)
    fig.update_layout(
        **{**EMPTY_LAYOUT, "margin": {**EMPTY_LAYOUT["margin"], "t": 36, "b": 40 + LEGEND_PX}},
        legend=LEGEND,
        height=TIMELINE_PX,
        hovermode="closest",
        uirevision=session.view.window_s,
        clickmode="event",
        shapes=focus_shapes(session.focused(), session.view.window_s),
    )
    # clock times, not a date under the first tick ("Nov 27, 2026"): the same in every language
    fig.update_xaxes(
        type="date", range=x_window(update.end_ms, session.view.window_s), tickformat=TICKS, hoverformat=HOVER_TIME
    )
    fig.update_yaxes(type="category", categoryorder="category descending", row=1, col=1)
    fig.update_yaxes(title_text=t("trace.lag", lang), rangemode="tozero", row=2, col=1)
    return fig


def make_focus_patch(spans: list[tuple[float, float, str]], window_s: int, patch: Patch | None = None) -> Patch:
    """The bands over a finding's rows (none: no band)."""
    patch = Patch() if patch is None else patch
    patch["layout"]["shapes"] = focus_shapes(spans, window_s)
    return patch


def make_trace_patch(update: Update, window_s: int, focus: list[tuple[float, float, str]] | None = None) -> Patch:
    """The new points only: extend each series' head chunk, or replace the chunk that
    becomes the head; then move the window (and, given ``focus``, redraw its bands)."""
    patch = Patch() if focus is None else make_focus_patch(focus, window_s)
    for series, chunk in update.chunks.items():
        trace = patch["data"][trace_index(series, chunk)]
        for key, values in _columns(update.points[series], series).items():
            _put(trace, key, values, series in update.fresh)
    for series, name in update.legend.items():  # how many links are not drawn changed
        patch["data"][trace_index(series, 0)]["name"] = name
    patch["layout"]["xaxis"]["range"] = x_window(update.end_ms, window_s)
    patch["layout"]["xaxis2"]["range"] = x_window(update.end_ms, window_s)
    return patch


def _put(trace: Any, key: str, values: Any, fresh: bool) -> None:
    """A chunk's column in a Patch: set whole (a fresh chunk) or extended; a dict, each of its own."""
    if isinstance(values, dict):
        for inner, column in values.items():
            _put(trace[key], inner, column, fresh)
    elif fresh:
        trace[key] = values
    else:
        trace[key].extend(values)


def _clock(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%H:%M:%S.%f")[:-3]


def breakable(name: str) -> list[Any]:
    """A dotted name that may wrap after each dot (``TraceHub.block.<locals>.f``)."""
    parts = name.split(".")
    return [item for part in parts[:-1] for item in (f"{part}.", html.Wbr())] + [parts[-1]]


def stuck_line(culprit: dict[str, Any]) -> str:
    path, line, function = culprit["where"][:3]
    return f"{os.path.basename(str(path))}:{line} ({function})"


def stack_details(culprit: dict[str, Any], lang: str) -> html.Details:
    """The loop thread's stack when it was stuck, opened on demand."""
    stack = "\n".join(f"{frame[0]}:{frame[1]} ({frame[2]})" for frame in culprit.get("stack") or ())
    return html.Details([html.Summary(t("trace.stack", lang)), html.Pre(stack, className="task-stack")])


def stuck_cell(culprit: dict[str, Any] | None, lang: str) -> Any:
    """Where an agent saw a slow callback stuck: file:line (function), its stack on demand."""
    if not culprit or not culprit.get("where"):
        return html.Td("")
    return html.Td(
        [html.Span(stuck_line(culprit), className="stuck-at"), stack_details(culprit, lang)], className="mono stuck"
    )


def make_slow_table(rows: list[dict[str, Any]], slow_ms: float, lang: str, focus: set[int] | None = None) -> Any:
    """The slow callbacks, newest first; those a finding points at (``focus``) highlighted;
    where each was stuck, when an agent saw it (a column only then)."""
    if not rows:
        return html.P(t("trace.slow.none", lang, ms=f"{slow_ms:g}"), className="muted")
    stuck = any(r.get("culprit") for r in rows)
    columns = ("time", "lane", "callback", "ms", "late", "kind", *(("stuck",) if stuck else ()))
    head = html.Tr([html.Th(t(f"trace.col.{c}", lang)) for c in columns])
    body = [
        html.Tr(
            [
                html.Td(_clock(r["at_ms"])),
                html.Td(r["lane"]),
                html.Td(html.Code(breakable(r["name"])), className="mono"),  # code: a name in the program
                html.Td(f"{r['ms']:.1f}", className="num"),
                html.Td(f"{r['late_ms']:.1f}", className="num"),
                html.Td(r["kind"]),
                *((stuck_cell(r.get("culprit"), lang),) if stuck else ()),
            ],
            className="slow-row focus" if focus and r.get("seq") in focus else "slow-row",
        )
        for r in rows
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="slow-table")


def counters_text(session: TraceSession, lang: str, replay: bool = False) -> str:
    """The tracer's own numbers (``replay``: a recording's, at the replayed moment)."""
    key, measuring = ("trace.replay.counters", "trace.replay.counters.measuring") if replay else (
        "trace.counters", "trace.counters.measuring")  # fmt: skip
    s = session.stats
    rate, pct = s.get("events_per_s"), s.get("overhead_pct")
    if rate is None or pct is None:  # the trace service's first answer: no rate to show yet, not zeros
        return t(measuring, lang)
    # the C hot path on the collector costs well under a thousandth of a percent: say so
    # rather than round it to zero
    overhead = "< 0.001 %" if rate and pct < 0.001 else f"≈ {pct:.3f} %" if pct < 1 else f"≈ {pct:.1f} %"
    return t(key, lang, rate=f"{rate:.0f}", overhead=overhead, dropped=s.get("dropped", 0), tasks=s.get("tasks", 0))


def task_state(state: str, lang: str) -> str:
    """A task's state (``services.tracing.tracer``'s words) in ``lang``; another as it came."""
    return t(f"trace.state.{state}", lang) if state in TASK_STATES else state


def make_task_panel(info: dict[str, Any], lang: str) -> list[Any]:
    stack = info.get("stack") or []
    site = info["site"] or t("trace.inspect.site_unknown", lang)
    rows = [("name", info["name"]), ("coro", info["coro"]), ("site", site), ("state", task_state(info["state"], lang))]
    stuck = info.get("stuck") if isinstance(info.get("stuck"), dict) and info["stuck"].get("where") else None
    if stuck:  # an agent saw one of its steps stuck
        rows.append(("stuck", t("trace.inspect.stuck_at", lang, where=stuck_line(stuck), ms=stuck.get("ms", "?"))))
    return [
        html.Dl(
            [
                item
                for key, value in rows
                for item in (html.Dt(t(f"trace.inspect.{key}", lang)), html.Dd(value, className=f"task-{key}"))
            ],
            className="task-facts",
        ),
        *((stack_details(stuck, lang),) if stuck else ()),
        html.Div(t("trace.inspect.stack", lang), className="task-stack-title"),
        html.Pre("\n".join(stack) if stack else t("trace.inspect.no_stack", lang), className="task-stack"),
    ]


def message(text: str, ok: bool = True) -> html.Span:
    """An action's outcome under the buttons: plain when it worked, highlighted when not."""
    return html.Span(text, className="msg-ok" if ok else "msg-error")


def note(key: str, ok: bool = True, **params: Any) -> dict[str, Any]:
    """An action's outcome as data — a message key and its values — for a page that shows
    it in whatever language it is in (``show_note``)."""
    return {"key": key, "params": params, "ok": ok}


def show_note(data: Any, lang: str) -> Any:
    """A note as the page's message in ``lang``; nothing for none (or a store that holds
    something else: it is the browser's)."""
    if not isinstance(data, dict) or not isinstance(data.get("key"), str):
        return ""
    params = data.get("params")
    return message(t(data["key"], lang, **(params if isinstance(params, dict) else {})), ok=data.get("ok") is True)
