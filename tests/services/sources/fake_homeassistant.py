"""A loopback Home Assistant: ``/api/``, ``/api/states`` and ``/api/websocket`` in their documented shapes.

``async with FakeHomeAssistant() as ha:`` serves ``ha.url`` with the token ``TOKEN``
(``ws_token`` makes the WebSocket expect another, to refuse the one REST accepted).
A test changes a state silently (``set_state``), pushes a ``state_changed`` event to the
subscribers (``push``) or any payload (``send_raw``), drops the connections (``drop``),
and waits for the source to reach a point (``wait_for``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from tests.services.sources.loopback import serve

TOKEN = "eyJhbGciOiJIUzI1NiJ9.fake-long-lived-token"
UPDATED = "2026-11-27T10:45:12.500000+00:00"


def state(entity_id: str, value: str, last_updated: str = UPDATED, **attributes: Any) -> dict[str, Any]:
    return {
        "entity_id": entity_id,
        "state": value,
        "attributes": attributes,
        "last_changed": last_updated,
        "last_reported": last_updated,
        "last_updated": last_updated,
        "context": {"id": "01JDXYZ", "parent_id": None, "user_id": None},
    }


def initial_states() -> dict[str, dict[str, Any]]:
    states = [
        state(
            "sensor.living_room_temperature",
            "21.5",
            "2026-11-27T11:45:12.5+01:00",  # the same instant as UPDATED, told with an offset
            device_class="temperature",
            unit_of_measurement="°C",
            state_class="measurement",
            friendly_name="Living room temperature",
        ),
        state(
            "sensor.living_room_humidity",
            "48",
            device_class="humidity",
            unit_of_measurement="%",
            state_class="measurement",
            friendly_name="Living room humidity",
        ),
        state(
            "sensor.porch_temperature",
            "41.0",
            device_class="temperature",
            unit_of_measurement="°F",
            friendly_name="Porch temperature",
        ),
        state(
            "sensor.attic_temperature",
            "unavailable",
            device_class="temperature",
            unit_of_measurement="°C",
            friendly_name="Attic temperature",
        ),
        state("light.kitchen", "on", friendly_name="Kitchen light", brightness=200, color_mode="brightness"),
    ]
    return {s["entity_id"]: s for s in states}


class FakeHomeAssistant:
    def __init__(self, token: str = TOKEN, *, ws_token: str | None = None) -> None:
        self.token = token
        self.ws_token = token if ws_token is None else ws_token
        self.states = initial_states()
        self.state_requests = 0
        self.connections = 0  # WebSocket connections that passed auth
        self.subscriptions = 0
        self.port = 0
        self._subscribers: dict[web.WebSocketResponse, int] = {}  # socket → its subscription id
        self._sockets: set[web.WebSocketResponse] = set()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeHomeAssistant:
        app = web.Application()
        app.router.add_get("/api/", self._api)
        app.router.add_get("/api/states", self._states)
        app.router.add_get("/api/websocket", self._websocket)
        self._runner, self.port = await serve(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.drop()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what a test does ---------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    def set_state(self, entity_id: str, value: str, last_updated: str = UPDATED, **attributes: Any) -> dict[str, Any]:
        """Change a state without telling anyone (as if it changed while the source was away)."""
        old = self.states.get(entity_id)
        merged = (old["attributes"] if old else {}) | attributes
        new = self.states[entity_id] = state(entity_id, value, last_updated, **merged)
        return new

    async def push(self, entity_id: str, value: str, last_updated: str = UPDATED, **attributes: Any) -> None:
        old = self.states.get(entity_id)
        new = self.set_state(entity_id, value, last_updated, **attributes)
        data = {"entity_id": entity_id, "old_state": old, "new_state": new}
        await self.send_event({"event_type": "state_changed", "data": data, "origin": "LOCAL"})

    async def send_event(self, event: Any) -> None:
        for ws, sub_id in list(self._subscribers.items()):
            await ws.send_json({"id": sub_id, "type": "event", "event": event})

    async def send_raw(self, text: str) -> None:
        for ws in list(self._subscribers):
            await ws.send_str(text)

    async def drop(self) -> None:
        """Close every WebSocket connection, as a restarting server does."""
        for ws in list(self._sockets):
            await ws.close()

    # -- the API ------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _api(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text="401: Unauthorized")
        return web.json_response({"message": "API running."})

    async def _states(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text="401: Unauthorized")
        self.state_requests += 1
        return web.json_response(list(self.states.values()))

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_json({"type": "auth_required", "ha_version": "2026.11.2"})
            auth = await ws.receive_json(timeout=5)
            if auth.get("type") != "auth" or auth.get("access_token") != self.ws_token:
                await ws.send_json({"type": "auth_invalid", "message": "Invalid access token or password"})
                return ws
            await ws.send_json({"type": "auth_ok", "ha_version": "2026.11.2"})
            await self._note(connections=1)
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._command(ws, json.loads(msg.data))
        finally:
            self._sockets.discard(ws)
            self._subscribers.pop(ws, None)
            await ws.close()
        return ws

    async def _command(self, ws: web.WebSocketResponse, command: dict[str, Any]) -> None:
        if command.get("type") == "subscribe_events" and command.get("event_type") == "state_changed":
            await ws.send_json({"id": command["id"], "type": "result", "success": True, "result": None})
            self._subscribers[ws] = command["id"]
            await self._note(subscriptions=1)
        elif command.get("type") == "ping":
            await ws.send_json({"id": command["id"], "type": "pong"})

    async def _note(self, connections: int = 0, subscriptions: int = 0) -> None:
        async with self._changed:
            self.connections += connections
            self.subscriptions += subscriptions
            self._changed.notify_all()
