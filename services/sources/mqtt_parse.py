"""One MQTT message in, what it means out: pure, no I/O (``mqtt`` does the broker side).

    MqttParser(source).parse(topic, payload, now) -> [Found | Gone | Availability | Value | Bad | Subscribe]

Families (the topic shapes are in ``mqtt_topics``), each sensor's id and period:

    zigbee2mqtt   the friendly name, 1 h     JSON, °C; ``last_seen`` as its time
    tasmota       <topic>/<sensor object>, 5 min   one per nested object with Temperature
                  and/or Humidity ("AM2301", "DS18B20-1" …), in ``TempUnit``
    esphome       the node, 1 min            plain numbers, °C
    shelly        Gen1 <id>, 12 h; Gen2+ <prefix> (``:<id>`` when not 0), 2 h
    discovery     see ``mqtt_topics``, 1 h   what the config says

Ignored on purpose (``[]``): Z2M's bridge, ``/set`` and ``/get`` topics, and a plain
(non-JSON) payload under a device's topic (``output: attribute``, action topics); a
message without temperature or humidity (a plug); other Tasmota ``tele`` topics,
ESPHome objects and Shelly components; an empty payload (a retained message cleared),
except on a discovery config, where it removes the sensor (``Gone``).

Found comes before a sensor's first Value (or a Bad about its value), and again when
what it says of itself changes; availability heard before a sensor was known follows
its Found. A Shelly battery report rides along with the device's next readings. A valid
discovery config gives ``Subscribe`` each time it arrives, so a runtime reconnecting
with a clean session subscribes again. Malformed input is a ``Bad`` with an i18n key;
``parse`` never raises.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.sources.clean import unit_of
from services.sources.model import SensorInfo, SourceReading
from services.sources.mqtt_topics import Problem, Registry, Route, classify, json_object, number, show

logger = logging.getLogger(__name__)

MAX_SENSORS = 10_000  # per parser; more are refused
MAX_HEARD = 10_000  # availability payloads remembered for sensors not seen yet

DEFAULT_TOPICS: tuple[str, ...] = tuple(
    "zigbee2mqtt/# tele/+/SENSOR tele/+/LWT +/sensor/+/state +/status shellies/+/sensor/+ shellies/+/online"
    " +/status/+ +/online homeassistant/sensor/#".split()
)


@dataclass(frozen=True)
class Found:
    """A sensor seen for the first time, or what it says of itself changed."""

    info: SensorInfo


@dataclass(frozen=True)
class Gone:
    """A sensor removed by its source (an emptied retained discovery config)."""

    sensor_id: str


@dataclass(frozen=True)
class Availability:
    """A sensor said it is online or offline."""

    sensor_id: str
    available: bool


@dataclass(frozen=True)
class Value:
    """A reading as sent (``temperature_c`` is left to ``clean``)."""

    reading: SourceReading


@dataclass(frozen=True)
class Bad:
    """A message that cannot be used: ``reason`` an i18n key, ``detail`` a few words."""

    reason: str
    detail: str = ""
    sensor_id: str = ""


@dataclass(frozen=True)
class Subscribe:
    """A topic the runtime must subscribe to (a discovered state or availability topic)."""

    topic: str


Event = Found | Gone | Availability | Value | Bad | Subscribe
Vocab = tuple[str, str] | None  # payloads for online and offline; None: a family's own words
Watches = tuple[tuple[str, Vocab], ...]  # (availability topic, its vocabulary)
Handler = Callable[[Route, str, bytes, float], list[Event]]

_NATIVE_WORDS = {"online": True, "true": True, "offline": False, "false": False}
_TASMOTA_SKIP = frozenset({"ESP32"})  # the chip's own temperature, not the room's


class MqttParser:
    """Turns messages into events, remembering the sensors it has announced."""

    def __init__(self, source: str, *, max_payload: int = 64 * 1024) -> None:
        self.source = source
        self.max_payload = max_payload
        self._known: dict[str, SensorInfo] = {}
        self._watches: dict[str, Watches] = {}  # sensor → its availability topics
        self._watchers: dict[str, dict[str, Vocab]] = {}  # availability topic → its sensors
        self._heard: dict[str, str] = {}  # availability topic → its last payload (bounded)
        self._battery: dict[str, float] = {}  # device → its last battery report (bounded)
        self._discovery = Registry(source)
        kinds = ("z2m", "tasmota", "esphome", "shelly1", "shelly2", "avail", "state")  # route kind → ``_<kind>``
        self._handlers: dict[str, Handler] = {kind: getattr(self, f"_{kind}") for kind in kinds}

    def parse(self, topic: str, payload: bytes, now: float) -> list[Event]:
        """The events one message means; ``[]`` when it is ignored on purpose."""
        try:
            return self._parse(topic, payload, now)
        except Exception:  # a bug of ours must not stop the source: logged, the message refused
            logger.exception("the MQTT parser failed on a message on %r", topic)
            return [Bad("sources.reject.internal", "the parser failed on this message")]

    def statistics(self) -> dict[str, int]:
        """How full its bounded memories are."""
        return {
            "sensors": len(self._known),
            "discovery_configs": len(self._discovery),
            "availability_heard": len(self._heard),
            "batteries": len(self._battery),
        }

    def _parse(self, topic: str, payload: bytes, now: float) -> list[Event]:
        if self._discovery.has_topic(topic):
            route: Route | None = Route("state")
        else:
            route = Route("avail") if topic in self._watchers else classify(topic)
        if route is None:
            return []
        if route.kind == "unknown":
            return [Bad("sources.reject.unknown_topic", "no sensor family uses this topic")]
        if len(payload) > self.max_payload:
            return [Bad("sources.reject.too_big", f"{len(payload)} bytes, over the limit of {self.max_payload}")]
        if route.kind == "config":
            return self._config(topic, payload)
        if not payload or payload.isspace():
            return []  # a retained message cleared: nothing to read
        return self._handlers[route.kind](route, topic, payload, now)

    # -- sensors and their availability ------------------------------------------------

    def _announce(self, info: SensorInfo, watches: Watches) -> list[Event]:
        """Found when a sensor is new or says something new, then the availability heard."""
        sensor_id = info.sensor_id
        known = self._known.get(sensor_id)
        if known == info and self._watches.get(sensor_id) == watches:
            return []
        if known is None and len(self._known) >= MAX_SENSORS:
            return [Bad("sources.reject.too_many", f"more than {MAX_SENSORS} sensors", sensor_id)]
        events: list[Event] = [] if known == info else [Found(info)]
        self._known[sensor_id] = info
        self._unwatch(sensor_id)
        self._watches[sensor_id] = watches
        for topic, vocab in watches:
            self._watchers.setdefault(topic, {})[sensor_id] = vocab
            heard = self._heard.get(topic)
            available = None if heard is None else _available(heard, vocab)
            if available is not None:
                events.append(Availability(sensor_id, available))
        return events

    def _unwatch(self, sensor_id: str) -> None:
        for topic, _ in self._watches.pop(sensor_id, ()):
            watchers = self._watchers.get(topic, {})
            watchers.pop(sensor_id, None)
            if not watchers:
                self._watchers.pop(topic, None)

    def _emit(self, info: SensorInfo, availability_topic: str, result: SourceReading | Bad) -> list[Event]:
        events = self._announce(info, ((availability_topic, None),))
        if info.sensor_id in self._known:  # not refused as one too many
            events.append(Value(result) if isinstance(result, SourceReading) else result)
        return events

    def _avail(self, route: Route, topic: str, payload: bytes, now: float) -> list[Event]:
        text = payload[:200].decode("utf-8", "replace").strip()
        self._heard.pop(topic, None)
        self._heard[topic] = text
        if len(self._heard) > MAX_HEARD:
            del self._heard[next(iter(self._heard))]
        events: list[Event] = []
        for sensor_id, vocab in self._watchers.get(topic, {}).items():
            available = _available(text, vocab)
            words = "online or offline" if vocab is None else f"{vocab[0]!r} or {vocab[1]!r}"
            bad = Bad("sources.reject.availability", f"{show(text)} is not {words}", sensor_id)
            events.append(bad if available is None else Availability(sensor_id, available))
        return events

    # -- the families ------------------------------------------------------------------

    def _z2m(self, route: Route, topic: str, payload: bytes, now: float) -> list[Event]:
        if "/" in route.key and payload.lstrip()[:1] not in (b"{", b"["):
            return []  # an attribute or action topic (Z2M's output: attribute, legacy actions)
        data = json_object(payload)
        if isinstance(data, Problem):
            return [Bad(data.reason, data.detail, route.key)]
        pair = _pair(data, "temperature", "humidity", route.key)
        if pair is None:
            return []  # a plug, a switch …: not a climate sensor
        info = self._known.get(route.key)  # made once per sensor, not per message
        if info is None or info.family != "zigbee2mqtt":
            info = SensorInfo(self.source, route.key, route.key, "zigbee2mqtt", 3600.0)
        if isinstance(pair, Bad):
            return self._emit(info, f"zigbee2mqtt/{route.key}/availability", pair)
        ts, battery, lq = _z2m_time(data.get("last_seen"), now), number(data.get("battery")), data.get("linkquality")
        result = SourceReading(self.source, route.key, ts, pair[0], "C", pair[1], None, battery, number(lq))
        return self._emit(info, f"zigbee2mqtt/{route.key}/availability", result)

    def _tasmota(self, route: Route, topic: str, payload: bytes, now: float) -> list[Event]:
        data = json_object(payload)
        if isinstance(data, Problem):
            return [Bad(data.reason, data.detail)]
        unit = unit_of(str(data.get("TempUnit", "C")))
        if unit is None:
            return [Bad("sources.reject.unit", f"TempUnit {show(data.get('TempUnit'))}")]
        events: list[Event] = []
        for name, values in data.items():
            sensor_id = f"{route.key}/{name}"
            pair = _pair(values, "Temperature", "Humidity", sensor_id) if isinstance(values, dict) else None
            if pair is None or name in _TASMOTA_SKIP:
                continue  # Time, an energy meter, a switch …
            reading = (
                pair if isinstance(pair, Bad) else SourceReading(self.source, sensor_id, now, pair[0], unit, pair[1])
            )
            info = SensorInfo(self.source, sensor_id, sensor_id, "tasmota", 300.0)
            events += self._emit(info, f"tele/{route.key}/LWT", reading)
        return events

    def _esphome(self, route: Route, topic: str, payload: bytes, now: float) -> list[Event]:
        value = _plain(payload, route.part, route.key)
        result = value if isinstance(value, Bad) else self._reading(route.key, route.part, value, "C", now)
        return self._emit(SensorInfo(self.source, route.key, route.key, "esphome", 60.0), f"{route.key}/status", result)

    def _shelly1(self, route: Route, topic: str, payload: bytes, now: float) -> list[Event]:
        value = _plain(payload, route.part, route.key)
        if route.part == "battery":
            return [value] if isinstance(value, Bad) else self._keep_battery(route.key, value)
        result = value if isinstance(value, Bad) else self._reading(route.key, route.part, value, "C", now, route.key)
        info = SensorInfo(self.source, route.key, route.key, "shelly", 43200.0)
        return self._emit(info, f"shellies/{route.key}/online", result)

    def _shelly2(self, route: Route, topic: str, payload: bytes, now: float) -> list[Event]:
        component, _, index = route.part.partition(":")
        sensor_id = route.key if int(index) == 0 else f"{route.key}:{int(index)}"
        data = json_object(payload)
        if isinstance(data, Problem):
            return [Bad(data.reason, data.detail, sensor_id)]
        if component == "devicepower":  # {"battery": {"V": 5.9, "percent": 77}, "external": …}
            battery = data.get("battery")
            percent = battery.get("percent") if isinstance(battery, dict) else None
            value = number(percent)
            if percent is not None and value is None:
                return [Bad("sources.reject.not_number", f"battery is {show(percent)}", sensor_id)]
            return [] if value is None else self._keep_battery(route.key, value)
        key = "rh" if component == "humidity" else "tC"
        value = number(data.get(key))
        result: SourceReading | Bad
        if key not in data:
            result = Bad("sources.reject.no_value", f"{component} has no {key}", sensor_id)
        elif value is None:
            result = Bad("sources.reject.not_number", f"{key} is {show(data[key])}", sensor_id)
        else:
            result = self._reading(sensor_id, component, value, "C", now, route.key)
        info = SensorInfo(self.source, sensor_id, sensor_id, "shelly", 7200.0)
        return self._emit(info, f"{route.key}/online", result)

    def _reading(
        self, sensor_id: str, metric: str, value: float, unit: str, ts: float, device: str = ""
    ) -> SourceReading:
        battery = self._battery.get(device) if device else None
        if metric == "temperature":
            return SourceReading(self.source, sensor_id, ts, value, unit, battery=battery)
        return SourceReading(self.source, sensor_id, ts, humidity_pct=value, battery=battery)

    def _keep_battery(self, device: str, value: float) -> list[Event]:
        self._battery.pop(device, None)
        self._battery[device] = value
        if len(self._battery) > MAX_SENSORS:
            del self._battery[next(iter(self._battery))]
        return []

    # -- Home Assistant discovery --------------------------------------------------------

    def _config(self, topic: str, payload: bytes) -> list[Event]:
        change = self._discovery.apply(topic, payload)
        events = [event for sensor_id in change.sensors for event in self._regrouped(sensor_id)]
        if change.problem is not None:
            events.append(Bad(change.problem.reason, change.problem.detail, change.sensor_id))
        return events + [Subscribe(topic) for topic in change.subscribe]

    def _regrouped(self, sensor_id: str) -> list[Event]:
        """Found or Gone for a discovery sensor whose configs changed."""
        info = self._discovery.info(sensor_id)
        if info is not None:
            return self._announce(info, tuple((t, (on, off)) for t, on, off in self._discovery.watches(sensor_id)))
        self._unwatch(sensor_id)
        return [Gone(sensor_id)] if self._known.pop(sensor_id, None) is not None else []

    def _state(self, route: Route, topic: str, payload: bytes, now: float) -> list[Event]:
        # [] when only unsupported templates read it (listed once, then ignored) or its configs went
        readings = self._discovery.read(topic, payload, now, self._known)
        return [Value(r) if isinstance(r, SourceReading) else Bad(r[1].reason, r[1].detail, r[0]) for r in readings]


def _pair(data: dict[str, Any], temp: str, hum: str, sensor_id: str) -> tuple[float | None, float | None] | Bad | None:
    """(temperature, humidity) from a JSON object; None when it has neither key."""
    if temp not in data and hum not in data:
        return None
    values = []
    for key in (temp, hum):
        value = number(data[key]) if key in data else None
        if value is None and key in data:
            return Bad("sources.reject.not_number", f"{key} is {show(data[key])}", sensor_id)
        values.append(value)
    return values[0], values[1]


def _plain(payload: bytes, what: str, sensor_id: str) -> float | Bad:
    """A payload that is just a number ("21.4"); "nan" and words are refused."""
    text = payload[:100].decode("utf-8", "replace").strip()
    value = number(text) if len(payload) <= 100 else None
    return value if value is not None else Bad("sources.reject.not_number", f"{what} is {show(text)}", sensor_id)


def _available(text: str, vocab: Vocab) -> bool | None:
    """online/offline in a family's words or a discovery config's; None: neither."""
    if vocab is not None:
        return True if text == vocab[0] else False if text == vocab[1] else None
    if text.startswith("{"):  # Zigbee2MQTT: {"state": "online"}
        data = json_object(text)
        state = None if isinstance(data, Problem) else data.get("state")
        text = state if isinstance(state, str) else ""
    return _NATIVE_WORDS.get(text.lower())


def _z2m_time(value: Any, now: float) -> float:
    """Zigbee2MQTT's optional last_seen (ISO-8601 with a zone, or epoch ms); else now."""
    ts: float | None = None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return now
        ts = parsed.timestamp() if parsed.tzinfo is not None else None
    elif isinstance(value, int | float) and (ms := number(value)) is not None:
        ts = ms / 1000
    return ts if ts is not None and math.isfinite(ts) and ts > 0 else now
