"""An MQTT broker as a source (aiomqtt): subscribe, parse every payload family
(``mqtt_parse``), reconnect with exponential backoff and subscribe again.

What a broker keeps (retained messages: discovery configs, a device's last state) comes
again after every reconnect; a retained message equal to the last message read on its
topic is not a new reading and is skipped. (The first retained state after a start is
read: a sensor that reports hourly is shown at once, at the time it arrived.) Messages
that arrive while we are away are the broker's to keep (it does not, for a clean
session); everything received after a reconnect is read.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import ssl
from collections import OrderedDict
from typing import Any

import aiomqtt

from services.sources.base import BaseSource
from services.sources.model import now
from services.sources.mqtt_parse import (
    DEFAULT_TOPICS,
    Availability,
    Bad,
    Event,
    Found,
    Gone,
    MqttParser,
    Subscribe,
    Value,
)

logger = logging.getLogger(__name__)

RETAINED_KEPT = 20_000  # topics whose last payload is remembered (oldest forgotten first)
MAX_PAYLOAD = 64 * 1024
MAX_EXTRA_TOPICS = 10_000  # as many as the parser keeps discovery configs
MAX_TOPIC_CHARS = 512
MAX_QUEUED = 20_000  # messages aiomqtt holds for us: 10 s of a busy broker
AUTH_CODES = (4, 5, 134, 135)  # bad user name or password, not authorised (MQTT 3.1.1 and 5)


def _error(err: BaseException) -> str:
    """A connection error in words; refused credentials as the i18n key the page translates."""
    rc = getattr(err, "rc", None)
    code = getattr(rc, "value", rc)
    if code in AUTH_CODES:
        return "sources.err.auth"
    return str(err) or type(err).__name__


class MqttSource(BaseSource):
    kind = "mqtt"
    pairs_halves = True

    def __init__(
        self,
        name: str,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        username: str = "",
        password: str = "",
        tls: bool = False,
        topics: list[str] | tuple[str, ...] = (),
        timeout_s: float = 10.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        super().__init__(name, secrets=(password,))
        self.host, self.port = host, port
        self._username, self._password, self._tls = username or None, password or None, tls
        self.topics = list(topics or DEFAULT_TOPICS)
        self.timeout_s = timeout_s
        self.max_backoff_s = max_backoff_s
        self._parser = MqttParser(name, max_payload=MAX_PAYLOAD)
        self._extra_topics: dict[str, None] = {}  # discovered state topics, in order
        self._retained: OrderedDict[str, bytes] = OrderedDict()
        self._status.extra = {"broker": f"{host}:{port}", "subscriptions": len(self.topics)}

    def client(self) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.host,
            self.port,
            username=self._username,
            password=self._password,
            identifier=f"looplens-{self.name}-{os.getpid()}",
            timeout=self.timeout_s,
            keepalive=30,
            tls_context=ssl.create_default_context() if self._tls else None,
            max_queued_incoming_messages=MAX_QUEUED,
        )

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                async with self.client() as client:
                    await client.subscribe([(topic, 0) for topic in [*self.topics, *self._extra_topics]])
                    self.connected()
                    logger.info("source %s: connected to %s:%d", self.name, self.host, self.port)
                    delay = 0.5
                    await self._read(client)
            except (aiomqtt.MqttError, ValueError) as err:  # ValueError: a filter paho refuses
                self.retrying(_error(err))
                logger.info("source %s: %s; again in %.1f s", self.name, self._status.error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff_s)

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            topic = message.topic.value
            payload = _bytes(message.payload)
            self.message()
            if len(topic) > MAX_TOPIC_CHARS:
                self.reject(topic, "sources.reject.too_big", f"a topic of {len(topic)} characters")
                continue
            if self._seen(topic, payload) and message.retain:
                continue  # the broker's copy of what we already read (again after a reconnect)
            for event in self._parser.parse(topic, payload, now()):
                if not isinstance(event, Subscribe):
                    self._apply(event, topic, payload)
                elif self._wanted(event.topic):
                    await client.subscribe(event.topic)

    def _seen(self, topic: str, payload: bytes) -> bool:
        """Whether ``payload`` is the last one read on ``topic`` (every message is remembered,
        so a retained copy of a live one is known when the broker sends it again)."""
        digest = hashlib.blake2b(payload, digest_size=16).digest()
        if self._retained.get(topic) == digest:
            return True
        self._retained[topic] = digest
        self._retained.move_to_end(topic)
        if len(self._retained) > RETAINED_KEPT:
            self._retained.popitem(last=False)
        return False

    def _apply(self, event: Event, topic: str, payload: bytes) -> None:
        if isinstance(event, Value):
            self.emit(event.reading, topic)
        elif isinstance(event, Found):
            self.found(event.info)
        elif isinstance(event, Availability):
            self.set_available(event.sensor_id, event.available)
        elif isinstance(event, Bad):
            excerpt = "" if len(payload) > MAX_PAYLOAD else payload[:200].decode("utf-8", "replace")
            self.reject(topic, event.reason, event.detail, excerpt, event.sensor_id)
        elif isinstance(event, Gone):
            self.forget(event.sensor_id)

    def _wanted(self, topic: str) -> bool:
        """A discovered state topic, new and within the cap: kept, and subscribed again on reconnect."""
        if topic in self._extra_topics or len(self._extra_topics) >= MAX_EXTRA_TOPICS:
            return False
        self._extra_topics[topic] = None
        self._status.extra["subscriptions"] = len(self.topics) + len(self._extra_topics)
        return True


def _bytes(payload: Any) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()


async def check(options: dict[str, Any], timeout_s: float = 5.0) -> tuple[bool, str, dict[str, Any]]:
    """Connect once with these settings (the Sources page's "test connection")."""
    source = MqttSource("check", timeout_s=timeout_s, **{k: v for k, v in options.items() if k != "topics"})
    try:
        async with asyncio.timeout(timeout_s + 1), source.client():
            return True, "sources.check.ok", {"where": f"{source.host}:{source.port}"}
    except aiomqtt.MqttError as err:
        key = _error(err)
        if key.startswith("sources.err."):
            return False, key, {}
        return False, "sources.check.failed", {"detail": source.redact(key)[:200]}
    except TimeoutError:
        return False, "sources.check.timeout", {"seconds": timeout_s}
