"""What a topic is, by its shape (``classify``), and the topics HA discovery names (``Registry``).

Pure and event-free: ``mqtt_parse`` keeps the parser's state and turns this into events.
Shapes, first match wins (a topic a discovery config named is checked before them):

    zigbee2mqtt/<name>[/availability]        Zigbee2MQTT; the friendly name may hold "/"
    homeassistant/sensor/[<node>/]<object>/config      Home Assistant discovery
    shellies/<id>/sensor/temperature|humidity|battery   Shelly Gen1; shellies/<id>/online
    tele/<topic>/SENSOR, tele/<topic>/LWT               Tasmota
    <node>/sensor/<object_id>/state, <node>/status      ESPHome ("temp"/"hum" objects)
    <prefix>/status/temperature:N, humidity:N, devicepower:N; <prefix>/online   Shelly Gen2+

Discovery configs are read as HA reads them (abbreviated keys such as ``stat_t`` spelled
out, a ``~`` base applied); only device classes temperature and humidity are ours.
Templates are never evaluated: ``{{ value_json.<key> }}`` (also ``['key']``, ``["key"]``)
picks a key of a JSON payload, none or ``{{ value }}`` means the payload is the number;
anything richer is listed as unsupported and its state messages ignored. A config whose
state topic a family above reads is skipped (Z2M, ESPHome and Tasmota publish both: the
native message says more, and one device stays one sensor).

Grouping: the configs of one device (``device.identifiers[0]``, else ``device.name``) are
one sensor with that id, so a temperature and a humidity config, on one state topic or
two, make one sensor. A config without a device, with an unsupported template, or a
second one of a metric on a device (a second probe) is a sensor of its own, with the
id ``unique_id``, else the topic's ``object_id``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container
from dataclasses import dataclass
from typing import Any, NamedTuple

from services.sources.clean import unit_of
from services.sources.model import SensorInfo, SourceReading, finite

FAMILY, PERIOD_S = "discovery", 3600.0
METRICS = ("temperature", "humidity")
MAX_CONFIGS = 10_000  # per source; more are refused
READS = frozenset({"z2m", "tasmota", "esphome", "shelly1", "shelly2"})  # route kinds that carry values

_ABBREVIATIONS = {  # HA's, for the keys read here ("t" in an availability entry, "ids" in a device)
    **{"stat_t": "state_topic", "dev_cla": "device_class", "unit_of_meas": "unit_of_measurement"},
    **{"val_tpl": "value_template", "uniq_id": "unique_id", "dev": "device", "ids": "identifiers"},
    **{"avty_t": "availability_topic", "avty": "availability", "t": "topic"},
    **{"pl_avail": "payload_available", "pl_not_avail": "payload_not_available"},
}
_KEY = r"""(?:\.\s*(\w+)|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\])"""
_JSON_TEMPLATE = re.compile(r"\{\{\s*value_json\s*" + _KEY + r"\s*\}\}")
_VALUE_TEMPLATE = re.compile(r"\{\{\s*value\s*\}\}")
_GEN2 = re.compile(r"(temperature|humidity|devicepower):(\d+)")

Watch = tuple[str, str, str]  # an availability topic, its payload when available, when not


class Route(NamedTuple):
    """What a topic is: its kind, the sensor or device it names, the part it carries."""

    kind: str  # z2m tasmota esphome shelly1 shelly2 avail config state unknown
    key: str = ""
    part: str = ""


@dataclass(frozen=True)
class Problem:
    """Why a payload cannot be used: an i18n key and a few words."""

    reason: str
    detail: str = ""


Reading = SourceReading | tuple[str, Problem]  # a reading, or (sensor id, what is wrong)


@dataclass(frozen=True)
class Binding:
    """One discovery config: the metric a state topic carries, and how to read it."""

    metric: str  # temperature or humidity
    state_topic: str
    unit: str  # C, F or K for a temperature, % for humidity
    key: str | None  # the key of ``value_json.<key>``; None: the payload is the number
    unsupported: str  # the template, when it is one we do not evaluate
    own_id: str  # unique_id, else the object_id of the config topic
    name: str
    device_id: str
    device_name: str
    availability: tuple[Watch, ...] = ()


@dataclass(frozen=True)
class Change:
    """What one config message did: sensors to announce again (or drop), topics to read."""

    sensors: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()
    problem: Problem | None = None
    sensor_id: str = ""  # the sensor the problem is about


# -- topics ---------------------------------------------------------------------------


def classify(topic: str) -> Route | None:
    """A topic by its shape alone; None for one left alone on purpose."""
    parts = topic.split("/")
    route: Route | None
    if parts[0] == "zigbee2mqtt":
        name = parts[1:]
        if not name or name[0] == "bridge" or {"set", "get"} & set(name[1:]):
            return None
        route = Route("avail") if len(name) > 1 and name[-1] == "availability" else Route("z2m", "/".join(name))
    elif parts[0] == "homeassistant":
        is_config = parts[-1] == "config" and len(parts) in (4, 5) and parts[1] == "sensor"
        return Route("config") if is_config else None
    elif parts[0] == "shellies":
        if len(parts) == 4 and parts[2] == "sensor" and parts[3] in ("temperature", "humidity", "battery"):
            route = Route("shelly1", parts[1], parts[3])
        else:
            return Route("avail") if len(parts) == 3 and parts[2] == "online" else None
    elif parts[0] == "tele":
        if len(parts) < 3 or parts[-1] not in ("SENSOR", "LWT"):
            return None
        route = Route("tasmota", "/".join(parts[1:-1])) if parts[-1] == "SENSOR" else Route("avail")
    else:
        route = _by_tail(parts)
    return Route("unknown") if route is not None and route.kind in READS and not route.key else route


def _by_tail(parts: list[str]) -> Route | None:
    if len(parts) >= 4 and parts[-3] == "sensor" and parts[-1] == "state":
        name = parts[-2].lower()  # "internal_temperature" is the chip's, not the room's
        metric = "" if "internal" in name else "humidity" if "hum" in name else "temperature" if "temp" in name else ""
        return Route("esphome", "/".join(parts[:-3]), metric) if metric else None
    if len(parts) >= 2 and parts[-1] in ("status", "online"):
        return Route("avail")
    if len(parts) >= 3 and parts[-2] == "status":
        return Route("shelly2", "/".join(parts[:-2]), parts[-1]) if _GEN2.fullmatch(parts[-1]) else None
    return Route("unknown")


def read_natively(topic: str) -> bool:
    """Whether a family reads values from this topic itself."""
    route = classify(topic)
    return route is not None and route.kind in READS


# -- payloads -------------------------------------------------------------------------


def json_object(payload: bytes | str) -> dict[str, Any] | Problem:
    """The payload as a JSON object, or why it is not one."""
    try:
        data = json.loads(payload)
    except UnicodeDecodeError:
        return Problem("sources.reject.not_json", "not UTF-8 text")
    except json.JSONDecodeError as err:
        return Problem("sources.reject.not_json", f"{err.msg} at character {err.pos}")
    except RecursionError:
        return Problem("sources.reject.not_json", "nested too deep")
    except ValueError:  # Python's limit on an integer's digits
        return Problem("sources.reject.not_json", "a number with too many digits")
    if not isinstance(data, dict):
        kind = "list" if isinstance(data, list) else "string" if isinstance(data, str) else "number or constant"
        return Problem("sources.reject.not_json", f"a JSON {kind}, not an object")
    return data


def number(value: Any) -> float | None:
    """``value`` as a finite float, or None (also for an integer too large for a float)."""
    if type(value) is float:  # the common case, every message: no conversion to try
        return value if math.isfinite(value) else None
    return finite(value)


def show(value: Any) -> str:
    """A value as a few characters of JSON, for a detail."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


