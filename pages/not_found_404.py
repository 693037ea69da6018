import dash
from dash import dcc, html

from views.i18n import T

dash.register_page(__name__, path="/404", title="Not found · looplens")

layout = html.Div(
    className="page page-404",
    children=[
        html.P("404", className="big-code"),
        T("404.title", html.H1),
        T("404.body", html.P),
        dcc.Link(T("404.home"), href="/", className="btn btn-primary"),
    ],
)
