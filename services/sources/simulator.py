"""Our own sensor service as a source: every station polled over HTTP, once a period.

Each station has its own long-lived task on one loop. Polls are staggered over the
period (station i starts at i/n of it), so requests and store writes spread out
instead of arriving in one burst. A semaphore bounds the requests in flight, every
request has a timeout, and a failing station backs off exponentially (capped) while
the others keep their period: a hanging station only ever holds its own task.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field

import aiohttp

from services.core.errors import SensorError
from services.core.metrics import COLLECTOR_LAG, POLL_ERRORS
from services.sensors.client import parse_reading
from services.sensors.stations import BY_ID
from services.sources.base import BaseSource
from services.sources.model import SensorInfo, SourceReading

logger = logging.getLogger(__name__)


@dataclass
class StationState:
    ok: int = 0
    failed: int = 0
    consecutive_failures: int = 0
    last_error: str = ""


@dataclass
class PollStats:
    polls: int = 0
    failed: int = 0
    in_flight: int = 0
    stations: dict[str, StationState] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        failing = sorted(s for s, st in self.stations.items() if st.consecutive_failures)
        return {
            "polls": self.polls,
            "failed": self.failed,
            "in_flight": self.in_flight,
            "stations": len(self.stations),
            "failing": failing,
        }


class SimulatorSource(BaseSource):
    """``async with SimulatorSource("simulator", url, period_s=1.0): ...`` polls until closed."""

    kind = "simulator"

    def __init__(
        self,
        name: str,
        sensor_url: str,
        *,
        period_s: float = 1.0,
        concurrency: int = 64,
        timeout_s: float = 2.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        super().__init__(name)
        self.sensor_url = sensor_url.rstrip("/")
        self.period_s = period_s
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.max_backoff_s = max(max_backoff_s, period_s)
        self.stats = PollStats()
        self._sem = asyncio.Semaphore(concurrency)
        self._session: aiohttp.ClientSession | None = None
        self._status.extra = {"url": self.sensor_url}

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=self.timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
            self._session = session
            stations = await self._discover()
            self.connected()
            logger.info("polling %d stations every %.3g s", len(stations), self.period_s)
            async with asyncio.TaskGroup() as group:
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
                    found = (await resp.json())["stations"]
                for station in found:
                    known = BY_ID.get(station["id"])
                    name = known.name_en if known else str(station.get("name_en") or station["id"])
                    self.found(SensorInfo(self.name, station["id"], name, "simulator", self.period_s))
                return [s["id"] for s in found]
            except (TimeoutError, aiohttp.ClientError, KeyError, ValueError, TypeError) as err:
                self.retrying(err)
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
            self._failed(station_id, state, str(err) or type(err).__name__)
            return False
        if state.consecutive_failures:
            logger.info("station %s answers again after %d failures", station_id, state.consecutive_failures)
        state.ok += 1
        state.consecutive_failures = 0
        self.message()
        self.emit(
            SourceReading(
                self.name,
                station_id,
                reading.ts,
                raw_temperature=reading.temperature_c,
                humidity_pct=reading.humidity_pct,
            )
        )
        return True

    def _failed(self, station_id: str, state: StationState, error: str) -> None:
        state.failed += 1
        state.consecutive_failures += 1
        state.last_error = error
        self.stats.failed += 1
        POLL_ERRORS.labels(station_id).inc()
        if state.consecutive_failures in (1, 5) or state.consecutive_failures % 50 == 0:
            logger.info("station %s failed %d× in a row: %s", station_id, state.consecutive_failures, error)