# -- discovery configs ----------------------------------------------------------------


def read_template(template: str) -> tuple[str | None, str]:
    """(the JSON key it picks, None for the plain payload; the template if unsupported)."""
    text = template.strip()
    if not text or _VALUE_TEMPLATE.fullmatch(text):
        return None, ""
    match = _JSON_TEMPLATE.fullmatch(text)
    return (None, text) if match is None else (next(g for g in match.groups() if g is not None), "")


def read_config(topic: str, payload: bytes) -> Binding | Problem | None:
    """A config payload as a binding; None for a device class that is not ours."""
    data = json_object(payload)
    if isinstance(data, Problem):
        return data
    config = _expand(data)
    metric = config.get("device_class")
    if metric not in METRICS:
        return None
    state_topic = config.get("state_topic")
    if not isinstance(state_topic, str) or not state_topic.strip():
        return Problem("sources.reject.no_state_topic", "the config has no state_topic")
    if "+" in state_topic or "#" in state_topic:
        return Problem("sources.reject.no_state_topic", f"state_topic {state_topic!r} is a wildcard")
    unit = _unit(str(metric), config.get("unit_of_measurement"))
    if isinstance(unit, Problem):
        return unit
    template = config.get("value_template")
    key, unsupported = read_template(template if isinstance(template, str) else "")
    ids = config["device"].get("identifiers")
    first = ids[0] if isinstance(ids, list) and ids else ids
    device_name = _text(config["device"].get("name"))
    own_id = _text(config.get("unique_id")) or topic.split("/")[-2]
    name = _text(config.get("name"))
    device_id = _text(first) or device_name
    return Binding(
        str(metric), state_topic, unit, key, unsupported, own_id, name, device_id, device_name, _watches(config)
    )


