"""Letting a page's action through the guard (``services.ops.guard``): who asks, with
which token, and the refusal as a message in the page's language."""

from __future__ import annotations

from dash import ctx

from services.core.errors import ActionRefused
from services.core.i18n import t
from services.ops.guard import Client, Guard


def refusal(guard: Guard, action: str, token: str | None, lang: str) -> str | None:
    """None when the action may go ahead (and is counted), else why not, in ``lang``."""
    try:
        guard.check(action, Client.of(ctx.remote, ctx.headers or {}), token)
    except ActionRefused as err:
        return t(err.code, lang, **err.params)
    return None
