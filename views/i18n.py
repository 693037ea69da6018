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


# A date axis in Chinese reads 时:分 and 月/日, not Plotly's "Nov 27, 2026" with Chinese month
# words squeezed in; English keeps Plotly's own labels.
ZH_DATE_TICKS = {
    "tickformatstops": [
        {"dtickrange": [None, 1000], "value": "%H:%M:%S.%L"},
        {"dtickrange": [1000, 60_000], "value": "%H:%M:%S"},
        {"dtickrange": [60_000, 43_200_000], "value": "%H:%M"},  # a stop takes both its ends: a 1-day tick is a date
        {"dtickrange": [86_400_000, None], "value": "%-m月%-d日"},
    ],
    "hoverformat": "%-m月%-d日 %H:%M:%S",
}


def date_axis(lang: str) -> dict[str, Any]:
    """Layout settings for a date axis in ``lang``."""
    return ZH_DATE_TICKS if lang == "zh" else {}
