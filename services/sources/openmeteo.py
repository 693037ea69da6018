"""Weather for named places or coordinates, from Open-Meteo (free, no key).

A place is a name ("北京", "Berlin") or coordinates ("39.9,116.4"). Names are geocoded
once, when the source starts, and re-ranked: a capital first, then the seats of
provinces, states, counties … (``FEATURE_RANK``), then the most populous — the API
itself lists two villages named 北京 before the capital. A name that finds nothing is
listed as rejected and the other places go on.

Then one request asks for the current temperature and humidity of every place, every
``period_s``: 900 s by default (the model's step is 15 min and the free tier allows
10,000 calls a day), never under ``MIN_PERIOD_S``. A reading's time is the observation
time Open-Meteo reports, not ours. A failed request is retried with a backoff that
doubles from ``BACKOFF_START_S`` up to the period.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from services.core.errors import SourceInputError
from services.sources.base import BaseSource
from services.sources.clean import unit_of
from services.sources.fetching import Backoff, Failure, excerpt, iso_seconds, read_capped
from services.sources.model import SensorInfo, SourceReading, finite

logger = logging.getLogger(__name__)

GEOCODING_URL = "https://geocoding-api.open-meteo.com/v1/search"
FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
DEFAULT_PERIOD_S = 900.0
MIN_PERIOD_S = 60.0
MODEL_STEP_S = 900.0  # a new observation every 15 min, however often we ask
BACKOFF_START_S = 1.0
GEOCODE_COUNT = 10
CURRENT = "temperature_2m,relative_humidity_2m"
FEATURE_RANK = {"PPLC": 0, "PPLA": 1, "PPLA2": 2, "PPLA3": 3, "PPLA4": 4, "PPLA5": 5}
_WHY = {
    "sources.reject.place_unknown": "the geocoding API found no place of that name",
    "sources.reject.bad_coordinates": "latitude must be within -90…90 and longitude within -180…180",
}
_COORDS = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*,\s*([-+]?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Place:
    """A place to ask the weather of: our id for it, what people call it, where it is."""

    sensor_id: str
    name: str
    latitude: float
    longitude: float


class OpenMeteoSource(BaseSource):
    """The current temperature and humidity of a few places, one request for them all."""

    kind = "openmeteo"

    def __init__(
        self,
        name: str,
        *,
        places: list[str],
        language: str = "en",
        period_s: float = DEFAULT_PERIOD_S,
        geocoding_url: str = GEOCODING_URL,
        forecast_url: str = FORECAST_URL,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(name)
        self.places = [p.strip() for p in places if p.strip()]
        if not self.places:
            raise SourceInputError("sources.err.no_places")
        self.language = language or "en"
        period = finite(period_s)
        self.period_s = max(DEFAULT_PERIOD_S if period is None else period, MIN_PERIOD_S)
        self.geocoding_url = geocoding_url
        self.forecast_url = forecast_url
        self.timeout_s = timeout_s

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s)) as session:
            places = await self._resolve_all(session)
            if not places:
                self._status.state, self._status.error = "stopped", "sources.err.no_places"
                logger.warning("openmeteo %s: none of its places was found", self.name)
                return
            await self._poll(session, places)

    async def _resolve_all(self, session: aiohttp.ClientSession) -> list[Place]:
        """Every place located (names geocoded once, retried until the API answers)."""
        backoff = Backoff(BACKOFF_START_S, self.period_s)
        located: dict[str, Place] = {}
        for text in self.places:
            while True:
                try:
                    place = await resolve(session, text, url=self.geocoding_url, language=self.language)
                    break
                except Failure as err:
                    self._failed(err)
                    await backoff.wait()
            if isinstance(place, str):
                self.reject(text, place, _WHY.get(place, ""))
            elif place.sensor_id not in located:  # two spellings of one place: asked once
                located[place.sensor_id] = place
                self.found(SensorInfo(self.name, place.sensor_id, place.name, "openmeteo", self._sensor_period()))
        return list(located.values())

    async def _poll(self, session: aiohttp.ClientSession, places: list[Place]) -> None:
        backoff = Backoff(BACKOFF_START_S, self.period_s)
        params = forecast_params(places)
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                answers = _answers(await _get_json(session, self.forecast_url, params, self.timeout_s), len(places))
            except Failure as err:
                self._failed(err)
                await backoff.wait()
                continue
            backoff.reset()
            self.connected()
            self.message()
            for place, answer in zip(places, answers, strict=True):
                self._take(place, answer)
            await asyncio.sleep(max(0.0, self.period_s - (loop.time() - started)))

    def _take(self, place: Place, answer: dict[str, Any]) -> None:
        current, units = answer.get("current"), answer.get("current_units")
        if not isinstance(current, dict) or not isinstance(units, dict):
            self._refuse(place, "sources.reject.shape", "no current/current_units", answer)
            return
        ts = observed_at(current.get("time"), answer.get("utc_offset_seconds"))
        if ts is None:
            self._refuse(place, "sources.reject.bad_time", str(current.get("time"))[:40], answer)
            return
        unit_text = units.get("temperature_2m")
        unit = unit_of(unit_text) if isinstance(unit_text, str) else None
        if unit is None:
            self._refuse(place, "sources.reject.unit", str(unit_text)[:20], answer)
            return
        temperature, humidity = finite(current.get("temperature_2m")), finite(current.get("relative_humidity_2m"))
        reading = SourceReading(
            self.name, place.sensor_id, ts, raw_temperature=temperature, raw_unit=unit, humidity_pct=humidity
        )
        self.emit(reading, where=place.name)

    def _refuse(self, place: Place, reason: str, detail: str, answer: Any) -> None:
        self.reject(place.name, reason, detail, excerpt(answer), sensor_id=place.sensor_id)

    def _failed(self, err: Failure) -> None:
        logger.warning("openmeteo %s: %s", self.name, err)
        self.retrying(err)

    def _sensor_period(self) -> float:
        # a place reports a new observation every 15 min at most: asked more often, it is not late
        return max(self.period_s, MODEL_STEP_S)


# -- places ---------------------------------------------------------------------------


def coordinates_id(latitude: float, longitude: float) -> str:
    return f"{latitude:.2f},{longitude:.2f}"


def parse_coordinates(text: str) -> tuple[float, float] | str | None:
    """``(lat, lon)`` for "39.9,116.4", a reject key if out of range, None if not coordinates."""
    match = _COORDS.match(text)
    if match is None:
        return None
    lat, lon = float(match[1]), float(match[2])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "sources.reject.bad_coordinates"
    return lat, lon


def rank(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Capitals, then seats of provinces, states, counties …, then the most populous first."""

    def key(result: dict[str, Any]) -> tuple[int, float]:
        feature = FEATURE_RANK.get(str(result.get("feature_code") or ""), len(FEATURE_RANK))
        return feature, -(finite(result.get("population")) or 0.0)

    return sorted(results, key=key)


