import time

import dash
from dash import dcc, html

import ids
from views import HIDDEN
from services.trace_view import LOOPS, SLOW_MARKS_MS, WINDOWS_S
from views.i18n import T
from views.trace import EMPTY_LAYOUT

dash.register_page(__name__, path="/trace", title="Trace · looplens", name="Trace", order=2)


def layout(**_query: str) -> html.Div:
    number = time.time_ns() // 1000  # this visit's first stream: above any earlier visit's
    return html.Div(className="page page-trace", children=[
        html.Div([T("trace.title", html.H1),
                  html.Span(id=ids.TRACE_STATUS, className="live-status", role="status")],
                 className="live-head"),
        T("trace.lead", html.P, className="lead"),
        html.Div(className="live-controls", children=[
            html.Label([T("trace.loop"), dcc.RadioItems(
                id=ids.TRACE_LOOP, value=LOOPS[0], inline=True, className="segmented",
                options=[{"label": T(f"trace.loop.{loop}"), "value": loop} for loop in LOOPS])], className="field"),
            html.Label([T("trace.window"), dcc.RadioItems(
                id=ids.TRACE_WINDOW, value=15, inline=True, className="segmented",
                options=[{"label": f"{w} s", "value": w} for w in WINDOWS_S])], className="field"),
            dcc.Checklist(id=ids.TRACE_INTERNAL, value=["hide"], className="field check",
                          options=[{"label": T("trace.internal"), "value": "hide"}]),
            html.Label([T("trace.slow_ms"), dcc.Slider(  # positions: the marks are log-spaced
                id=ids.TRACE_SLOW_MS, min=0, max=len(SLOW_MARKS_MS) - 1, step=1, value=SLOW_MARKS_MS.index(100),
                marks={i: str(ms) for i, ms in enumerate(SLOW_MARKS_MS)}, included=False,
                allow_direct_input=False)],
                className="field slider-field"),
            html.Div([html.Button([T("live.pause"), T("live.resume")], id=ids.TRACE_PAUSE, className="btn btn-pause")], className="buttons"),
        ]),
        html.Div(className="live-controls", children=[
            html.Label([T("trace.block_ms"), dcc.Input(id=ids.TRACE_BLOCK_MS, type="text", value="300",
                                                        className="num-input")], className="field"),
            html.Div([html.Button(T("trace.block"), id=ids.TRACE_BLOCK, className="btn btn-warn"),
                      html.Button(T("trace.jobs"), id=ids.TRACE_JOBS, className="btn"),
                      html.Button(T("trace.export"), id=ids.TRACE_EXPORT, className="btn"),
                      dcc.Download(id=ids.TRACE_DOWNLOAD)], className="buttons"),
        ]),
        html.Div(id=ids.TRACE_MESSAGE, className="trace-message", role="status"),
        html.Div(id=ids.TRACE_COUNTERS, className="trace-counters"),
        dcc.Graph(id=ids.TRACE_GRAPH, figure={"data": [], "layout": EMPTY_LAYOUT},
                  config={"displaylogo": False, "responsive": True}, className="trace-graph"),
        html.Div(className="trace-panels", children=[
            html.Section([T("trace.slow.title", html.H2), html.Div(id=ids.TRACE_SLOW, className="table-scroll")],
                         className="card"),
            html.Section([T("trace.inspect.title", html.H2), html.Div(id=ids.TRACE_INSPECT),
                          html.Button(T("trace.cancel"), id=ids.TRACE_CANCEL, className="btn btn-warn",
                                      style=HIDDEN)], className="card"),
        ]),
        dcc.Store(id=ids.TRACE_VIEW, data={"stream": number}),
        dcc.Store(id=ids.TRACE_TASK),
        dcc.Store(id=ids.TRACE_STREAM, data=number),
        dcc.Store(id=ids.TRACE_ENDED),
        dcc.Store(id=ids.TRACE_BEAT),
        dcc.Interval(id=ids.TRACE_WATCHDOG, interval=1000),
    ])
