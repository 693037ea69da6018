"""The trace hub's HTTP routes (aiohttp), served by the process that owns the loop: the
collector on its own port (``serve_trace``), the sensor service beside its own routes."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from services.core.errors import TraceRefused
from services.core.inputs import number, whole
from services.tracing.hub import TraceHub

logger = logging.getLogger(__name__)


TOKEN_HEADER = "X-Looplens-Token"
SEQ_MAX = 2**62  # a row's seq never reaches this
BIG = 10**9  # a query number beyond this is no number any route takes
SERIAL = "{serial:\\d{1,18}}"  # a task serial; a longer number is no task (404)


def _number(request: web.Request, name: str, default: float) -> float:
    """A finite query number (400 with the reason otherwise); the hub checks its range."""
    try:
        value = number(request.query.get(name), name, -BIG, BIG, default)
    except ValueError as err:
        raise web.HTTPBadRequest(text=str(err)) from None
    assert value is not None
    return value


def _whole(request: web.Request, name: str, default: int, low: int = -BIG, high: int = BIG) -> int:
    try:
        return whole(request.query.get(name), name, low, high, default)
    except ValueError as err:
        raise web.HTTPBadRequest(text=str(err)) from None


def control_refusal(request: web.Request, token: str, read_only: bool = False) -> web.Response | None:
    """A control route (one that changes the running system) answers nobody in read-only
    mode, else only this machine, and, when a token is set, only a request that carries it."""
    if read_only:
        return web.json_response({"error": "read-only: control routes are off"}, status=403)
    try:
        local = ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        local = False
    if not local:
        return web.json_response({"error": "control routes answer this machine only"}, status=403)
    if token and not hmac.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), token.encode()):
        return web.json_response({"error": f"this route needs the operator token in {TOKEN_HEADER}"}, status=403)
    return None


def trace_routes(hub: TraceHub, token: str = "", read_only: bool = False) -> web.RouteTableDef:
    """The hub's routes; the ones that act (block, jobs, cancel) are control routes."""
    routes = web.RouteTableDef()

    def refused(err: TraceRefused) -> web.Response:
        return web.json_response({"error": err.code}, status=409)

    @routes.get("/trace")
    async def poll(request: web.Request) -> web.Response:
        body = hub.poll_body(_whole(request, "after", -1, -1, SEQ_MAX), _number(request, "window_s", 10))
        return web.Response(body=body, content_type="application/json", charset="utf-8")  # as json_response

    @routes.get("/trace/health")
    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "pid": os.getpid(), "attached": hub.tracer.attached})

    @routes.post("/trace/watch")
    async def watch(request: web.Request) -> web.Response:
        hub.watched()  # a paused page: keep tracing, send nothing
        return web.json_response({"attached": hub.tracer.attached})

    @routes.get(f"/trace/tasks/{SERIAL}")
    async def task(request: web.Request) -> web.Response:
        info = hub.task(int(request.match_info["serial"]))
        return web.json_response(info) if info else refused(TraceRefused("trace.err.task_gone"))

    def control(request: web.Request, act: Callable[[], dict[str, Any]]) -> web.Response:
        """A control route: refused unless this machine asks (with the token, when set);
        the hub's own "no" is a 409 with its reason."""
        if (no := control_refusal(request, token, read_only)) is not None:
            return no
        try:
            return web.json_response(act())
        except TraceRefused as err:
            return refused(err)

    @routes.post(f"/trace/tasks/{SERIAL}/cancel")
    async def cancel(request: web.Request) -> web.Response:
        return control(request, lambda: {"cancelled": hub.cancel(int(request.match_info["serial"]))})

    @routes.post("/trace/block")
    async def block(request: web.Request) -> web.Response:
        return control(request, lambda: {"task": hub.block(_number(request, "ms", 200))})

    @routes.post("/trace/jobs")
    async def jobs(request: web.Request) -> web.Response:
        return control(request, lambda: {"jobs": hub.jobs(_whole(request, "n", 8), _number(request, "ms", 50))})

    @routes.get("/trace/export")
    async def export(request: web.Request) -> web.Response:
        return web.json_response(hub.export(_number(request, "window_s", 30)))

    return routes


@contextlib.asynccontextmanager
async def serve_trace(
    hub: TraceHub, host: str, port: int, token: str = "", read_only: bool = False
) -> AsyncIterator[TraceHub]:
    """Serve ``trace_routes(hub)`` on host:port while the block runs. A port in use is logged
    and the collector runs on without a trace (it must not stop collecting for this)."""
    app = web.Application()
    app.add_routes(trace_routes(hub, token, read_only))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
            logger.info("trace served on http://%s:%d/trace", host, port)
        except OSError as err:
            logger.error("cannot serve the trace on %s:%d (%s); running without it", host, port, err)
        yield hub
    finally:
        await runner.cleanup()
