"""Runs the configured sources, feeds their readings to one sink, and applies changes
to the sources file while running (a source whose settings changed is restarted; the
others are left alone).

    file ──(mtime, each second)──► load ──► apply: stop removed/changed, start new
    source.batches() ──pump task per source──► sink(reading)   (the collector's store)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.core.errors import SourceInputError
from services.sources.base import BaseSource
from services.sources.config import SourceConfig, load
from services.sources.model import SourceReading, now

logger = logging.getLogger(__name__)

WATCH_EVERY_S = 1.0
Sink = Callable[[SourceReading], None]
Factory = Callable[[SourceConfig], BaseSource]


def build(config: SourceConfig, simulator: Factory) -> BaseSource:
    """The source a configuration describes (imported here, so an unused kind costs nothing)."""
    options = dict(config.options)
    if config.kind == "mqtt":
        from services.sources.mqtt import MqttSource

        return MqttSource(config.name, **options)
    if config.kind == "openmeteo":
        from services.sources.openmeteo import OpenMeteoSource

        return OpenMeteoSource(config.name, **options)
    if config.kind == "homeassistant":
        from services.sources.homeassistant import HomeAssistantSource

        return HomeAssistantSource(config.name, **options)
    return simulator(config)


@dataclass
class _Running:
    config: SourceConfig
    source: BaseSource
    pump: asyncio.Task[None]


class SourceManager:
    """``async with SourceManager(path, sink, simulator=...)`` runs what the file says until closed."""

    def __init__(self, path: Path | None, sink: Sink, *, simulator: Factory) -> None:
        self.path = path
        self._sink = sink
        self._simulator = simulator
        self._running: dict[str, _Running] = {}
        self._configs: list[SourceConfig] = []
        self._watch: asyncio.Task[None] | None = None
        self._mtime: float | None = -1.0
        self.config_error: dict[str, Any] | None = None

    async def start(self, configs: list[SourceConfig] | None = None) -> None:
        """Start what the file says (or ``configs``, with no file to watch)."""
        if self._watch is not None:
            raise RuntimeError("source manager already started")
        if configs is not None:
            await self.apply(configs)
        elif self.path is not None:
            await self._reload()  # running before anyone asks what runs
        self._watch = asyncio.create_task(self._watch_file(), name="sources-watch")

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self.apply([])

    async def __aenter__(self) -> SourceManager:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def sources(self) -> dict[str, BaseSource]:
        return {name: run.source for name, run in self._running.items()}

    async def apply(self, configs: list[SourceConfig]) -> None:
        """Make the running sources match ``configs``."""
        self._configs = list(configs)
        wanted = {c.name: c for c in configs if c.enabled}
        for name in [n for n, run in self._running.items() if wanted.get(n) != run.config]:
            await self._stop(name)
        for name, config in wanted.items():
            if name not in self._running:
                await self._start(config)

    async def _start(self, config: SourceConfig) -> None:
        source = build(config, self._simulator)
        await source.start()
        pump = asyncio.create_task(self._pump(source), name=f"sources-pump-{config.name}")
        self._running[config.name] = _Running(config, source, pump)
        logger.info("source %s (%s) started", config.name, config.kind)

    async def _stop(self, name: str) -> None:
        run = self._running.pop(name)
        await run.source.close()
        run.pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run.pump
        for reading in run.source.drain():  # what it had received is stored, not lost
            self._sink(reading)
        logger.info("source %s stopped", name)

    async def _pump(self, source: BaseSource) -> None:
        sink = self._sink
        async for batch in source.batches():
            for reading in batch:
                sink(reading)

    async def _watch_file(self) -> None:
        while self.path is not None:
            await asyncio.sleep(WATCH_EVERY_S)
            await self._reload()

    async def _reload(self) -> None:
        assert self.path is not None
        try:
            mtime: float | None = self.path.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime == self._mtime:
            return
        self._mtime = mtime
        try:
            configs = await asyncio.to_thread(load, self.path)
        except SourceInputError as err:
            self.config_error = {"code": err.code, "params": err.params, "at": now()}
            logger.warning("sources file %s not applied: %s %s", self.path, err.code, err.params)
            return
        self.config_error = None
        await self.apply(configs)

    def snapshot(self) -> dict[str, Any]:
        """Every configured source with its state, sensors and rejects, as plain data (no secret)."""
        out = []
        for config in self._configs:
            run = self._running.get(config.name)
            entry: dict[str, Any] = {"config": config.public()}
            entry |= run.source.snapshot() if run else {"status": {"state": "disabled"}, "sensors": [], "rejects": []}
            out.append(entry)
        return {"sources": out, "config_error": self.config_error, "at": now()}


async def test_connection(
    config: SourceConfig, sensor_url: str, timeout_s: float = 5.0
) -> tuple[bool, str, dict[str, Any]]:
    """Reach the source once with these settings: (ok, message key, its params); no secret in them."""
    if config.kind == "mqtt":
        from services.sources import mqtt

        return await mqtt.check(config.options, timeout_s)
    if config.kind == "openmeteo":
        from services.sources import openmeteo

        return await openmeteo.check(config.options, timeout_s)
    if config.kind == "homeassistant":
        from services.sources import homeassistant

        return await homeassistant.check(config.options, timeout_s)
    import aiohttp

    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session,
            session.get(f"{sensor_url.rstrip('/')}/health") as resp,
        ):
            ok = resp.status == 200
    except (TimeoutError, aiohttp.ClientError) as err:
        return False, "sources.check.failed", {"detail": str(err)[:200] or type(err).__name__}
    return (
        (True, "sources.check.ok", {"where": sensor_url})
        if ok
        else (False, "sources.check.failed", {"detail": f"HTTP {resp.status}"})
    )
