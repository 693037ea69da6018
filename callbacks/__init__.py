"""Callbacks, registered on one app by ``register_all`` (called by the app factory).

Each module exposes ``register(app, settings)`` instead of module-level
``@dash.callback``: Dash hands global callbacks to whichever app serves first,
and tests build a fresh app each, so registration must be per app.
"""

from __future__ import annotations

from dash import Dash

from callbacks import demos, fleet, i18n, lab, live, query, sources, trace_actions, tracing
from services.core.settings import Settings


def register_all(app: Dash, settings: Settings) -> None:
    i18n.register(app, settings)
    query.register(app, settings)
    live.register(app, settings)
    fleet.register(app, settings)
    tracing.register(app, settings)
    trace_actions.register(app, settings)
    lab.register(app, settings)
    demos.register(app, settings)
    sources.register(app, settings)