def _expand(data: dict[str, Any]) -> dict[str, Any]:
    """Abbreviations spelled out and the ``~`` base applied, as HA does."""
    config = _long(data)
    device = config.get("device")
    config["device"] = _long(device) if isinstance(device, dict) else {}
    entries = config.get("availability")
    config["availability"] = [_long(e) for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    base = config.get("~")
    if not isinstance(base, str):
        return config
    for entry in (config, *config["availability"]):
        for key in ("state_topic", "availability_topic", "topic"):
            value = entry.get(key)
            if isinstance(value, str) and value.startswith("~"):
                entry[key] = base + value[1:]
            elif isinstance(value, str) and value.endswith("~"):
                entry[key] = value[:-1] + base
    return config


def _long(data: dict[str, Any]) -> dict[str, Any]:
    return {_ABBREVIATIONS.get(key, key): value for key, value in data.items()}


def _unit(metric: str, raw: Any) -> str | Problem:
    if raw is not None and not isinstance(raw, str):
        return Problem("sources.reject.unit", f"unit_of_measurement {show(raw)} is not text")
    if metric == "humidity":
        return "%" if raw in (None, "%") else Problem("sources.reject.unit", f"humidity in {raw!r}, not %")
    unit = unit_of(raw)
    return unit if unit is not None else Problem("sources.reject.unit", f"temperature in {raw!r}")


def _watches(config: dict[str, Any]) -> tuple[Watch, ...]:
    watches = []
    for entry, key in ((config, "availability_topic"), *((e, "topic") for e in config["availability"])):
        topic = entry.get(key)
        if isinstance(topic, str) and topic and "+" not in topic and "#" not in topic:
            on = _text(entry.get("payload_available")) or "online"
            off = _text(entry.get("payload_not_available")) or "offline"
            watches.append((topic, on, off))
    return tuple(watches)


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _present(*sensor_ids: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for s in sensor_ids if s))


