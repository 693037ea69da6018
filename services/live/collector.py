"""The collector: one asyncio process that polls every station into the reading store.

Each station has its own long-lived task on one loop. Polls are staggered over the
period (station i starts at i/n of it), so requests and store writes spread out
instead of arriving in one burst. A semaphore bounds the requests in flight, every
request has a timeout, and a failing station backs off exponentially (capped) while
the others keep their period: a hanging station only ever holds its own task.

Readings stored within one loop iteration are written in one transaction: the first
reading schedules a flush with ``loop.call_soon``, the rest join it.

Exactly one collector runs per deployment: the gunicorn master starts it as a child
process (see ``gunicorn.conf.py``), whatever the number of web workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from services.core.children import exit_when_orphaned
from services.core.errors import SensorError
from services.core.metrics import (
    COLLECTOR_LAG,
    POLL_ERRORS,
    READINGS_REJECTED,
    READINGS_STORED,
    cancelled,
    probe_loop_lag,
)
from services.core.settings import Settings
from services.live.meta import write_heartbeat, write_polled_stations
from services.live.store import ReadingStore
from services.sensors.client import parse_reading
from services.sensors.model import Reading
from services.tracing.hub import TraceHub
from services.tracing.routes import serve_trace

logger = logging.getLogger(__name__)

PURGE_EVERY_S = 60.0
SOURCE = "simulator"  # where readings come from (the metrics' source label)


@dataclass
class StationState:
    ok: int = 0
    failed: int = 0
    consecutive_failures: int = 0
    last_error: str = ""


@dataclass
class CollectorStats:
    polls: int = 0
    stored: int = 0
    failed: int = 0
    in_flight: int = 0
    purged: int = 0
    stations: dict[str, StationState] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        failing = sorted(s for s, st in self.stations.items() if st.consecutive_failures)
        return {
            "polls": self.polls,
            "stored": self.stored,
            "failed": self.failed,
            "in_flight": self.in_flight,
            "purged": self.purged,
            "stations": len(self.stations),
            "failing": failing,
        }


class Collector:
    """``async with Collector(store, url, period_s=1.0): ...`` polls until closed."""

    def __init__(
        self,
        store: ReadingStore,
        sensor_url: str,
        *,
        period_s: float = 1.0,
        concurrency: int = 64,
        timeout_s: float = 2.0,
        max_backoff_s: float = 30.0,
        retention_s: float = 48 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.sensor_url = sensor_url.rstrip("/")
        self.period_s = period_s
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.max_backoff_s = max(max_backoff_s, period_s)
        self.retention_s = retention_s
        self.stats = CollectorStats()
        self._clock = clock
        self._sem = asyncio.Semaphore(concurrency)
        self._session: aiohttp.ClientSession | None = None
        self._main: asyncio.Task[None] | None = None
        self._pending: list[tuple[Reading, int]] = []
        self._flush_handle: asyncio.Handle | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self.timeout, connector=aiohttp.TCPConnector(limit=0))
        self._main = asyncio.create_task(self._run(), name="collector")

    async def close(self) -> None:
        if self._main is not None:
            self._main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._main
            self._main = None
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Collector:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def wait(self) -> None:
        """Until the collector stops (it only stops when closed or on a bug)."""
        assert self._main is not None
        await self._main

    # -- the schedule -----------------------------------------------------------

    async def _run(self) -> None:
        stations = await self._discover()
        write_polled_stations(self.store, stations)
        logger.info("collecting %d stations every %.3g s", len(stations), self.period_s)
        async with asyncio.TaskGroup() as group:
            group.create_task(self._housekeeping(), name="collector-housekeeping")
            for i, station_id in enumerate(stations):
                phase = self.period_s * i / len(stations)
                group.create_task(self._keep_polling(station_id, phase), name=f"keep-{station_id}")

    async def _keep_polling(self, station_id: str, phase: float) -> None:
        """Runs the station's poll task, and starts a new one a period after somebody
        cancels it (the Trace page may: see ``cancellable``)."""
        while True:
            task = asyncio.create_task(self._poll_forever(station_id, phase), name=f"poll-{station_id}")
            try:
                await asyncio.wait([task])
            except asyncio.CancelledError:
                task.cancel()
                raise
            if not task.cancelled():
                task.result()  # a bug: the group sees it
                return
            logger.info("poll task for %s was cancelled; a new one starts in %.3g s", station_id, self.period_s)
            phase = self.period_s

    @staticmethod
    def cancellable(task: asyncio.Task[object]) -> bool:
        """A station's poll task may be cancelled from outside: ``_keep_polling`` restarts it."""
        return task.get_name().startswith("poll-")

    async def _discover(self) -> list[str]:
        """The station list from the sensor service, waiting for it if it is not up yet."""
        assert self._session is not None
        delay = 0.1
        while True:
            try:
                async with self._session.get(f"{self.sensor_url}/stations") as resp:
                    resp.raise_for_status()
                    return [s["id"] for s in (await resp.json())["stations"]]
            except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as err:
                logger.warning("sensor service not ready (%s); retrying in %.1f s", err, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _poll_forever(self, station_id: str, phase: float) -> None:
        loop = asyncio.get_running_loop()
        state = self.stats.stations.setdefault(station_id, StationState())
        await asyncio.sleep(phase)
        due = loop.time()
        lag = COLLECTOR_LAG
        while True:
            lag.set(max(0.0, loop.time() - due))
            ok = await self._poll_once(station_id, state)
            now = loop.time()
            if ok:
                # Keep the phase; skip the ticks a slow answer made us miss.
                due += self.period_s * max(1, math.ceil((now - due) / self.period_s))
            else:
                backoff = self.period_s * 2 ** (state.consecutive_failures - 1)
                due = now + min(backoff, self.max_backoff_s)
            await asyncio.sleep(max(0.0, due - now))

    async def _poll_once(self, station_id: str, state: StationState) -> bool:
        assert self._session is not None
        self.stats.polls += 1
        try:
            async with self._sem:
                self.stats.in_flight += 1
                try:
                    async with self._session.get(f"{self.sensor_url}/stations/{station_id}") as resp:
                        body = await resp.text()
                finally:
                    self.stats.in_flight -= 1
            if resp.status != 200:
                raise SensorError(f"HTTP {resp.status}")
            reading = parse_reading(body, station_id)
        except (TimeoutError, aiohttp.ClientError, SensorError) as err:
            state.failed += 1
            state.consecutive_failures += 1
            state.last_error = str(err) or type(err).__name__
            self.stats.failed += 1
            POLL_ERRORS.labels(station_id).inc()
            if state.consecutive_failures in (1, 5) or state.consecutive_failures % 50 == 0:
                logger.info(
                    "station %s failed %d× in a row: %s", station_id, state.consecutive_failures, state.last_error
                )
            return False
        if state.consecutive_failures:
            logger.info("station %s answers again after %d failures", station_id, state.consecutive_failures)
        state.ok += 1
        state.consecutive_failures = 0
        self._store(reading)
        return True

    # -- writing ------------------------------------------------------------------

    def _store(self, reading: Reading) -> None:
        self._pending.append((reading, int(self._clock() * 1000)))
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        batch, self._pending = self._pending, []
        if batch:
            stored = self.store.add(batch)
            self.stats.stored += stored
            READINGS_STORED.labels(SOURCE).inc(stored)
            if stored < len(batch):
                READINGS_REJECTED.labels(SOURCE).inc(len(batch) - stored)

    async def _housekeeping(self) -> None:
        """Heartbeat every period (health checks and the Live page read it); purge each minute."""
        last_purge = 0.0
        while True:
            now = self._clock()
            if now - last_purge >= PURGE_EVERY_S:
                self.stats.purged += self.store.purge(int((now - self.retention_s) * 1000))
                last_purge = now
            write_heartbeat(self.store, os.getpid(), now, self.period_s, **self.stats.summary())
            await asyncio.sleep(self.period_s)


async def run(settings: Settings, parent_pid: int = 0) -> None:
    """Collect until SIGTERM/SIGINT (or the parent process dies), then flush and exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with ReadingStore(settings.store_path) as store:
        async with contextlib.AsyncExitStack() as stack:
            if settings.trace_port:
                hub = await stack.enter_async_context(
                    TraceHub(loop, idle_s=settings.trace_idle_s, cancellable=Collector.cancellable)
                )
                await stack.enter_async_context(
                    serve_trace(
                        hub, settings.trace_host, settings.trace_port, settings.operator_token.get_secret_value()
                    )
                )
            collector = await stack.enter_async_context(
                Collector(
                    store,
                    settings.effective_sensor_url,
                    period_s=settings.collector_period_s,
                    concurrency=settings.collector_concurrency,
                    timeout_s=settings.collector_timeout_s,
                    max_backoff_s=settings.collector_max_backoff_s,
                    retention_s=settings.retention_hours * 3600,
                )
            )
            lag_probe = asyncio.create_task(probe_loop_lag("collector"), name="looplens: loop-lag metric")
            stack.push_async_callback(cancelled, lag_probe)
            waits = [
                asyncio.create_task(stop.wait(), name="wait-for-signal"),
                asyncio.create_task(collector.wait(), name="wait-for-collector"),
            ]
            if parent_pid:
                waits.append(asyncio.create_task(exit_when_orphaned(parent_pid), name="watch-parent"))
            done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            for task in done:
                task.result()  # a collector bug surfaces here, not silently
    logger.info("collector stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="looplens collector: stations → reading store")
    parser.add_argument(
        "--parent-pid", type=int, default=0, help="exit when this process is gone (set by the embedded launcher)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
    settings = Settings()
    logger.info("collector pid %d: %s → %s", os.getpid(), settings.effective_sensor_url, settings.store_path)
    asyncio.run(run(settings, args.parent_pid))


if __name__ == "__main__":
    main()
