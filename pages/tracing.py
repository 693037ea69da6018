import time

import dash
from dash import dcc, html

import ids
from services.tracing.view import LOOPS, SLOW_MARKS_MS, WINDOWS_S
from views import HIDDEN
from views.controls import action_note, buttons, field, graph, head, read_only, segmented, text_box
from views.i18n import T
from views.trace_panels import agent_form, diagnosis_section, tree_section
from views.trace_replay import replay_section
from views.tracing import EMPTY_LAYOUT, TIMELINE_PX

dash.register_page(__name__, path="/trace", title="Trace · looplens", name="Trace", order=2)


def _view_controls() -> html.Div:
    slow = dcc.Slider(  # positions: the marks are log-spaced
        id=ids.TRACE_SLOW_MS,
        min=0,
        max=len(SLOW_MARKS_MS) - 1,
        step=1,
        value=SLOW_MARKS_MS.index(100),
        marks={i: str(ms) for i, ms in enumerate(SLOW_MARKS_MS)},
        included=False,
        allow_direct_input=False,
    )
    loops = [{"label": T(f"trace.loop.{loop}"), "value": loop} for loop in LOOPS]
    return html.Div(
        className="live-controls",
        children=[
            field("trace.loop", segmented(ids.TRACE_LOOP, LOOPS[0], loops)),
            field(
                "trace.window", segmented(ids.TRACE_WINDOW, 15, [{"label": f"{w} s", "value": w} for w in WINDOWS_S])
            ),
            dcc.Checklist(
                id=ids.TRACE_INTERNAL,
                value=["hide"],
                className="field check",
                options=[{"label": T("trace.internal"), "value": "hide"}],
            ),
            field("trace.slow_ms", slow, "slider-field"),
            buttons(html.Button([T("live.pause"), T("live.resume")], id=ids.TRACE_PAUSE, className="btn btn-pause")),
        ],
    )


def _actions() -> html.Div:
    off = read_only()
    return html.Div(
        className="live-controls",
        children=[
            text_box("trace.block_ms", ids.TRACE_BLOCK_MS, "300"),
            buttons(
                html.Button(T("trace.block"), id=ids.TRACE_BLOCK, className="btn btn-warn", disabled=off),
                html.Button(T("trace.jobs"), id=ids.TRACE_JOBS, className="btn", disabled=off),
                html.Button(T("trace.export"), id=ids.TRACE_EXPORT, className="btn"),
                html.Button(T("trace.record"), id=ids.TRACE_RECORD, className="btn", disabled=off),
                html.Button(T("trace.record_stop"), id=ids.TRACE_RECORD_STOP, className="btn", disabled=off),
                dcc.Download(id=ids.TRACE_DOWNLOAD),
            ),
            action_note(),
        ],
    )


def _panels() -> html.Div:
    cancel = html.Button(
        T("trace.cancel"), id=ids.TRACE_CANCEL, className="btn btn-warn", style=HIDDEN, disabled=read_only()
    )
    slow = html.Div(  # on a narrow screen the table scrolls sideways: a region keyboards can reach
        id=ids.TRACE_SLOW,
        className="table-scroll",
        tabIndex="0",
        role="region",
        **{"aria-labelledby": ids.TRACE_SLOW_TITLE},  # type: ignore[arg-type]  # aria-* is not in Div's typed signature
    )
    return html.Div(
        className="trace-panels",
        children=[
            html.Section([html.H2(T("trace.slow.title"), id=ids.TRACE_SLOW_TITLE), slow], className="card"),
            html.Section([T("trace.inspect.title", html.H2), html.Div(id=ids.TRACE_INSPECT), cancel], className="card"),
        ],
    )


def layout(**_query: str) -> html.Div:
    number = time.time_ns() // 1000  # this visit's first stream: above any earlier visit's
    return html.Div(
        className="page page-trace",
        children=[
            head("trace.title", ids.TRACE_STATUS),
            T("trace.lead", html.P, className="lead"),
            _view_controls(),
            _actions(),
            html.Div(id=ids.TRACE_MESSAGE, className="trace-message", role="status"),
            html.Div(id=ids.TRACE_COUNTERS, className="trace-counters"),
            html.Div(
                [
                    html.Div(
                        [
                            graph(ids.TRACE_GRAPH, EMPTY_LAYOUT, "trace-graph", "trace.chart_summary", TIMELINE_PX),
                            html.Div(id=ids.TRACE_TRACKS_BOX),  # an agent's tracks, once it has some
                        ]
                    ),
                    tree_section(),
                ],
                id=ids.TRACE_MAIN,
                className="trace-main",  # "trace-main with-tree" on an agent's loop
            ),
            diagnosis_section(),
            _panels(),
            agent_form(),
            replay_section(),
            dcc.Store(id=ids.TRACE_VIEW, data={"stream": number}),
            dcc.Store(id=ids.TRACE_TASK),
            dcc.Store(id=ids.TRACE_AGENTS, storage_type="local"),  # this browser's agents: keys, no tokens
            dcc.Store(id=ids.TRACE_NOTE),
            dcc.Store(id=ids.TRACE_STREAM, data=number),
            dcc.Store(id=ids.TRACE_ENDED),
            dcc.Store(id=ids.TRACE_BEAT),
            dcc.Interval(id=ids.TRACE_WATCHDOG, interval=1000),
        ],
    )
