"""A Home Assistant server: its temperature and humidity sensors, listed over REST, then live over WebSocket.

    GET /api/states            every entity; those whose ``device_class`` is temperature
                               or humidity become sensors (id: the entity id)
    /api/websocket             auth_required → auth → auth_ok, then subscribe_events
                               state_changed: each change arrives as it happens

On a dropped connection the source reconnects with a backoff (``BACKOFF_START_S``
doubling up to ``max_backoff_s``), lists the states again (so nothing that changed while
it was away is missed) and subscribes again. A refused token is said plainly
(``sources.err.auth``) and retried only every ``max_backoff_s``; the token is never
shown (``BaseSource`` redacts it from every status and reject). A reading's time is the
state's ``last_updated``; ``unavailable``/``unknown`` mark the sensor offline.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from services.core.errors import SourceInputError
from services.sources.base import BaseSource
from services.sources.clean import unit_of
from services.sources.fetching import Backoff, Failure, excerpt, iso_seconds, read_capped
from services.sources.model import SensorInfo, SourceReading, finite, now

logger = logging.getLogger(__name__)

DEVICE_CLASSES = ("temperature", "humidity")
OFFLINE_STATES = ("unavailable", "unknown")
PERIOD_S = 3600.0  # Home Assistant sends a state when it changes: an hour of silence is normal
BACKOFF_START_S = 0.5
HEARTBEAT_S = 30.0  # a WebSocket ping; no pong within half of it: the connection is dead
SUBSCRIPTION = 1  # the id of our one subscription
AUTH = "sources.err.auth"


class HomeAssistantSource(BaseSource):
    """The temperature and humidity entities of one Home Assistant server."""

    kind = "homeassistant"

    def __init__(
        self, name: str, *, url: str, token: str, timeout_s: float = 10.0, max_backoff_s: float = 60.0
    ) -> None:
        super().__init__(name, secrets=(token,))
        self.url = base_url(url)
        self.ws_url = websocket_url(self.url)
        self.timeout_s = timeout_s
        self.max_backoff_s = max(max_backoff_s, BACKOFF_START_S)
        self._token = token

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout, headers=_headers(self._token)) as session:
            backoff = Backoff(BACKOFF_START_S, self.max_backoff_s)
            while True:
                try:
                    await self._load_states(session)
                    await self._follow(session, backoff)
                    err = Failure("sources.err.closed", "Home Assistant closed the connection")
                except Failure as failure:
                    err = failure
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:  # OSError: a reset mid-send
                    err = _failure_of(exc, self.url, self.timeout_s)
                logger.warning("homeassistant %s: %s", self.name, self.redact(str(err)))
                self.retrying(AUTH if err.key == AUTH else err)
                if err.key == AUTH:
                    backoff.delay = backoff.cap  # a refused token will not be accepted in a second
                await backoff.wait()

    async def _load_states(self, session: aiohttp.ClientSession) -> None:
        """Every entity as it is now; tracked ones that are gone are marked offline."""
        states = await _get_json(session, f"{self.url}/api/states", self.timeout_s)
        if not isinstance(states, list):
            raise Failure("sources.err.bad_answer", "/api/states is not a list", detail=excerpt(states))
        self.message()
        seen = {self._take_state(state, "/api/states") for state in states}
        for sensor in self.sensors():
            if sensor.info.sensor_id not in seen:
                self.set_available(sensor.info.sensor_id, False)

    async def _follow(self, session: aiohttp.ClientSession, backoff: Backoff) -> None:
        """Authenticate, subscribe, and take each change until the connection ends."""
        async with session.ws_connect(self.ws_url, heartbeat=HEARTBEAT_S) as ws:
            await self._authenticate(ws)
            await ws.send_json({"id": SUBSCRIPTION, "type": "subscribe_events", "event_type": "state_changed"})
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    if self._on_text(msg.data):
                        backoff.reset()
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    raise Failure("sources.err.closed", f"the connection failed: {ws.exception()}")

    async def _authenticate(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        hello = await _receive(ws, self.timeout_s)
        if hello.get("type") != "auth_required":
            raise Failure("sources.err.bad_answer", "no auth_required", detail=excerpt(hello))
        await ws.send_json({"type": "auth", "access_token": self._token})
        answer = await _receive(ws, self.timeout_s)
        if answer.get("type") == "auth_invalid":
            raise Failure(AUTH, "the token was refused")
        if answer.get("type") != "auth_ok":
            raise Failure("sources.err.bad_answer", "no auth_ok", detail=excerpt(answer))

    def _on_text(self, text: str) -> bool:
        """Take one WebSocket message (or a list of them); True when our subscription is confirmed."""
        try:
            payload = json.loads(text)
        except ValueError:
            self.reject("websocket", "sources.reject.not_json", "not JSON", text[:120])
            return False
        subscribed = False
        for msg in payload if isinstance(payload, list) else [payload]:
            if not isinstance(msg, dict):
                self.reject("websocket", "sources.reject.shape", "a message is not an object", excerpt(msg))
            elif msg.get("id") != SUBSCRIPTION:
                continue  # a pong, or an answer to a request that is not ours
            elif msg.get("type") == "result":
                if msg.get("success") is not True:
                    raise Failure("sources.err.subscribe", f"subscribing was refused: {excerpt(msg.get('error'))}")
                self.connected()
                subscribed = True
            elif msg.get("type") == "event":
                self.message()
                self._on_event(msg.get("event"))
        return subscribed

    def _on_event(self, event: Any) -> None:
        data = event.get("data") if isinstance(event, dict) else None
        entity_id = data.get("entity_id") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(entity_id, str):
            self.reject("websocket", "sources.reject.shape", "an event without data.entity_id", excerpt(event))
            return
        new_state = data.get("new_state")
        if new_state is None:  # the entity was removed
            self.set_available(entity_id, False)
            return
        self._take_state(new_state, entity_id)

    def _take_state(self, state: Any, where: str) -> str | None:
        """Track and read one state object; its entity id if it is one of our sensors."""
        if not isinstance(state, dict):
            self.reject(where, "sources.reject.shape", "a state is not an object", excerpt(state))
            return None
        entity_id, value, attributes = state.get("entity_id"), state.get("state"), state.get("attributes")
        if not isinstance(entity_id, str) or not isinstance(value, str) or not isinstance(attributes, dict):
            self.reject(where, "sources.reject.shape", "a state without entity_id, state, attributes", excerpt(state))
            return None
        metric = attributes.get("device_class")
        if metric not in DEVICE_CLASSES:
            return None
        unit = _unit(str(metric), attributes.get("unit_of_measurement"))
        friendly = attributes.get("friendly_name")
        info = SensorInfo(
            self.name,
            entity_id,
            friendly if isinstance(friendly, str) and friendly else entity_id,
            "homeassistant",
            PERIOD_S,
            "" if unit else "sources.reject.unit",
        )
        if self.found(info) is None or unit is None:
            return entity_id
        if value in OFFLINE_STATES:
            self.set_available(entity_id, False)
            return entity_id
        self._read(entity_id, str(metric), unit, value, state.get("last_updated"))
        return entity_id

    def _read(self, entity_id: str, metric: str, unit: str, value: str, last_updated: Any) -> None:
        number = finite(value)
        if number is None:
            self.reject(entity_id, "sources.reject.not_number", value[:40], sensor_id=entity_id)
            return
        ts = now() if last_updated is None else iso_seconds(last_updated)
        if ts is None:
            self.reject(entity_id, "sources.reject.bad_time", str(last_updated)[:40], sensor_id=entity_id)
            return
        self.set_available(entity_id, True)
        if metric == "temperature":
            reading = SourceReading(self.name, entity_id, ts, raw_temperature=number, raw_unit=unit)
        else:
            reading = SourceReading(self.name, entity_id, ts, humidity_pct=number)
        self.emit(reading, where=entity_id)


def base_url(url: str) -> str:
    """``url`` without a trailing slash; ``SourceInputError`` unless it is http(s)."""
    text = url.strip().rstrip("/")
    scheme, _, rest = text.partition("://")
    if scheme not in ("http", "https") or not rest:
        raise SourceInputError("sources.err.url", option="url")
    return text


def websocket_url(url: str) -> str:
    return "ws" + url[len("http") :] + "/api/websocket"


def _unit(metric: str, text: Any) -> str | None:
    """C, F or K for a temperature, "%" for a humidity; None for a unit we cannot read."""
    if text is not None and not isinstance(text, str):
        return None
    if metric == "humidity":
        return "%" if (text or "%").strip() == "%" else None
    return unit_of(text)


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _failure_of(err: BaseException, url: str, timeout_s: float) -> Failure:
    if isinstance(err, TimeoutError):
        return Failure("sources.err.timeout", f"no answer within {timeout_s:g} s", seconds=timeout_s)
    text = str(err) or type(err).__name__
    return Failure("sources.err.unreachable", f"cannot reach {url}: {text}", error=text)


async def _get_json(session: aiohttp.ClientSession, url: str, timeout_s: float) -> Any:
    try:
        async with session.get(url) as resp:
            status, reason, raw = resp.status, resp.reason or "", await read_capped(resp)
    except (aiohttp.ClientError, TimeoutError) as err:
        raise _failure_of(err, url, timeout_s) from err
    if status == 401:
        raise Failure(AUTH, "the token was refused")
    if status >= 400:
        raise Failure("sources.err.http", f"HTTP {status}: {reason}", status=status, reason=reason)
    try:
        return json.loads(raw)
    except ValueError as err:
        raise Failure("sources.err.bad_answer", f"{url} did not answer JSON", detail=url) from err


async def _receive(ws: aiohttp.ClientWebSocketResponse, timeout_s: float) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout_s)
    if msg.type is not aiohttp.WSMsgType.TEXT:
        raise Failure("sources.err.closed", "Home Assistant closed the connection")
    try:
        payload = json.loads(msg.data)
    except ValueError as err:
        raise Failure("sources.err.bad_answer", "a message is not JSON", detail=str(msg.data)[:120]) from err
    if not isinstance(payload, dict):
        raise Failure("sources.err.bad_answer", "a message is not an object", detail=excerpt(payload))
    return payload


async def check(options: dict[str, Any], timeout_s: float = 5.0) -> tuple[bool, str, dict[str, Any]]:
    """Test the settings once (the Sources page's "test connection"): ``GET /api/`` with the token."""
    token = options.get("token")
    try:
        url = base_url(str(options.get("url") or ""))
    except SourceInputError as err:
        return False, err.code, err.params
    if not isinstance(token, str) or not token:
        return False, AUTH, {}
    try:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout_s), headers=_headers(token)
        ) as session:
            body = await _get_json(session, f"{url}/api/", timeout_s)
    except Failure as err:
        key = "sources.check.timeout" if err.key == "sources.err.timeout" else err.key
        return False, key, {k: _hide(v, token) for k, v in err.params.items()}
    if not isinstance(body, dict) or body.get("message") != "API running.":
        return False, "sources.err.bad_answer", {"detail": _hide(excerpt(body), token)}
    return True, "sources.check.ok", {"where": url, "message": body["message"]}


def _hide(value: Any, token: str) -> Any:
    return value.replace(token, "•••") if isinstance(value, str) else value