class Registry:
    """Discovery configs grouped into sensors, and the state topics they are read from."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._bindings: dict[str, Binding] = {}  # config topic → its binding
        self._sensor_of: dict[str, str] = {}  # config topic → the sensor it is part of
        self._groups: dict[str, set[str]] = {}  # sensor → its config topics
        # state topic → its config topics; an emptied entry stays (bounded) so that
        # messages still arriving on it are ignored, not refused as unknown
        self._topics: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._bindings)

    def has_topic(self, topic: str) -> bool:
        return topic in self._topics

    def apply(self, config_topic: str, payload: bytes) -> Change:
        """A message on a config topic (an emptied one removes its sensor)."""
        binding = read_config(config_topic, payload) if payload.strip() else None
        if isinstance(binding, Problem):
            return Change(problem=binding, sensor_id=self._sensor_of.get(config_topic, ""))
        if binding is None or read_natively(binding.state_topic):
            return Change(_present(self.remove(config_topic)))
        if config_topic not in self._bindings and len(self._bindings) >= MAX_CONFIGS:
            return Change(problem=Problem("sources.reject.too_many", f"over {MAX_CONFIGS} discovery configs"))
        topics = () if binding.unsupported else (binding.state_topic, *(w[0] for w in binding.availability))
        before = self._sensor_of.get(config_topic)
        if not self.put(config_topic, binding):
            return Change(subscribe=topics)  # the same config again (a reconnect)
        after = self._sensor_of[config_topic]
        problem = Problem("sources.reject.template", binding.unsupported[:160]) if binding.unsupported else None
        return Change(_present(before, after), topics, problem, after)

    def put(self, config_topic: str, binding: Binding) -> bool:
        """Add or replace a config; False when it is the one already held (seen again)."""
        if self._bindings.get(config_topic) == binding:
            return False
        self.remove(config_topic)
        sensor_id = self._sensor_id(binding)
        self._bindings[config_topic] = binding
        self._sensor_of[config_topic] = sensor_id
        self._groups.setdefault(sensor_id, set()).add(config_topic)
        if len(self._topics) >= 2 * MAX_CONFIGS:
            self._topics = {topic: configs for topic, configs in self._topics.items() if configs}
        self._topics.setdefault(binding.state_topic, set()).add(config_topic)
        return True

    def remove(self, config_topic: str) -> str | None:
        """Forget a config; the sensor it was part of (None if it was not held)."""
        binding = self._bindings.pop(config_topic, None)
        if binding is None:
            return None
        self._topics[binding.state_topic].discard(config_topic)
        sensor_id = self._sensor_of.pop(config_topic)
        self._groups[sensor_id].discard(config_topic)
        if not self._groups[sensor_id]:
            del self._groups[sensor_id]
        return sensor_id

    def info(self, sensor_id: str) -> SensorInfo | None:
        """What the sensor says of itself, from its configs; None once it has none."""
        members = self._members(sensor_id)
        if not members:
            return None
        first = members[0]
        name = first.device_name or first.name or sensor_id  # a device's sensor
        if first.unsupported or sensor_id != first.device_id:  # a config's own
            both = first.name and first.device_name and not first.name.startswith(first.device_name)
            name = f"{first.device_name} {first.name}" if both else first.name or name
        return SensorInfo(self.source, sensor_id, name, FAMILY, PERIOD_S, first.unsupported)

    def watches(self, sensor_id: str) -> tuple[Watch, ...]:
        """The availability topics of a sensor's configs (none for an unsupported one)."""
        return tuple(dict.fromkeys(w for b in self._members(sensor_id) if not b.unsupported for w in b.availability))

    def read(self, topic: str, payload: bytes, now: float, known: Container[str]) -> list[Reading]:
        """A message on a state topic: a reading for each sensor whose keys it has."""
        readers = [(self._sensor_of[c], self._bindings[c]) for c in sorted(self._topics.get(topic, ()))]
        readers = [(s, b) for s, b in readers if s in known and not b.unsupported]
        data: dict[str, Any] = {}
        if any(b.key is not None for _, b in readers):
            parsed = json_object(payload)
            if isinstance(parsed, Problem):
                return [(readers[0][0], parsed)]
            data = parsed
        text = payload.decode("utf-8", "replace").strip()
        out: list[Reading] = []
        values: dict[str, dict[str, tuple[float, str]]] = {}  # sensor → metric → (value, unit)
        for sensor_id, binding in readers:
            value = _bound_value(binding, text, data)
            if isinstance(value, Problem):
                out.append((sensor_id, value))
            elif value is not None:
                values.setdefault(sensor_id, {})[binding.metric] = (value, binding.unit)
        refused = {r[0] for r in out if isinstance(r, tuple)}
        for sensor_id, got in values.items():
            if sensor_id not in refused:
                (temp, unit), (hum, _) = got.get("temperature", (None, "C")), got.get("humidity", (None, ""))
                out.append(SourceReading(self.source, sensor_id, now, temp, unit, hum))
        return out

    def _members(self, sensor_id: str) -> list[Binding]:
        return [self._bindings[c] for c in sorted(self._groups.get(sensor_id, ()))]

    def _sensor_id(self, binding: Binding) -> str:
        if binding.unsupported or not binding.device_id:
            return binding.own_id
        taken = any(b.metric == binding.metric for b in self._members(binding.device_id))
        return binding.own_id if taken else binding.device_id


def _bound_value(binding: Binding, text: str, data: dict[str, Any]) -> float | Problem | None:
    """What one config reads from a state message: None when its key is not in it."""
    if binding.key is not None and binding.key not in data:
        return None
    raw = text if binding.key is None else data[binding.key]
    value = number(raw) if len(text) <= 100 or binding.key is not None else None
    what = binding.key or binding.metric
    return value if value is not None else Problem("sources.reject.not_number", f"{what} is {show(raw)}")
