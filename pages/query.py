import dash
from dash import dcc, html

import ids
from views import HIDDEN
from views.controls import run_button
from views.i18n import T

dash.register_page(__name__, path="/query", title="Query · looplens", name="Query", order=1)


layout = html.Div(
    className="page page-query",
    children=[
        T("query.title", html.H1),
        T("query.help", html.P, className="help"),
        html.Div(
            className="query-form",
            children=[
                html.Label(T("query.label"), htmlFor=ids.QUERY_INPUT, className="sr-only"),
                dcc.Input(
                    id=ids.QUERY_INPUT,
                    type="text",
                    autoComplete="off",
                    autoFocus=True,
                    spellCheck=False,
                    className="query-input",
                ),
                run_button("query.submit", ids.QUERY_SUBMIT, ids.QUERY_CANCEL, className="btn btn-primary"),
                html.Button(T("query.cancel"), id=ids.QUERY_CANCEL, className="btn", style=HIDDEN),
            ],
        ),
        html.Div(id=ids.QUERY_PROGRESS, className="progress", role="status", style=HIDDEN),
        html.Div(id=ids.QUERY_OUTPUT, className="result-area", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # an aria-* prop is not in Div's typed signature
        html.Button(T("query.retry"), id=ids.QUERY_RETRY, className="btn", style=HIDDEN),
        dcc.Store(id=ids.QUERY_JOB),
        dcc.Store(id=ids.QUERY_RESULT),
    ],
)
