"""Letting a page's action through the guard (``services.ops.guard``): who asks, with
which token, and the refusal as a message in the page's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from dash import ctx

from callbacks.i18n import checked_lang
from services.core.errors import ActionRefused
from services.core.i18n import t
from services.ops.guard import Client, Guard
from views.tracing import message


def refusal(guard: Guard, action: str, token: str | None, lang: str) -> str | None:
    """None when the action may go ahead (and is counted), else why not, in ``lang``."""
    try:
        guard.check(action, Client.of(ctx.remote, ctx.headers or {}), token)
    except ActionRefused as err:
        return t(err.code, lang, **err.params)
    return None


def guarded(guard: Guard, action: str, act: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``act(n_clicks, *states, lang)`` as a callback that takes the operator token last
    and asks the guard first: a refusal is the page's message (its one output)."""

    async def through_guard(n_clicks: int | None, *states: Any) -> Any:
        *rest, lang, token = states
        if n_clicks and (why := refusal(guard, action, token, checked_lang(lang))):
            return message(why, ok=False)
        return await act(n_clicks, *rest, lang)

    return through_guard
