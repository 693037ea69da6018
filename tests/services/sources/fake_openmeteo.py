"""A loopback Open-Meteo: its geocoding and forecast APIs, answering in their documented shapes.

``async with FakeOpenMeteo() as api:`` then ``api.geocoding_url`` / ``api.forecast_url``.
The forecast's temperature is the longitude / 10 (°C, or °F when ``fahrenheit``) and the
humidity the latitude, so a test can tell places apart; every observation is at
``OBSERVED`` (GMT). ``fail_forecasts`` answers that many forecasts with Open-Meteo's error.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.services.sources.loopback import serve

OBSERVED = "2026-11-27T10:45"  # the observation time every forecast reports (GMT)

# Two villages named 北京 come before the capital, as the real API lists them.
PLACES: dict[str, list[dict[str, Any]]] = {
    "北京": [
        {
            "id": 10524587,
            "name": "北京",
            "latitude": 26.06667,
            "longitude": 111.04472,
            "elevation": 312.0,
            "feature_code": "PPL",
            "country_code": "CN",
            "admin1": "湖南省",
            "population": 1200,
            "timezone": "Asia/Shanghai",
            "country": "中国",
        },
        {
            "id": 10524588,
            "name": "北京",
            "latitude": 30.46915,
            "longitude": 117.68167,
            "elevation": 41.0,
            "feature_code": "PPL",
            "country_code": "CN",
            "admin1": "安徽省",
            "population": 0,
            "timezone": "Asia/Shanghai",
            "country": "中国",
        },
        {
            "id": 1816670,
            "name": "北京市",
            "latitude": 39.9075,
            "longitude": 116.39723,
            "elevation": 63.0,
            "feature_code": "PPLC",
            "country_code": "CN",
            "admin1": "北京市",
            "population": 11716620,
            "timezone": "Asia/Shanghai",
            "country": "中国",
        },
    ],
    "berlin": [
        {
            "id": 2950159,
            "name": "Berlin",
            "latitude": 52.52437,
            "longitude": 13.41053,
            "elevation": 74.0,
            "feature_code": "PPLC",
            "country_code": "DE",
            "admin1": "Land Berlin",
            "population": 3426354,
            "timezone": "Europe/Berlin",
            "country": "Germany",
        },
        {
            "id": 5083330,
            "name": "Berlin",
            "latitude": 44.46867,
            "longitude": -71.18508,
            "elevation": 311.0,
            "feature_code": "PPL",
            "country_code": "US",
            "admin1": "New Hampshire",
            "population": 10051,
            "timezone": "America/New_York",
            "country": "United States",
        },
    ],
}


class FakeOpenMeteo:
    def __init__(self) -> None:
        self.fahrenheit = False
        self.fail_forecasts = 0
        self.geocode_requests: list[dict[str, str]] = []
        self.forecast_requests: list[dict[str, str]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def geocoding_url(self) -> str:
        return f"{self.url}/v1/search"

    @property
    def forecast_url(self) -> str:
        return f"{self.url}/v1/forecast"

    async def __aenter__(self) -> FakeOpenMeteo:
        app = web.Application()
        app.router.add_get("/v1/search", self._search)
        app.router.add_get("/v1/forecast", self._forecast)
        self._runner, self.port = await serve(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _search(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.geocode_requests.append(query)
        results = PLACES.get(query.get("name", "").strip().lower())
        body: dict[str, Any] = {"generationtime_ms": 0.4}
        if results:  # nothing found: no "results" key at all
            body["results"] = results[: int(query.get("count", "10"))]
        return web.json_response(body)

    async def _forecast(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.forecast_requests.append(query)
        if self.fail_forecasts > 0:
            self.fail_forecasts -= 1
            return _error("Cannot initialize WeatherVariable from invalid String value tempeture_2m for key current")
        try:
            lats = [float(x) for x in query["latitude"].split(",")]
            lons = [float(x) for x in query["longitude"].split(",")]
        except (KeyError, ValueError):
            return _error("Parameter 'latitude' and 'longitude' must have the same number of elements")
        if len(lats) != len(lons) or "current" not in query:
            return _error("Parameter 'latitude' and 'longitude' must have the same number of elements")
        answers = [self._answer(lat, lon) for lat, lon in zip(lats, lons, strict=True)]
        return web.json_response(answers if len(answers) > 1 else answers[0])

    def _answer(self, lat: float, lon: float) -> dict[str, Any]:
        celsius = round(lon / 10, 1)
        temperature = round(celsius * 9 / 5 + 32, 1) if self.fahrenheit else celsius
        return {
            "latitude": round(lat, 3),
            "longitude": round(lon, 3),
            "generationtime_ms": 0.05,
            "utc_offset_seconds": 0,
            "timezone": "GMT",
            "timezone_abbreviation": "GMT",
            "elevation": 44.0,
            "current_units": {
                "time": "iso8601",
                "interval": "seconds",
                "temperature_2m": "°F" if self.fahrenheit else "°C",
                "relative_humidity_2m": "%",
            },
            "current": {
                "time": OBSERVED,
                "interval": 900,
                "temperature_2m": temperature,
                "relative_humidity_2m": round(abs(lat)),
            },
        }


def _error(reason: str) -> web.Response:
    return web.json_response({"error": True, "reason": reason}, status=400)
