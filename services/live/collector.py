"""The collector: one asyncio process that runs every source into the reading store.

Which sources run is the sources file's business (``services.sources``: the simulator
by default, MQTT brokers, Open-Meteo, Home Assistant); the collector gives each
reading a place in the store and beats a heartbeat with what every source is doing.

Readings are written in batches, one transaction each: the first reading schedules a
flush with ``loop.call_later`` (at once when the last flush is ``FLUSH_EVERY_S`` old,
else at that mark; ``BUSY_FLUSH_S`` after a flush of ``BUSY_ROWS`` or more), the rest
join it, so a busy broker costs five transactions a second, not one per message, and a
quiet source's readings wait at most 50 ms.

Exactly one collector runs per deployment: ``looplens run`` supervises it as its own
process, whatever the number of web workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.core.children import exit_when_orphaned
from services.core.metrics import (
    READINGS_REJECTED,
    READINGS_STORED,
    SOURCE_CONNECTED,
    SOURCE_MESSAGE_AGE,
    SOURCE_SENSORS,
    cancelled,
    probe_loop_lag,
)
from services.core.settings import Settings
from services.live.meta import write_heartbeat, write_sources
from services.live.store import ReadingStore
from services.sources.base import BaseSource
from services.sources.config import DEFAULT, SourceConfig
from services.sources.manager import SourceManager
from services.sources.model import SourceReading
from services.sources.simulator import SimulatorSource
from services.tracing.hub import TraceHub
from services.tracing.routes import serve_trace

logger = logging.getLogger(__name__)

PURGE_EVERY_S = 60.0
FLUSH_EVERY_S = 0.05
BUSY_FLUSH_S, BUSY_ROWS = 0.2, 50  # a flush that held this many rows: the next one waits longer
SOURCES_EVERY_S = 2.0  # how often the sources' state (sensors, rejects) is written for the pages


@dataclass
class CollectorStats:
    stored: int = 0
    repeats: int = 0  # readings already stored (same sensor, same second)
    failed: int = 0  # readings the store refused (logged)
    purged: int = 0


class Collector:
    """``async with Collector(store, url, period_s=1.0): ...`` runs the sources until closed:
    the simulator at ``sensor_url``, or what ``sources_path`` says."""

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
        sources_path: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.sensor_url = sensor_url
        self.period_s = period_s
        self.retention_s = retention_s
        self.stats = CollectorStats()
        self._poll = (concurrency, timeout_s, max_backoff_s)
        self.simulator: SimulatorSource | None = None  # the last one started
        self._clock = clock
        self.sources = SourceManager(sources_path, self._store, simulator=self._simulator)
        self._main: asyncio.Task[None] | None = None
        self._pending: list[SourceReading] = []
        self._flush_handle: asyncio.Handle | None = None
        self._last_flush = 0.0
        self._flush_gap = FLUSH_EVERY_S
        self._rejected_seen: dict[str, int] = {}  # per source: its rejects already counted in metrics

    def _simulator(self, config: SourceConfig) -> BaseSource:
        concurrency, timeout_s, max_backoff_s = self._poll
        self.simulator = SimulatorSource(
            config.name,
            self.sensor_url,
            period_s=self.period_s,
            concurrency=concurrency,
            timeout_s=timeout_s,
            max_backoff_s=max_backoff_s,
        )
        return self.simulator

    cancellable = staticmethod(SimulatorSource.cancellable)

    async def start(self) -> None:
        await self.sources.start(None if self.sources.path else list(DEFAULT))
        self._main = asyncio.create_task(self._housekeeping(), name="collector-housekeeping")

    async def close(self) -> None:
        if self._main is not None:
            self._main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._main
            self._main = None
        await self.sources.close()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush()

    async def __aenter__(self) -> Collector:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def wait(self) -> None:
        """Until the collector stops (it only stops when closed or on a bug)."""
        assert self._main is not None
        await self._main

    # -- writing ------------------------------------------------------------------

    def _store(self, reading: SourceReading) -> None:
        self._pending.append(reading)
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            delay = max(0.0, self._last_flush + self._flush_gap - loop.time())
            self._flush_handle = loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        with contextlib.suppress(RuntimeError):  # closed: no loop to ask the time
            self._last_flush = asyncio.get_running_loop().time()
        batch, self._pending = self._pending, []
        self._flush_gap = BUSY_FLUSH_S if len(batch) >= BUSY_ROWS else FLUSH_EVERY_S
        if not batch:
            return
        stored_ms = int(self._clock() * 1000)  # when it is written: what "stored" means
        try:
            stored = self.store.add([(reading, stored_ms) for reading in batch])
        except (sqlite3.Error, OverflowError):
            stored = self._add_one_by_one(batch, stored_ms)
        self.stats.stored += stored
        self.stats.repeats += len(batch) - stored
        by_source: dict[str, int] = {}
        for reading in batch:
            by_source[reading.source] = by_source.get(reading.source, 0) + 1
        for source, count in by_source.items():
            READINGS_STORED.labels(source).inc(count)
        if stored < len(batch):
            READINGS_REJECTED.labels("repeats").inc(len(batch) - stored)

    def _add_one_by_one(self, batch: list[SourceReading], stored_ms: int) -> int:
        """A batch the store refused: every reading it can take is kept, the others counted
        and logged (one bad row must not lose its neighbours)."""
        stored = 0
        for reading in batch:
            try:
                stored += self.store.add([(reading, stored_ms)])
            except (sqlite3.Error, OverflowError) as err:
                self.stats.failed += 1
                READINGS_REJECTED.labels(reading.source).inc()
                logger.warning("reading of %s not stored: %s", reading.station_id, err)
        return stored

    def summary(self) -> dict[str, object]:
        simulator = self.simulator
        polls = simulator.stats.summary() if simulator else {}
        stats = self.stats
        return {
            "stored": stats.stored,
            "repeats": stats.repeats,
            "purged": stats.purged,
            "unstored": stats.failed,
            **polls,
        }

    def _source_metrics(self, now: float) -> None:
        running = self.sources.sources
        for gone in set(self._rejected_seen) - set(running):  # removed or disabled: not connected
            SOURCE_CONNECTED.labels(gone).set(0)
            del self._rejected_seen[gone]
        for name, source in running.items():
            status = source.status()
            SOURCE_CONNECTED.labels(name).set(1 if status.state == "connected" else 0)
            SOURCE_SENSORS.labels(name).set(len(source.sensors()))
            if status.last_message_at:
                SOURCE_MESSAGE_AGE.labels(name).set(now - status.last_message_at)
            rejected = status.rejected - self._rejected_seen.get(name, 0)
            if rejected > 0:
                READINGS_REJECTED.labels(name).inc(rejected)
            self._rejected_seen[name] = status.rejected

    async def _housekeeping(self) -> None:
        """Heartbeat every period (health checks and the Live page read it), the sources'
        state every few seconds; purge each minute."""
        last_purge = last_sources = 0.0
        while True:
            now = self._clock()
            if now - last_purge >= PURGE_EVERY_S:
                self.stats.purged += self.store.purge(int((now - self.retention_s) * 1000))
                self.store.purge_rollups(now)
                last_purge = now
            if now - last_sources >= SOURCES_EVERY_S:
                write_sources(self.store, self.sources.snapshot())
                self._source_metrics(now)
                last_sources = now
            write_heartbeat(self.store, os.getpid(), now, self.period_s, **self.summary())
            await asyncio.sleep(min(self.period_s, SOURCES_EVERY_S))


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
                        hub,
                        settings.trace_host,
                        settings.trace_port,
                        settings.operator_token.get_secret_value(),
                        settings.read_only,
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
                    sources_path=settings.sources_path,
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
