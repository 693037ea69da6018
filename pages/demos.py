import dash
from dash import dcc, html

import ids
from services.demos.programs import DEFAULT_SPEED, DEMOS, SPEEDS
from views import HIDDEN
from views.controls import action_note, field, graph, read_only, segmented
from views.demos import EMPTY_LAYOUT
from views.i18n import T

dash.register_page(__name__, path="/demos", title="Demos · looplens", name="Demos", order=4)


def _demo(name: str, off: bool) -> html.Div:
    run = html.Button(
        T("demos.run", slot=name),
        id={"type": ids.DEMO_RUN, "demo": name},
        className="btn",
        disabled=off,
        **{"data-focus-next": ids.DEMO_STATUS},  # type: ignore[arg-type]  # see views.controls.run_button
    )
    return html.Div(
        [T(f"demo.{name}.title", html.H2), T(f"demo.{name}.about", html.P), run], className="card demo-card"
    )


def layout(**_query: str) -> html.Div:
    off = read_only()
    return html.Div(
        className="page page-demos",
        children=[
            T("demos.title", html.H1),
            T("demos.lead", html.P, className="lead"),
            field(
                "demos.speed",
                segmented(ids.DEMO_SPEED, DEFAULT_SPEED, [{"label": label, "value": v} for v, label in SPEEDS]),
            ),
            action_note(),
            html.Div([_demo(name, off) for name in DEMOS], className="cards demo-cards"),
            html.Div(
                T("demos.running"), id=ids.DEMO_STATUS, className="progress", role="status", tabIndex="-1", style=HIDDEN
            ),
            html.Section(
                [html.Div(id=ids.DEMO_LOG), graph(ids.DEMO_GRAPH, EMPTY_LAYOUT, summary="demos.chart_summary")],
                className="card demo-output",
            ),
            dcc.Store(id=ids.DEMO_JOB),
            dcc.Store(id=ids.DEMO_RESULT),
        ],
    )
