"""Translatable text: a span the language callback rewrites when the language changes."""

from __future__ import annotations

from typing import Any

from dash import html

import ids
from services.core.i18n import DEFAULT_LANG, t

SLOT = "#"  # a text id is its message key, or key#slot


def T(key: str, tag: Any = html.Span, *, slot: str = "", **props: Any) -> Any:  # noqa: N802 - reads like a tag
    """``tag`` holding message ``key`` in the default language, rewritten on switch.
    ``slot`` tells apart several texts of one key on a page (their ids must differ)."""
    text_id = f"{key}{SLOT}{slot}" if slot else key
    return tag(t(key, DEFAULT_LANG), id={"type": ids.I18N, "key": text_id}, **props)