def place_of(result: dict[str, Any]) -> Place | None:
    """A geocoding result as a place (None without coordinates)."""
    lat, lon = finite(result.get("latitude")), finite(result.get("longitude"))
    if lat is None or lon is None:
        return None
    ident = result.get("id")
    sensor_id = str(ident) if isinstance(ident, int) and not isinstance(ident, bool) else coordinates_id(lat, lon)
    name = str(result.get("name") or coordinates_id(lat, lon))
    parts = [name]
    admin1 = result.get("admin1")
    if isinstance(admin1, str) and admin1 and admin1 not in name and name not in admin1:
        parts.append(admin1)
    country = result.get("country") or result.get("country_code")
    if isinstance(country, str) and country:
        parts.append(country)
    return Place(sensor_id, ", ".join(parts), lat, lon)


async def resolve(session: aiohttp.ClientSession, text: str, *, url: str, language: str) -> Place | str:
    """The place ``text`` names (coordinates as given), or the reject key of why not."""
    coordinates = parse_coordinates(text)
    if isinstance(coordinates, str):
        return coordinates
    if coordinates is not None:
        lat, lon = coordinates
        return Place(coordinates_id(lat, lon), f"{lat:.2f}, {lon:.2f}", lat, lon)
    timeout_s = session.timeout.total or 0.0
    params = {"name": text, "count": str(GEOCODE_COUNT), "language": language, "format": "json"}
    body = await _get_json(session, url, params, timeout_s)
    results = body.get("results", []) if isinstance(body, dict) else None  # no "results": nothing found
    if not isinstance(results, list):
        raise Failure("sources.err.bad_answer", "the geocoding answer is not the JSON we expect", detail=excerpt(body))
    candidates = [p for p in map(place_of, rank([r for r in results if isinstance(r, dict)])) if p]
    return candidates[0] if candidates else "sources.reject.place_unknown"


