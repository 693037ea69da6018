"""Language switch: rewrite every translatable text when the language changes."""

from __future__ import annotations

from typing import Any

from dash import ALL, Dash, Input, Output, State

import ids
from services.core.i18n import DEFAULT_LANG, LANGS, t
from services.core.settings import Settings
from views.i18n import SLOT


def checked_lang(lang: Any) -> str:
    """A supported language; anything else (old storage, tampering) falls back."""
    return lang if lang in LANGS else DEFAULT_LANG


async def translate(lang: str | None, text_ids: list[dict[str, str]]) -> list[str]:
    lang = checked_lang(lang)
    return [t(text_id["key"].partition(SLOT)[0], lang) for text_id in text_ids]


async def translate_placeholder(lang: str | None) -> str:
    return t("query.placeholder", checked_lang(lang))


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
    app.clientside_callback(  # <html lang> follows the switch (the page is served with "en")
        "(lang) => { document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'; return lang; }",
        Output(ids.HTML_LANG, "data"),
        Input(ids.LANG, "value"),
    )
