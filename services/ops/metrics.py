"""/metrics: every process's numbers (``services.core.metrics``) in Prometheus text format,
plus what is read at scrape time: restarts per component (the supervisor's status) and
background jobs running per kind (which job slots are held).

``CallbackRequests`` is the ASGI middleware that answers a malformed Dash callback
request with 400 (logged) and times the others, labelled by their callback.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from services.core.inputs import json_body
from services.core.metrics import CALLBACK_SECONDS, MULTIPROC_ENV, cancelled, multiprocess, probe_loop_lag
from services.core.settings import Settings
from services.ops.guard import JOB_SLOTS
from services.ops.headers import ASGIApp, Message, Receive, Scope, Send
from services.ops.supervisor import read_status

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CALLBACK_PATH = "/_dash-update-component"
MAX_CALLBACK_BYTES = 2 * 2**20  # a callback request's body (a page's inputs and state)

logger = logging.getLogger(__name__)


def _held(lock: Path) -> bool:
    try:
        with open(lock, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
    except BlockingIOError:
        return True
    except OSError:
        return False


class _ScrapeTime(Collector):
    """Numbers read when /metrics is asked for."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        restarts = GaugeMetricFamily("looplens_restarts", "Restarts per supervised component", labels=["component"])
        for name, entry in (
            (read_status(self.settings.data_dir / "supervisor.json") or {}).get("components") or {}
        ).items():  # noqa: E501
            restarts.add_metric([name], entry.get("restarts", 0))
        yield restarts
        jobs = GaugeMetricFamily("looplens_jobs_running", "Background jobs running per kind", labels=["kind"])
        slots = self.settings.jobs_dir / "slots"
        for kind, count in JOB_SLOTS.items():
            jobs.add_metric([kind], sum(_held(slots / f"{kind}-{i}.lock") for i in range(count)))
        jobs.add_metric(["lab"], int(self.settings.lab_lock_path.exists() and _held(self.settings.lab_lock_path)))
        yield jobs


def render(settings: Settings) -> bytes:
    """The metrics page: every process's numbers in multiprocess mode, else this one's."""
    registry = CollectorRegistry()
    if multiprocess():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # the library gives it no hints
    else:
        for collector in list(REGISTRY._collector_to_names):  # this process's own metrics
            registry.register(collector)
    registry.register(_ScrapeTime(settings))
    return generate_latest(registry)


class CallbackRequests:
    """ASGI middleware for Dash's callback requests: one that is not the shape Dash sends
    (JSON object, a known callback's ``output``, lists of inputs and state) is answered
    400 with a message and logged, where Dash would answer 500; the others are timed,
    labelled by their callback.
    ``server.add_middleware(CallbackRequests, known=lambda: set(dash_app.callback_map))``."""

    def __init__(self, app: ASGIApp, known: Callable[[], set[str]]) -> None:
        self.app, self.known = app, known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != CALLBACK_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:  # a callback request is small: read it whole, then hand it on as it came
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_CALLBACK_BYTES:
                await _refuse(send, 413, "the callback request is too large")
                return
        output = self._output(body)
        if output is None:
            logger.warning("malformed callback request from %s: %r", (scope.get("client") or ("?",))[0], body[:200])
            await _refuse(send, 400, "malformed callback request")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        started = time.perf_counter()
        try:
            await self.app(scope, replay, send)
        finally:
            CALLBACK_SECONDS.labels(output).observe(time.perf_counter() - started)

    def _output(self, body: bytes) -> str | None:
        """The request's callback (its output key), or None when it is not a Dash request."""
        try:
            request: Any = json_body(body, MAX_CALLBACK_BYTES, max_depth=None)
        except ValueError:
            return None
        if not isinstance(request, dict):
            return None
        output = request.get("output")
        shaped = all(isinstance(request.get(key, []), list) for key in ("inputs", "state", "changedPropIds"))
        return output if isinstance(output, str) and shaped and output in self.known() else None


async def _refuse(send: Send, status: int, text: str) -> None:
    body = json.dumps({"error": text}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class LoopLagProbe:
    """ASGI middleware: while the server runs (its lifespan), this process's loop lag is
    measured as ``looplens_event_loop_lag_seconds{process="web"}``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete" and self._task is None:
                self._task = asyncio.create_task(probe_loop_lag("web"), name="looplens: loop-lag metric")
            if message["type"] == "lifespan.shutdown.complete" and self._task is not None:
                await cancelled(self._task)
                self._task = None
            await send(message)

        await self.app(scope, receive, watch)


__all__ = ["CONTENT_TYPE", "CallbackRequests", "LoopLagProbe", "MULTIPROC_ENV", "render"]
