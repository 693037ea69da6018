import dash
from dash import dcc, html

import ids
from services.demos.programs import DEFAULT_SPEED, DEMOS, SPEEDS
from views import HIDDEN
from views.demos import EMPTY_LAYOUT
from views.i18n import T

dash.register_page(__name__, path="/demos", title="Demos · looplens", name="Demos", order=4)


def _demo(name: str) -> html.Div:
    return html.Div(
        [
            T(f"demo.{name}.title", html.H2),
            T(f"demo.{name}.about", html.P),
            html.Button(T("demos.run", slot=name), id={"type": ids.DEMO_RUN, "demo": name}, className="btn"),
        ],
        className="card demo-card",
    )


layout = html.Div(
    className="page page-demos",
    children=[
        T("demos.title", html.H1),
        T("demos.lead", html.P, className="lead"),
        html.Label(
            [
                T("demos.speed"),
                dcc.RadioItems(
                    id=ids.DEMO_SPEED,
                    value=DEFAULT_SPEED,
                    inline=True,
                    className="segmented",
                    options=[{"label": label, "value": value} for value, label in SPEEDS],
                ),
            ],
            className="field",
        ),
        html.Div([_demo(name) for name in DEMOS], className="cards demo-cards"),
        html.Div(T("demos.running"), id=ids.DEMO_STATUS, className="progress", style=HIDDEN),
        html.Section(
            className="card demo-output",
            children=[
                html.Div(id=ids.DEMO_LOG),
                dcc.Graph(
                    id=ids.DEMO_GRAPH,
                    figure={"data": [], "layout": EMPTY_LAYOUT},
                    config={"displaylogo": False, "responsive": True},
                ),
            ],
        ),
        dcc.Store(id=ids.DEMO_JOB),
        dcc.Store(id=ids.DEMO_RESULT),
    ],
)
