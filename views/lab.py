"""Lab page markup: the shared-clock swimlanes, the results table, the bar chart."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import html

from services.core.i18n import t
from services.lab.workload import CORES, ENGINES

COLORS = dict(zip(ENGINES, ("#7f7f7f", "#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#ff7f0e"), strict=True))
EMPTY_LAYOUT = {"margin": {"l": 40, "r": 20, "t": 20, "b": 40}, "template": "plotly_white", "height": 320}
LANE_PX = 17  # each lane's height: room for its 10 px label, so Plotly never skips one
LANES_PAD_PX = 150  # the swimlanes' axis, its title and the legend under them
# under the plot, left-aligned: never under the toolbar at the top right, however it wraps
LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom", "yref": "container"}


def engine_name(engine: str, lang: str) -> str:
    return t(f"lab.engine.{engine}", lang)


def short_name(engine: str, lang: str) -> str:
    """The engine in a legend or under a bar: a word or two."""
    return t(f"lab.short.{engine}", lang)


def lane_text(lane: dict[str, Any], lang: str) -> str:
    """A lane's label: its engine, process, thread and slot, in ``lang``."""
    params = {"engine": short_name(lane["engine"], lang), "pid": lane["pid"], "thread": lane["thread"]}
    text = t("lab.lane_thread" if lane["thread"] else "lab.lane", lang, **params)
    return f"{text} #{lane['slot']}" if lane["slot"] else text


def make_empty_figure(height: int = 320) -> go.Figure:
    """Nothing to show yet: no axes (an empty Plotly figure draws meaningless ones)."""
    hidden = {"visible": False}
    return go.Figure(layout={**EMPTY_LAYOUT, "height": height, "xaxis": hidden, "yaxis": hidden, "showlegend": False})


def make_lanes_figure(data: dict[str, Any] | None, lang: str) -> go.Figure:
    """A trace per lane, each item a bar on it (x: seconds from the run's start); one legend
    entry per engine; every lane labelled, in ``lang``."""
    lanes = (data or {}).get("lanes", [])
    if not lanes:
        return make_empty_figure()
    fig, legend = go.Figure(), set()
    for lane in lanes:
        engine = lane["engine"]
        fig.add_trace(
            go.Scatter(
                x=lane["x"],
                y=lane["y"],
                mode="lines",
                name=short_name(engine, lang),
                legendgroup=engine,
                showlegend=engine not in legend,
                line={"width": 6, "color": COLORS.get(engine)},
                hovertemplate=f"{lane_text(lane, lang)}<br>{t('lab.hover', lang, x='%{x:.3f}')}<extra></extra>",
            )
        )
        legend.add(engine)
    labels = [lane["label"] for lane in lanes]
    fig.update_layout(
        margin={"l": 10, "r": 20, "t": 30, "b": 10},
        template="plotly_white",
        height=LANES_PAD_PX + LANE_PX * len(lanes),
        legend=LEGEND,
        xaxis={"title": {"text": t("lab.lanes_x", lang)}, "automargin": True},
        uirevision="lab",
    )
    fig.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=labels,
        range=[len(labels) - 0.5, -0.5],  # top to bottom, LANE_PX each, no padding
        tickmode="array",
        tickvals=labels,
        ticktext=[lane_text(lane, lang) for lane in lanes],
        tickfont={"size": 10},
        automargin=True,
    )
    return fig


def make_bars(data: dict[str, Any], lang: str) -> go.Figure:
    """Each engine's wall time against the ideal (a dashed line), in ``lang``."""
    rows = data.get("rows", [])
    fig = go.Figure(
        go.Bar(
            x=[short_name(r["engine"], lang) for r in rows],
            y=[r["wall_s"] for r in rows],
            marker_color=[COLORS.get(r["engine"]) for r in rows],
            text=[t("lab.seconds", lang, s=f"{r['wall_s']:.2f}") for r in rows],
            textposition="outside",
            hovertemplate=f"%{{x}}: {t('lab.seconds', lang, s='%{y:.2f}')}<extra></extra>",
        )
    )
    ideal = t("lab.ideal_line", lang, s=f"{data['ideal_s']:.2f}")
    fig.add_hline(
        y=data["ideal_s"], line_dash="dash", annotation={"text": ideal, "bgcolor": "rgba(255, 255, 255, 0.8)"}
    )
    fig.update_layout(**{**EMPTY_LAYOUT, "height": 300}, yaxis_title=t("lab.bars", lang))
    return fig


