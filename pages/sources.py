import dash
from dash import dcc, html

import ids
from views.controls import action_note, buttons, field, read_only
from views.i18n import T
from views.sources import make_form

dash.register_page(__name__, path="/sources", title="Sources · looplens", name="Sources", order=5)

REFRESH_MS = 2000


def _button(key: str, component_id: str, off: bool, extra: str = "") -> html.Button:
    return html.Button(T(key), id=component_id, className=f"btn {extra}".strip(), disabled=off)


def layout(**_query: str) -> html.Div:
    off = read_only()
    return html.Div(
        className="page page-sources",
        children=[
            T("sources.title", html.H1),
            T("sources.lead", html.P, className="lead"),
            html.Section([T("sources.all", html.H2), html.Div(id=ids.SOURCES_TABLE)], className="card"),
            make_form(),
            buttons(
                _button("sources.save", ids.SOURCES_SAVE, off, "btn-primary"),
                _button("sources.test", ids.SOURCES_TEST, off),
                _button("sources.new", ids.SOURCES_NEW, False),
            ),
            action_note(),
            html.Div(id=ids.SOURCES_MESSAGE, role="status"),
            html.Section(
                [
                    T("sources.one", html.H2),
                    field("sources.pick", dcc.Dropdown(id=ids.SOURCES_PICK, clearable=False)),
                    buttons(
                        _button("sources.edit", ids.SOURCES_EDIT, False),
                        _button("sources.toggle", ids.SOURCES_TOGGLE, off),
                        _button("sources.remove", ids.SOURCES_REMOVE, off, "btn-danger"),
                    ),
                    html.Div(id=ids.SOURCES_DETAIL),
                ],
                className="card",
            ),
            dcc.Interval(id=ids.SOURCES_TICK, interval=REFRESH_MS),
            dcc.Store(id=ids.SOURCES_EDITING),
            dcc.Store(id=ids.SOURCES_CHANGED, data=0),
        ],
    )
