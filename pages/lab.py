from typing import Any

import dash
from dash import dcc, html

import ids
from services.lab.workload import ENGINES
from views import HIDDEN
from views.controls import action_note, buttons, field, graph, read_only, run_button, text_box
from views.i18n import T
from views.lab import EMPTY_LAYOUT

dash.register_page(__name__, path="/lab", title="Lab · looplens", name="Lab", order=3)

DEFAULT_ENGINES = ["threads", "processes", "asyncio", "gevent"]


def layout(**_query: str) -> html.Div:
    return html.Div(className="page page-lab", children=_children())


def _children() -> list[Any]:
    return [
        T("lab.title", html.H1),
        T("lab.lead", html.P, className="lead"),
        html.Div(
            className="live-controls",
            children=[
                text_box("lab.n", ids.LAB_N, "100"),
                text_box("lab.latency", ids.LAB_LATENCY, "100"),
                text_box("lab.cpu", ids.LAB_CPU, "0"),
                text_box("lab.workers", ids.LAB_WORKERS, "8"),
            ],
        ),
        field(
            "lab.engines",
            dcc.Checklist(
                id=ids.LAB_ENGINES,
                value=DEFAULT_ENGINES,
                inline=True,
                className="engine-list",
                options=[{"label": T(f"lab.engine.{e}"), "value": e} for e in ENGINES],
            ),
        ),
        dcc.Checklist(
            id=ids.LAB_TRACE, value=[], className="field check", options=[{"label": T("lab.trace"), "value": "trace"}]
        ),
        buttons(
            run_button("lab.run", ids.LAB_RUN, ids.LAB_CANCEL, className="btn btn-primary", disabled=read_only()),
            html.Button(T("lab.cancel"), id=ids.LAB_CANCEL, className="btn", style=HIDDEN),
            html.Button(T("lab.trace_get"), id=ids.LAB_TRACE_GET, className="btn", style=HIDDEN),
            dcc.Download(id=ids.LAB_TRACE_FILE),
            extra_class="lab-buttons",
        ),
        action_note(),
        html.Div(  # what a click did, and how the last run ended: one line each, one place
            [html.Div(id=ids.LAB_MESSAGE), html.Div(id=ids.LAB_OUTCOME)], className="trace-message", role="status"
        ),
        html.Div(id=ids.LAB_PROGRESS, className="progress", style=HIDDEN),
        graph(ids.LAB_LANES, EMPTY_LAYOUT, "trace-graph", summary="lab.lanes_summary"),
        html.Div(
            className="lab-panels",
            children=[
                html.Section(id=ids.LAB_TABLE, className="card table-scroll"),
                html.Section(graph(ids.LAB_BARS, EMPTY_LAYOUT, summary="lab.bars_summary"), className="card"),
            ],
        ),
        dcc.Store(id=ids.LAB_JOB),
        dcc.Store(id=ids.LAB_RESULT),
        dcc.Store(id=ids.LAB_PROGRESS_DATA),
        dcc.Store(id=ids.LAB_RUN_PID),
        dcc.Store(id=ids.LAB_NOTE),
    ]