# -- the forecast -----------------------------------------------------------------------


def forecast_params(places: list[Place]) -> dict[str, str]:
    return {
        "latitude": ",".join(str(p.latitude) for p in places),
        "longitude": ",".join(str(p.longitude) for p in places),
        "current": CURRENT,
        "timezone": "GMT",
    }


def _answers(body: Any, count: int) -> list[dict[str, Any]]:
    """One answer per place, in the order asked (a list for several places, an object for one)."""
    answers = body if isinstance(body, list) else [body]
    if len(answers) != count or not all(isinstance(a, dict) for a in answers):
        raise Failure("sources.err.bad_answer", f"expected {count} forecast answer(s)", detail=excerpt(body))
    return answers


def observed_at(value: Any, utc_offset_s: Any = 0) -> float | None:
    """Unix seconds of an observation time: ISO local time at ``utc_offset_s`` (0 for GMT), or unixtime."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return finite(value)
    return iso_seconds(value, finite(utc_offset_s) or 0.0)


# -- HTTP ---------------------------------------------------------------------------------


async def _get_json(session: aiohttp.ClientSession, url: str, params: dict[str, str], timeout_s: float) -> Any:
    """The JSON answer, or ``Failure``: timeout, unreachable, an HTTP or Open-Meteo error, not JSON."""
    try:
        async with session.get(url, params=params) as resp:
            status, reason, raw = resp.status, resp.reason or "", await read_capped(resp)
    except TimeoutError as err:
        raise Failure("sources.err.timeout", f"no answer within {timeout_s:g} s", seconds=timeout_s) from err
    except aiohttp.ClientError as err:
        text = str(err) or type(err).__name__
        raise Failure("sources.err.unreachable", f"cannot reach {url}: {text}", error=text) from err
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if status >= 400 or isinstance(body, dict) and body.get("error") is True:
        if isinstance(body, dict) and isinstance(body.get("reason"), str):
            reason = body["reason"][:200]
        raise Failure("sources.err.http", f"HTTP {status}: {reason}", status=status, reason=reason)
    if body is None:
        raise Failure("sources.err.bad_answer", "the answer is not JSON", detail=excerpt(raw.decode(errors="replace")))
    return body


async def check(options: dict[str, Any], timeout_s: float = 5.0) -> tuple[bool, str, dict[str, Any]]:
    """Test the settings once (the Sources page's "test connection"): locate the first place."""
    places = options.get("places")
    if not isinstance(places, list) or not places or not isinstance(places[0], str) or not places[0].strip():
        return False, "sources.err.no_places", {}
    text = places[0].strip()
    geocoding_url = str(options.get("geocoding_url") or GEOCODING_URL)
    forecast_url = str(options.get("forecast_url") or FORECAST_URL)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
            place = await resolve(session, text, url=geocoding_url, language=str(options.get("language") or "en"))
            if isinstance(place, Place) and parse_coordinates(text) is not None:  # nothing geocoded: ask the forecast
                _answers(await _get_json(session, forecast_url, forecast_params([place]), timeout_s), 1)
    except Failure as err:
        return False, "sources.check.timeout" if err.key == "sources.err.timeout" else err.key, err.params
    if isinstance(place, str):
        return False, place, {"place": text}
    where = place.name if parse_coordinates(text) else f"{place.name} ({place.latitude:.2f}, {place.longitude:.2f})"
    return (
        True,
        "sources.check.ok",
        {"where": where, "name": place.name, "latitude": place.latitude, "longitude": place.longitude},
    )
