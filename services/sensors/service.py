"""The simulated sensor fleet as an asyncio HTTP service (aiohttp).

Routes:
    GET /health               {"status": "ok", ...}
    GET /stations             every station with its names
    GET /stations/{id}        the station's current reading; ``?at=<unix s>`` the reading
                              at that second instead (within a day of now), and
                              ``?latency_ms=<0..10000>`` that latency, without jitter
                              (the lab's workloads: same readings, chosen latency)
    GET /faults, PUT /faults  the fault settings (latency, jitter, error, hang and
                              malformed-JSON rates, per-station overrides)
    /trace...                 run as a process (``main``): a trace of this service's own
                              loop for the Trace page (``services.tracing.hub``)

Each request runs in a task of its own, named after it ("GET /stations/beijing"), so the
trace shows one lane per route and station.

Run alone with ``python -m services.sensors.service [--port 8051]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import random
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial
from typing import Any

from aiohttp import web

from services.core.children import exit_when_orphaned
from services.core.inputs import json_body, number
from services.core.metrics import cancelled, probe_loop_lag
from services.core.settings import Settings
from services.sensors.model import reading_at
from services.sensors.stations import BY_ID, STATIONS, Station, fleet
from services.tracing.hub import TraceHub
from services.tracing.routes import control_refusal, trace_routes

logger = logging.getLogger(__name__)

MAX_FAULT_MS = 60_000  # the longest latency or jitter a fault may add
MAX_LATENCY_MS = 10_000  # ?latency_ms: the lab's chosen latency
HANG_S = 300.0  # a hanging request answers after this long, far past any client timeout
SHUTDOWN_S = 0.5  # on close, in-flight (e.g. hanging) requests get this long, then are dropped


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 100.0
    jitter_ms: float = 30.0
    error_rate: float = 0.0
    hang_rate: float = 0.0
    malformed_rate: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f"{f.name} must be a number, got {value!r}")
            high = 1 if f.name.endswith("_rate") else MAX_FAULT_MS
            if not 0 <= value <= high:
                raise ValueError(f"{f.name} must be between 0 and {high}, got {value}")

    @classmethod
    def from_settings(cls, settings: Settings) -> Faults:
        return cls(
            latency_ms=settings.sensor_latency_ms,
            jitter_ms=settings.sensor_jitter_ms,
            error_rate=settings.sensor_error_rate,
            hang_rate=settings.sensor_hang_rate,
            malformed_rate=settings.sensor_malformed_rate,
        )


@dataclass(frozen=True)
class FaultConfig:
    default: Faults = field(default_factory=Faults)
    stations: dict[str, Faults] = field(default_factory=dict)

    def for_station(self, station_id: str) -> Faults:
        return self.stations.get(station_id, self.default)

    def as_dict(self) -> dict[str, Any]:
        return {"default": asdict(self.default), "stations": {k: asdict(v) for k, v in self.stations.items()}}

    @classmethod
    def from_dict(cls, data: Any, known: Collection[str] = BY_ID.keys()) -> FaultConfig:
        """Parse a PUT body; a station entry overrides only the keys it names."""
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(data) - {"default", "stations"}
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}")
        default = _faults_from(Faults(), data.get("default", {}))
        stations_in = data.get("stations", {})
        if not isinstance(stations_in, dict):
            raise ValueError("stations must be an object of station id → faults")
        stations = {}
        for station_id, overrides in stations_in.items():
            if station_id not in known:
                raise ValueError(f"unknown station {station_id!r}")
            stations[station_id] = _faults_from(default, overrides)
        return cls(default=default, stations=stations)


def _faults_from(base: Faults, overrides: Any) -> Faults:
    if not isinstance(overrides, dict):
        raise ValueError("faults must be a JSON object")
    allowed = {f.name for f in fields(Faults)}
    unknown = set(overrides) - allowed
    if unknown:
        raise ValueError(f"unknown fault keys: {sorted(unknown)}")
    return replace(base, **overrides)


class SensorService:
    """Owns the aiohttp server: ``async with SensorService(...) as svc: svc.url``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 7,
        faults: FaultConfig | None = None,
        clock: Callable[[], float] = time.time,
        stations: int = len(STATIONS),
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.stations: dict[str, Station] = {s.id: s for s in fleet(stations)}
        self.faults = faults or FaultConfig()
        self._clock = clock
        self._rng = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self.token = ""
        self.read_only = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def make_app(self, trace: TraceHub | None = None, token: str = "", read_only: bool = False) -> web.Application:
        """The service's routes; with ``trace``, also that hub's trace of this loop. PUT
        /faults and the trace's actions are control routes (``token``: see
        ``services.tracing.routes.control_refusal``; none in ``read_only`` mode)."""
        self.token, self.read_only = token, read_only
        app = web.Application(middlewares=[_name_request_task])
        app.add_routes(
            [
                web.get("/health", self._health),
                web.get("/stations", self._stations),
                web.get("/stations/{station_id}", self._reading),
                web.get("/faults", self._get_faults),
                web.put("/faults", self._put_faults),
            ]
        )
        if trace is not None:
            app.add_routes(trace_routes(trace, token, read_only))
            app.cleanup_ctx.append(partial(_tracing, trace))
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=SHUTDOWN_S)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=BACKLOG)
        await site.start()
        if self.port == 0:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp keeps the bound socket private
        logger.info("sensor service listening on %s", self.url)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SensorService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "stations": len(self.stations), "seed": self.seed, "pid": os.getpid()}
        )

    async def _stations(self, _request: web.Request) -> web.Response:
        return web.json_response({"stations": [s.as_dict() for s in self.stations.values()]})

    async def _get_faults(self, _request: web.Request) -> web.Response:
        return web.json_response(self.faults.as_dict())

    async def _put_faults(self, request: web.Request) -> web.Response:
        if (no := control_refusal(request, self.token, self.read_only)) is not None:
            return no
        try:
            self.faults = FaultConfig.from_dict(json_body(await request.read()), self.stations.keys())
        except (ValueError, TypeError) as err:  # JSONDecodeError is a ValueError
            return web.json_response({"error": str(err)}, status=400)
        logger.info("sensor faults now %s", self.faults.as_dict())
        return web.json_response(self.faults.as_dict())

    async def _reading(self, request: web.Request) -> web.Response:
        station = self.stations.get(request.match_info["station_id"])
        if station is None:
            return web.json_response({"error": "unknown station"}, status=404)
        now = self._clock()
        try:
            at = number(request.query.get("at"), "at", 0, 1e11)  # unix seconds
            latency = number(request.query.get("latency_ms"), "latency_ms", 0, MAX_LATENCY_MS)
        except ValueError as err:
            return web.json_response({"error": str(err)}, status=400)
        if at is not None and abs(at - now) > 86400:
            return web.json_response({"error": "at must be within a day of now"}, status=400)
        faults = self.faults.for_station(station.id)
        rng = self._rng
        if rng.random() < faults.hang_rate:
            await asyncio.sleep(HANG_S)
        delay_ms = (
            latency if latency is not None else max(0.0, faults.latency_ms + rng.uniform(-1, 1) * faults.jitter_ms)
        )
        await asyncio.sleep(delay_ms / 1000)
        if rng.random() < faults.error_rate:
            return web.json_response({"error": "sensor fault (injected)"}, status=503)
        body = json.dumps(reading_at(station, now if at is None else at, self.seed).as_dict())
        if rng.random() < faults.malformed_rate:
            body = body[: len(body) // 2]  # cut mid-object: not valid JSON
        return web.Response(text=body, content_type="application/json")


def main(argv: list[str] | None = None) -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(description="looplens simulated sensor service")
    parser.add_argument("--host", default=settings.sensor_host)
    parser.add_argument("--port", type=int, default=settings.sensor_port)
    parser.add_argument("--seed", type=int, default=settings.sensor_seed)
    parser.add_argument(
        "--stations",
        type=int,
        default=settings.sensor_stations,
        help="fleet size: the named stations, then synthetic sim-NNNN ones",
    )
    parser.add_argument(
        "--parent-pid", type=int, default=0, help="exit when this process is gone (set by the embedded launcher)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    service = SensorService(
        args.host, args.port, args.seed, FaultConfig(default=Faults.from_settings(settings)), stations=args.stations
    )
    loop = asyncio.new_event_loop()
    hub = TraceHub(loop, idle_s=settings.trace_idle_s, app_coroutines=REQUEST_TASKS)
    app = service.make_app(hub, settings.operator_token.get_secret_value(), settings.read_only)
    if args.parent_pid:
        app.cleanup_ctx.append(partial(_exit_with_parent, args.parent_pid))
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        print=None,
        access_log=None,
        shutdown_timeout=SHUTDOWN_S,
        loop=loop,
        backlog=BACKLOG,
    )


