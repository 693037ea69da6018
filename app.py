"""The looplens Dash app: ``create_app(settings)``, plus ``app`` and ``server`` for gunicorn."""

from __future__ import annotations

import asyncio
import logging

import dash
import diskcache
from dash import Dash, DiskcacheManager
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from callbacks import register_all
from services.core.settings import Settings
from services.ops.guard import mode_of
from services.ops.headers import NotFoundStatus, SecurityHeaders
from services.ops.health import HealthChecker
from services.ops.metrics import CONTENT_TYPE as METRICS_TYPE
from services.ops.metrics import CallbackRequests, LoopLagProbe
from services.ops.metrics import render as render_metrics
from shell import make_shell

logger = logging.getLogger(__name__)

# The job store's cap: results no page picked up (a closed tab) are evicted
# least-recently-stored first once the store passes this size.
JOB_STORE_BYTES = 256 * 2**20
# How long Dash's WebSocket sender waits after a message for the next one to frame with it.
# Dash's default, 5 ms, delayed every message by that much, the stream's acknowledgement
# request and its push alike (10 ms of Live's stored → drawn at 50 stations). A turn queues
# its pushes at once, so they still go out in one frame with a wait this short.
WS_BATCH_S = 0.0002


def add_ops_routes(server: FastAPI, settings: Settings) -> None:
    """/healthz, /readyz and /metrics."""
    checker = HealthChecker(settings)

    @server.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        status, body = await checker.report()
        return JSONResponse(body, status_code=status)

    @server.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(await asyncio.to_thread(render_metrics, settings), media_type=METRICS_TYPE)

    @server.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        status, body = await checker.ready()
        return JSONResponse(body, status_code=status)


def create_app(settings: Settings | None = None) -> Dash:
    settings = settings or Settings()
    settings.jobs_dir.mkdir(parents=True, exist_ok=True)
    # The job store is a directory every web worker shares: a job started by one
    # gunicorn worker can be polled or cancelled through another.
    jobs = diskcache.Cache(str(settings.jobs_dir), size_limit=JOB_STORE_BYTES)
    app = Dash(
        __name__,
        server=FastAPI(docs_url=None, redoc_url=None, openapi_url=None),  # type: ignore[arg-type]  # Dash 4's backend="fastapi" takes one; its hint predates that
        backend="fastapi",
        use_pages=True,
        pages_folder="pages",
        title="looplens",
        update_title=None,  # type: ignore[arg-type]  # None turns the "Updating…" title off (Dash's documented value)
        suppress_callback_exceptions=True,  # page components come and go
        background_callback_manager=DiskcacheManager(jobs),
        websocket_batch_delay=WS_BATCH_S,
    )
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)  # then the switch sets it
    app.layout = make_shell(mode_of(settings))
    app.server.state.settings = settings  # page layouts that read live state find it here
    register_all(app, settings)
    add_ops_routes(app.server, settings)
    # the CSP names each inline script the app writes by its hash
    app.server.add_middleware(SecurityHeaders, script_hashes=app.csp_hashes)
    app.server.add_middleware(NotFoundStatus, pages=lambda: {page["path"] for page in dash.page_registry.values()})
    app.server.add_middleware(CallbackRequests, known=lambda: set(app.callback_map))
    app.server.add_middleware(LoopLagProbe)
    return app


app = create_app()
server = app.server
