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


def refused(guard: Guard, action: str, token: str | None) -> ActionRefused | None:
    """None when the action may go ahead (and is counted), else why not."""
    try:
        guard.check(action, Client.of(ctx.remote, ctx.headers or {}), token)
    except ActionRefused as err:
        return err
    return None


def refusal(guard: Guard, action: str, token: str | None, lang: str) -> str | None:
    """None when the action may go ahead (and is counted), else why not, in ``lang``."""
    err = refused(guard, action, token)
    return None if err is None else t(err.code, lang, **err.params)


def say_refusal(err: ActionRefused, lang: str) -> Any:
    """A refusal as a page's message, in ``lang``."""
    return message(t(err.code, lang, **err.params), ok=False)


def guarded(
    guard: Guard,
    action: str,
    act: Callable[..., Awaitable[Any]],
    say: Callable[[ActionRefused, str], Any] = say_refusal,
) -> Callable[..., Awaitable[Any]]:
    """``act(n_clicks, *states, lang)`` as a callback that takes the operator token last
    and asks the guard first: a refusal is the page's message (its one output), as ``say``
    makes it (a page that keeps its message as data to show in any language says so)."""

    async def through_guard(n_clicks: int | None, *states: Any) -> Any:
        *rest, lang, token = states
        if n_clicks and (err := refused(guard, action, token)):
            return say(err, checked_lang(lang))
        return await act(n_clicks, *rest, lang)

    return through_guard