def make_results(data: dict[str, Any] | None, lang: str) -> list[Any]:
    """The results table and what it means (ideal, identical readings, the collector)."""
    if not data or not data.get("rows"):
        return []
    cols = ("engine", "wall", "cpu", "throughput", "ratio", "failed")
    head = html.Tr([html.Th(t(f"lab.col.{c}", lang)) for c in cols])
    body = [
        html.Tr(
            [
                html.Td(engine_name(r["engine"], lang)),
                html.Td(f"{r['wall_s']:.2f}", className="num"),
                html.Td(f"{r['cpu_s']:.2f}", className="num"),
                html.Td(f"{r['throughput']:.0f}", className="num"),
                html.Td(f"{r['ratio']:.2f}×", className="num"),
                html.Td(r["error"] or str(r["failed"]), className="num"),
            ],
            className="lab-row",
        )
        for r in data["rows"]
    ]
    notes = _ideal_notes(data, lang)
    if data.get("identical") is not None:
        ok = data["identical"]
        notes.append(
            html.P(
                t("lab.identical" if ok else "lab.different", lang),
                className="lab-identical" if ok else "lab-different",
            )
        )
    for r in data["rows"]:
        if r.get("loop"):
            s = r["loop"]
            notes.append(
                html.P(
                    t(
                        "lab.loop",
                        lang,
                        callbacks=f"{s['callbacks']:,}",
                        tasks=f"{s['tasks']:,}",
                        longest=f"{s['longest_ms']:.1f}",
                        latest=f"{s['latest_ms']:.1f}",
                        lag=f"{s['lag_ms']:.1f}",
                        dropped=s["dropped"],
                    )
                    + (t("lab.loop_jobs", lang, jobs=s["jobs"], workers=s["workers"]) if s.get("jobs") else ""),
                    className="muted lab-loop",
                )
            )
    gap, period = data.get("collector_gap_s"), data.get("collector_period_s")
    if gap is not None and period:
        key = "lab.collector" if gap <= 1.5 * period else "lab.collector_late"
        notes.append(html.P(t(key, lang, gap=f"{gap:.2f}", period=f"{period:g}"), className="muted lab-collector"))
    return [html.Table([html.Thead(head), html.Tbody(body)], className="slow-table lab-table"), *notes]


def _ideal_notes(data: dict[str, Any], lang: str) -> list[Any]:
    """How the ideal is made, how steady its ceiling was, and why a run beat it, if one did."""
    ceiling = {
        "ceiling": f"{data['ceiling']:,.0f}",
        "low": f"{data['ceiling_low']:,.0f}",
        "median": f"{data['ceiling_median']:,.0f}",
        "rounds": data["ceiling_rounds"],
    }
    model = f"{data['model_s']:.2f}"
    notes = [html.P(t("lab.ideal", lang, model=model, cores=CORES, **ceiling), className="muted lab-ideal")]
    beaten = [r for r in data["rows"] if r.get("beat_model")]
    for r in beaten:
        why = t(
            f"lab.beat.{data['model_term']}",
            lang,
            engine=engine_name(r["engine"], lang),
            wall=f"{r['wall_s']:.2f}",
            model=model,
            rate=f"{r['throughput']:,.0f}",
            ceiling=ceiling["ceiling"],
        )
        notes.append(html.P(why, className="lab-beat"))
    if beaten:
        notes.append(html.P(t("lab.ideal_lowered", lang, ideal=f"{data['ideal_s']:.2f}"), className="lab-beat"))
    return notes


def progress_text(data: dict[str, Any] | None, lang: str) -> str:
    """Where a run is — measuring the ceiling, engine k of m with its items, all done — so
    it only ever moves forward."""
    if not data or not (data.get("running") or data.get("rows")):
        return t("lab.starting", lang)
    steps = len(data["engines"])
    if not data.get("running"):
        return t("lab.progress_done", lang, steps=steps)
    engine = engine_name(data["running"], lang)
    return t(
        "lab.progress", lang, step=len(data["rows"]) + 1, steps=steps, engine=engine, done=data["done"], n=data["n"]
    )
