"""The frame around every page: nav bar, language switch, page container."""

from __future__ import annotations

import dash
from dash import dcc, html

import ids
from services.core.i18n import DEFAULT_LANG, LANGS, t
from views.i18n import T

NAV = (
    ("nav.home", "/"),
    ("nav.live", "/live"),
    ("nav.fleet", "/fleet"),
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


def page_titles() -> dict[str, dict[str, str]]:
    """Each page's tab title (as its page registers it, in English) in every language."""
    keys = [*(key for key, _ in NAV if key != "nav.home"), "404.tab"]
    return {f"{t(key, 'en')} · looplens": {lang: f"{t(key, lang)} · looplens" for lang in LANGS} for key in keys}


def _lang_switch() -> html.Div:
    """EN / 中文, named for screen readers (its two choices say nothing on their own)."""
    return html.Div(
        [
            html.Span(T("shell.language"), id=ids.LANG_LABEL, className="sr-only"),
            dcc.RadioItems(
                id=ids.LANG,
                options=[{"label": "EN", "value": "en"}, {"label": "中文", "value": "zh"}],
                value=DEFAULT_LANG,
                inline=True,
                persistence=True,
                persistence_type="local",
                className="lang-switch",
            ),
        ],
        role="group",
        **{"aria-labelledby": ids.LANG_LABEL},  # type: ignore[arg-type]  # aria-* props are not in Div's typed signature
    )


def make_shell(mode: str = "local") -> html.Div:
    """The frame; ``mode`` is the guard's (services.ops.guard): with "token", a token box."""
    return html.Div(
        className="shell",
        children=[
            html.A(T("shell.skip"), href="#main", className="skip-link"),
            html.Header(
                className="nav",
                children=[
                    dcc.Link("looplens", href="/", className="brand"),
                    html.Nav(
                        [dcc.Link(T(key), href=href, className="nav-link") for key, href in NAV], className="nav-links"
                    ),
                    _lang_switch(),
                    _token_box(mode),
                ],
            ),
            html.Main(dash.page_container, id="main", className="main", tabIndex="-1"),
            dcc.Store(id=ids.HTML_LANG),
            dcc.Store(id=ids.PAGE_TITLES, data=page_titles()),
            dcc.Store(id=ids.LIVE_VIEW),  # see ids: the Live page's stream reads these
            dcc.Store(id=ids.LIVE_SHOWN),
            dcc.Store(id=ids.LIVE_BEAT),
            dcc.Store(id=ids.LIVE_STREAM, data=0),
        ],
    )
