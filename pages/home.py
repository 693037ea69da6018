import dash
from dash import dcc, html

from views.i18n import T

dash.register_page(__name__, path="/", title="looplens", name="Home", order=0)


def _card(title_key: str, body_key: str, link_key: str | None = None, href: str = "") -> html.Div:
    children = [T(title_key, html.H2), T(body_key, html.P)]
    if link_key:
        children.append(dcc.Link(T(link_key), href=href, className="card-link"))
    return html.Div(children, className="card")


layout = html.Div(
    className="page page-home",
    children=[
        T("home.title", html.H1),
        T("home.lead", html.P, className="lead"),
        html.Div(
            className="cards",
            children=[
                _card("home.live.title", "home.live.body", "home.live.link", "/live"),
                _card("home.trace.title", "home.trace.body", "home.trace.link", "/trace"),
                _card("home.query.title", "home.query.body", "home.query.link", "/query"),
                _card("home.lab.title", "home.lab.body", "home.lab.link", "/lab"),
                _card("home.demos.title", "home.demos.body", "home.demos.link", "/demos"),
                _card("home.sources.title", "home.sources.body", "home.sources.link", "/sources"),
            ],
        ),
    ],
)
