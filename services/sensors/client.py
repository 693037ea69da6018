"""Async client for the sensor service (aiohttp), with a timeout and bounded retries."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from services.core.errors import (
    SensorBadPayload,
    SensorError,
    SensorServerError,
    SensorTimeout,
    SensorUnavailable,
    StationNotFound,
)
from services.sensors.model import Reading

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchResult:
    reading: Reading
    attempts: int
    latency_ms: float  # from the first attempt's start to the usable answer


def parse_reading(body: str, station_id: str) -> Reading:
    try:
        data = json.loads(body)
        reading = Reading(
            station_id=str(data["station"]),
            ts=int(data["ts"]),
            temperature_c=float(data["temperature_c"]),
            humidity_pct=float(data["humidity_pct"]),
        )
    except (ValueError, KeyError, TypeError) as err:
        raise SensorBadPayload(f"unreadable answer for {station_id}: {err}") from err
    if reading.station_id != station_id:
        raise SensorBadPayload(f"asked for {station_id}, got {reading.station_id}")
    return reading


class SensorClient:
    """``async with SensorClient(url) as client: await client.current("beijing")``.

    Timeouts, connection failures, 5xx answers and malformed JSON are retried up
    to ``retries`` more times with exponential backoff; a 404 is final.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 2.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        on_attempt: Callable[[int, int], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.on_attempt = on_attempt
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SensorClient:
        self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get_once(self, station_id: str, attempt: int) -> Reading:
        assert self._session is not None, "use SensorClient as an async context manager"
        url = f"{self.base_url}/stations/{station_id}"
        try:
            async with self._session.get(url) as resp:
                body = await resp.text()
                status = resp.status
        except TimeoutError as err:
            raise SensorTimeout(
                f"no answer in {self.timeout_s:g} s", attempts=attempt, timeout_s=self.timeout_s
            ) from err
        except aiohttp.ClientError as err:  # refused, reset, DNS …
            raise SensorUnavailable(str(err), attempts=attempt) from err
        if status == 404:
            raise StationNotFound(f"{station_id} unknown to the service", attempts=attempt)
        if status >= 500:
            raise SensorServerError(f"HTTP {status}", attempts=attempt, status=status)
        if status != 200:
            raise SensorBadPayload(f"unexpected HTTP {status}", attempts=attempt)
        try:
            return parse_reading(body, station_id)
        except SensorBadPayload as err:
            err.attempts = err.params["attempts"] = attempt
            raise

    async def current(self, station_id: str) -> FetchResult:
        started = time.perf_counter()
        total = self.retries + 1
        for attempt in range(1, total + 1):
            if self.on_attempt is not None:
                self.on_attempt(attempt, total)
            try:
                reading = await self._get_once(station_id, attempt)
            except StationNotFound:
                raise
            except SensorError as err:
                if attempt == total:
                    logger.warning("%s: giving up after %d attempts: %s", station_id, attempt, err)
                    raise
                delay = self.backoff_s * 2 ** (attempt - 1)
                logger.info(
                    "%s: attempt %d/%d failed (%s: %s); retrying in %.2f s",
                    station_id,
                    attempt,
                    total,
                    err.code,
                    err,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            latency_ms = (time.perf_counter() - started) * 1000
            return FetchResult(reading=reading, attempts=attempt, latency_ms=latency_ms)
        raise AssertionError("unreachable")  # the loop returns or raises