# Connections waiting to be accepted: aiohttp's default (128) overflows when the lab opens
# hundreds at once, and each dropped handshake waits a second for TCP to retry (measured:
# ListenOverflows and TCPSynRetrans rise together), which is not the engine's doing.
BACKLOG = 2048

# aiohttp runs each request in a task of this coroutine: the service's own work, in a trace
REQUEST_TASKS = frozenset({"RequestHandler._handle_request"})
TASK_NAME_CHARS = 80  # a path is the client's text: a lane name gets this much of it


@web.middleware
async def _name_request_task(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    task = asyncio.current_task()
    if task is not None:  # the trace's own routes are looplens machinery, hidden with the loop's
        own = "looplens: " if request.path.startswith("/trace") else ""
        path = request.path if request.match_info.http_exception is None else "(no such route)"
        task.set_name(f"{own}{request.method} {path}"[:TASK_NAME_CHARS])
    return await handler(request)


async def _tracing(hub: TraceHub, _app: web.Application) -> AsyncIterator[None]:
    lag_probe = asyncio.create_task(probe_loop_lag("sensor"), name="looplens: loop-lag metric")
    async with hub:
        yield
    await cancelled(lag_probe)


async def _exit_with_parent(parent_pid: int, _app: web.Application) -> AsyncIterator[None]:
    """Stop the service if the process that started it dies without stopping it."""

    async def watch() -> None:
        await exit_when_orphaned(parent_pid)
        os.kill(os.getpid(), signal.SIGTERM)  # run_app turns this into a clean shutdown

    task = asyncio.create_task(watch(), name="watch-parent")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":
    main()
