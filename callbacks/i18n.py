"""Language switch: rewrite every translatable text when the language changes."""

from __future__ import annotations

import json
from typing import Any

from dash import ALL, Dash, Input, Output, State

import ids
from services.core.i18n import DEFAULT_LANG, LANGS, t
from services.core.settings import Settings
from views.controls import LOCALES
from views.i18n import SLOT


def checked_lang(lang: Any) -> str:
    """A supported language; anything else (old storage, tampering) falls back."""
    return lang if lang in LANGS else DEFAULT_LANG


async def translate(lang: str | None, text_ids: list[dict[str, str]]) -> list[str]:
    lang = checked_lang(lang)
    return [t(text_id["key"].partition(SLOT)[0], lang) for text_id in text_ids]


async def translate_placeholder(lang: str | None) -> str:
    return t("query.placeholder", checked_lang(lang))


DROPDOWN_LABELS = ("selected_count", "clear_selection", "search", "clear_search", "no_options_found",
                   "select_all", "deselect_all")  # fmt: skip
DROPDOWNS = (ids.LIVE_STATIONS, ids.FLEET_SOURCE, ids.SOURCES_KIND, ids.SOURCES_PICK, ids.TRACE_REPLAY_FILE,
             ids.TRACE_REPLAY_OTHER)  # fmt: skip
GRAPHS = (ids.LIVE_GRAPH, ids.FLEET_HEAT, ids.TRACE_GRAPH, ids.TRACE_REPLAY_GRAPH, ids.LAB_LANES, ids.LAB_BARS,
          ids.DEMO_GRAPH)  # fmt: skip


# A chart's own words (toolbar, month names) in the language: Plotly's locale, in its config
# (assets/plotly-locale-zh-cn.js registers zh-CN). dcc.Graph redraws for a new figure only, so
# a chart the switch leaves alone (no result yet) is redrawn here, as it is, with the locale.
def graph_locale(graph: str) -> str:
    """The clientside callback that sets ``graph``'s locale (views.controls.graph_config's)."""
    return f"""(lang, config) => {{
    const next = Object.assign({{}}, config, {{locale: {json.dumps(LOCALES)}[lang] || 'en'}});
    const gd = document.querySelector('#{graph} .js-plotly-plot');
    if (gd && gd.data && window.Plotly) setTimeout(() => window.Plotly.react(gd, gd.data, gd.layout, next), 0);
    return next;
}}"""


async def dropdown_labels(lang: str | None) -> dict[str, str]:
    """A dropdown's own words ("5 selected", "Clear selection"…) in ``lang``."""
    lang = checked_lang(lang)
    return {key: t(f"dropdown.{key}", lang) for key in DROPDOWN_LABELS}


def follow_language(app: Dash, view: str) -> None:
    """Copy the shell's language into a streaming page's view store, where its stream reads it."""
    app.clientside_callback(
        "(lang, view) => view ? Object.assign({}, view, {lang: lang}) : window.dash_clientside.no_update",
        Output(view, "data", allow_duplicate=True),
        Input(ids.LANG, "value"),
        State(view, "data"),
        prevent_initial_call=True,
    )


def register(app: Dash, _settings: Settings) -> None:
    app.callback(
        Output({"type": ids.I18N, "key": ALL}, "children"),
        Input(ids.LANG, "value"),
        State({"type": ids.I18N, "key": ALL}, "id"),
    )(translate)
    app.callback(Output(ids.QUERY_INPUT, "placeholder"), Input(ids.LANG, "value"))(translate_placeholder)
    for dropdown in DROPDOWNS:
        app.callback(Output(dropdown, "labels"), Input(ids.LANG, "value"))(dropdown_labels)
    for graph in GRAPHS:
        app.clientside_callback(
            graph_locale(graph), Output(graph, "config"), Input(ids.LANG, "value"), State(graph, "config")
        )
    app.clientside_callback(FOLLOW_LANG, Output(ids.HTML_LANG, "data"), Input(ids.LANG, "value"),
                            Input(ids.PAGES_STORE, "data"), State(ids.PAGE_TITLES, "data"))  # fmt: skip


# <html lang> and the tab's title follow the switch (the title is set after Dash's own, English).
FOLLOW_LANG = """(lang, page, titles) => {
    const zh = lang === 'zh';
    document.documentElement.lang = zh ? 'zh-CN' : 'en';
    setTimeout(() => {
        const english = (page && page.title) || document.title;
        document.title = (zh && titles[english]) ? titles[english].zh : english;
    }, 0);
    return lang;
}"""
