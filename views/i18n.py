"""Translatable text: a span the language callback rewrites when the language changes."""

from __future__ import annotations

from typing import Any

from dash import html

import ids
from services.i18n import DEFAULT_LANG, t


def T(key: str, tag: Any = html.Span, **props: Any) -> Any:  # noqa: N802 - reads like a tag
    """``tag`` holding message ``key`` in the default language, rewritten on switch."""
    return tag(t(key, DEFAULT_LANG), id={"type": ids.I18N, "key": key}, **props)
