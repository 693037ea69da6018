"""The one protocol every source follows, and the base class that does the shared work.

A source is an owner (``start``/``close``, ``async with``). While it runs it finds
sensors, keeps their state, and offers readings on ``readings()`` (or ``batches()``:
the same, all that is queued at once), an async stream fed
by a bounded queue: if the store falls behind, the oldest reading waits and new ones
are dropped and counted, never buffered without end. Messages it cannot use are
counted per sensor and the last ``REJECTS_KEPT`` kept with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Protocol

from services.sources.clean import clean
from services.sources.model import Rejected, SensorInfo, SensorState, SourceReading, SourceStatus, now

logger = logging.getLogger(__name__)

QUEUE_CAP = 20_000
REJECTS_KEPT = 50
MAX_SENSORS = 5_000  # per source; more are refused (counted), not tracked
EXCERPT_CHARS = 120
HOLD_S = 1.0  # how long the first half of a reading sent in two messages waits for the other


class Source(Protocol):
    name: str
    kind: str

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    def readings(self) -> AsyncIterator[SourceReading]: ...
    def batches(self) -> AsyncIterator[list[SourceReading]]: ...
    def sensors(self) -> list[SensorState]: ...
    def status(self) -> SourceStatus: ...
    def rejects(self) -> list[Rejected]: ...


class BaseSource:
    """Subclasses write ``_run`` (connect, read, reconnect) and call ``found``, ``emit``,
    ``reject``, ``set_available`` and ``connected``/``retrying`` as things happen."""

    kind = "base"
    pairs_halves = False  # True where one sensor sends its metrics in separate messages (MQTT)

    def __init__(self, name: str, *, secrets: tuple[str, ...] = ()) -> None:
        self.name = name
        self._secrets = tuple(s for s in secrets if s)
        self._status = SourceStatus(name=name, kind=self.kind)
        self._sensors: dict[str, SensorState] = {}
        self._rejects: deque[Rejected] = deque(maxlen=REJECTS_KEPT)
        self._queue: asyncio.Queue[SourceReading] = asyncio.Queue(QUEUE_CAP)
        self._main: asyncio.Task[None] | None = None
        self._held: dict[str, tuple[SourceReading, asyncio.TimerHandle]] = {}

    # -- the owner --------------------------------------------------------------------

    async def start(self) -> None:
        if self._main is not None:
            raise RuntimeError(f"source {self.name} already started")
        self._main = asyncio.create_task(self._guarded_run(), name=f"source {self.kind}:{self.name}")

    async def close(self) -> None:
        if self._main is not None:
            self._main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._main
            self._main = None
        self._status.state = "stopped"

    async def __aenter__(self) -> BaseSource:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _guarded_run(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a bug in a source: said, and the source stops (the others go on)
            logger.exception("source %s stopped on an error", self.name)
            self._status.state = "stopped"
            self._status.error = self.redact(f"{type(err).__name__}: {err}")

    async def _run(self) -> None:
        raise NotImplementedError

    # -- what the collector and the pages read ------------------------------------------

    async def readings(self) -> AsyncIterator[SourceReading]:
        async for batch in self.batches():
            for reading in batch:
                yield reading

    async def batches(self) -> AsyncIterator[list[SourceReading]]:
        """The same stream, everything queued at once (a busy broker: one wake-up for many)."""
        queue = self._queue
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            yield batch

    def sensors(self) -> list[SensorState]:
        return list(self._sensors.values())

    def status(self) -> SourceStatus:
        return self._status

    def rejects(self) -> list[Rejected]:
        return list(self._rejects)

    def snapshot(self) -> dict[str, Any]:
        """Status, sensors and rejects as plain data (the collector writes it to the store)."""
        return {
            "status": self._status.as_dict(),
            "sensors": [s.as_dict() for s in self._sensors.values()],
            "rejects": [r.as_dict() for r in self._rejects],
        }

    # -- what subclasses call ---------------------------------------------------------

    def connected(self) -> None:
        if self._status.state == "retrying":
            self._status.reconnects += 1
        self._status.state, self._status.error, self._status.connected_at = "connected", "", now()

    def retrying(self, err: BaseException | str) -> None:
        text = err if isinstance(err, str) else (str(err) or type(err).__name__)
        self._status.state, self._status.error = "retrying", self.redact(text)

    def message(self) -> None:
        self._status.messages += 1
        self._status.last_message_at = now()

    def found(self, info: SensorInfo) -> SensorState | None:
        """Track a sensor (or update what it says of itself); None past ``MAX_SENSORS``."""
        state = self._sensors.get(info.sensor_id)
        if state is None:
            if len(self._sensors) >= MAX_SENSORS:
                self.reject(info.sensor_id, "sources.reject.too_many", str(MAX_SENSORS))
                return None
            state = self._sensors[info.sensor_id] = SensorState(info)
        elif state.info != info:
            state.info = info
        return state

    def forget(self, sensor_id: str) -> None:
        self._sensors.pop(sensor_id, None)

    def set_available(self, sensor_id: str, available: bool) -> None:
        state = self._sensors.get(sensor_id)
        if state is not None:
            state.available = available

    def reject(self, where: str, reason: str, detail: str = "", excerpt: str = "", sensor_id: str = "") -> None:
        self._status.rejected += 1
        if sensor_id and sensor_id in self._sensors:
            self._sensors[sensor_id].rejected += 1
        self._rejects.append(
            Rejected(now(), where[:200], reason, self.redact(detail)[:200], self.redact(excerpt)[:EXCERPT_CHARS])
        )

    def emit(self, reading: SourceReading, where: str = "") -> bool:
        """Clean the reading and queue it for the store; False if refused.

        A sensor that sends its metrics in separate messages (ESPHome, Shelly: MQTT
        sources set ``pairs_halves``) has the first one held for up to ``HOLD_S``: the other joins
        it, and the store gets one reading, not two halves."""
        state = self._sensors.get(reading.sensor_id)
        if state is None:
            return False  # a reading of a sensor we do not track (over the cap)
        cleaned = clean(reading)
        if isinstance(cleaned, str):
            self.reject(where or reading.sensor_id, cleaned, _values(reading), sensor_id=reading.sensor_id)
            return False
        self._status.readings += 1
        state.readings += 1
        state.last_seen = now()
        if state.available is False:
            state.available = True  # it speaks: it is there
        for name in ("temperature_c", "humidity_pct", "battery", "linkquality"):
            value = getattr(cleaned, name)
            if value is not None:
                setattr(state, name, value)
        if self.pairs_halves and (cleaned.temperature_c is None) != (cleaned.humidity_pct is None):
            paired = self._pair(cleaned)
            if paired is None:
                return True
            cleaned = paired
        self._put(cleaned)
        return True

    def _pair(self, half: SourceReading) -> SourceReading | None:
        """``half`` joined with the held other half of its sensor, or None (held now)."""
        held = self._held.pop(half.sensor_id, None)
        if held is not None:
            held[1].cancel()
            first = held[0]
            if (first.temperature_c is None) != (half.temperature_c is None):
                return _joined(first, half)
            self._put(first)  # the same metric twice: the first goes alone
        timer = asyncio.get_running_loop().call_later(HOLD_S, self._release, half.sensor_id)
        self._held[half.sensor_id] = (half, timer)
        return None

    def _release(self, sensor_id: str) -> None:
        held = self._held.pop(sensor_id, None)
        if held is not None:
            held[1].cancel()
            self._put(held[0])

    def _put(self, reading: SourceReading) -> None:
        try:
            self._queue.put_nowait(reading)
        except asyncio.QueueFull:
            self._status.dropped += 1

    def drain(self) -> list[SourceReading]:
        """What is queued and held, taken now (a source being stopped loses nothing)."""
        for sensor_id in list(self._held):
            self._release(sensor_id)
        out = []
        while not self._queue.empty():
            out.append(self._queue.get_nowait())
        return out

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "•••")
        return text


def _joined(first: SourceReading, second: SourceReading) -> SourceReading:
    """Two halves of one reading, at the first one's time."""
    if first.temperature_c is None:
        first, second = second, first  # the temperature half carries the raw values
    return dataclasses.replace(
        first,
        humidity_pct=second.humidity_pct,
        battery=first.battery if first.battery is not None else second.battery,
        linkquality=first.linkquality if first.linkquality is not None else second.linkquality,
        ts=min(first.ts, second.ts),
    )


def _values(reading: SourceReading) -> str:
    parts = []
    if reading.raw_temperature is not None:
        parts.append(f"{reading.raw_temperature:g} °{reading.raw_unit}")
    if reading.humidity_pct is not None:
        parts.append(f"{reading.humidity_pct:g} %RH")
    return ", ".join(parts)
