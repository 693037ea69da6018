"""The frame around every page: nav bar, language switch, page container."""

from __future__ import annotations

import dash
from dash import dcc, html

import ids
from services.core.i18n import DEFAULT_LANG
from views.i18n import T

NAV = (
    ("nav.home", "/"),
    ("nav.live", "/live"),
    ("nav.trace", "/trace"),
    ("nav.lab", "/lab"),
    ("nav.demos", "/demos"),
    ("nav.sources", "/sources"),
    ("nav.query", "/query"),
)


def _token_box(mode: str) -> html.Label:
    """Where an operator types the token, when actions need one (kept for this tab only)."""
    box = dcc.Input(id=ids.OPERATOR_TOKEN, type="password", persistence=True, persistence_type="session",
                    className="token-input", autoComplete="off")  # fmt: skip
    return html.Label([T("guard.token_label"), box], className="token-field", hidden=mode != "token")


def make_shell(mode: str = "local") -> html.Div:
    """The frame; ``mode`` is the guard's (services.ops.guard): with "token", a token box."""
    return html.Div(
        className="shell",
        children=[
            html.Header(
                className="nav",
                children=[
                    dcc.Link("looplens", href="/", className="brand"),
                    html.Nav(
                        [dcc.Link(T(key), href=href, className="nav-link") for key, href in NAV], className="nav-links"
                    ),
                    dcc.RadioItems(
                        id=ids.LANG,
                        options=[{"label": "EN", "value": "en"}, {"label": "中文", "value": "zh"}],
                        value=DEFAULT_LANG,
                        inline=True,
                        persistence=True,
                        persistence_type="local",
                        className="lang-switch",
                    ),
                    _token_box(mode),
                ],
            ),
            html.Main(dash.page_container, className="main"),
            dcc.Store(id=ids.HTML_LANG),
            dcc.Store(id=ids.LIVE_VIEW),  # see ids: the Live page's stream reads these
            dcc.Store(id=ids.LIVE_SHOWN),
            dcc.Store(id=ids.LIVE_BEAT),
            dcc.Store(id=ids.LIVE_STREAM, data=0),
        ],
    )
