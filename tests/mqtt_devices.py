"""MQTT devices, simulated: the messages each family publishes for one reading.

Payload builders only (no broker): each returns ``[(topic, payload, retain)]`` as the
real device sends it, for tests and the bench to feed a parser or publish to a broker.
"""

from __future__ import annotations

import json
from typing import Any

Message = tuple[str, bytes, bool]
BadMessage = tuple[str, bytes, bool, str]


def _json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _dew_point(temp: float, hum: float) -> float:
    return round(temp - (100 - hum) / 5, 1)  # the rule of thumb is close enough here


# -- Zigbee2MQTT ---------------------------------------------------------------------


def zigbee2mqtt(
    name: str, temp: float | None, hum: float | None, battery: int = 86, lq: int = 97, last_seen: Any = None
) -> list[Message]:
    """An Aqara-style climate sensor's state (JSON output, not retained)."""
    data: dict[str, Any] = {"battery": battery, "linkquality": lq, "voltage": 2995}
    if temp is not None:
        data["temperature"] = temp
    if hum is not None:
        data["humidity"] = hum
    if last_seen is not None:
        data["last_seen"] = last_seen
    return [(f"zigbee2mqtt/{name}", _json(data), False)]


def z2m_availability(name: str, online: bool = True, legacy: bool = False) -> list[Message]:
    state = "online" if online else "offline"
    return [(f"zigbee2mqtt/{name}/availability", state.encode() if legacy else _json({"state": state}), True)]


# -- Tasmota -------------------------------------------------------------------------


def tasmota(topic: str, temp: float, hum: float | None, unit: str = "C", sensor: str = "AM2301") -> list[Message]:
    """A ``tele/<topic>/SENSOR`` report (every TelePeriod, not retained)."""
    values: dict[str, Any] = {"Temperature": temp}
    if hum is not None:
        values |= {"Humidity": hum, "DewPoint": _dew_point(temp, hum)}
    data = {"Time": "2026-11-27T10:00:00", sensor: values, "TempUnit": unit}
    return [(f"tele/{topic}/SENSOR", _json(data), False)]


def tasmota_lwt(topic: str, online: bool = True) -> list[Message]:
    return [(f"tele/{topic}/LWT", b"Online" if online else b"Offline", True)]


# -- ESPHome -------------------------------------------------------------------------


def esphome(node: str, temp: float, hum: float) -> list[Message]:
    """Two sensor components' states (retained by default, one decimal)."""
    return [
        (f"{node}/sensor/{node}_temperature/state", f"{temp:.1f}".encode(), True),
        (f"{node}/sensor/{node}_humidity/state", f"{hum:.1f}".encode(), True),
    ]


def esphome_status(node: str, online: bool = True) -> list[Message]:
    return [(f"{node}/status", b"online" if online else b"offline", True)]


# -- Shelly --------------------------------------------------------------------------


def shelly_gen1(device_id: str, temp: float, hum: float, battery: int = 98) -> list[Message]:
    """A Gen1 H&T waking up: battery, temperature, humidity (plain values)."""
    topic = f"shellies/{device_id}/sensor"
    return [
        (f"{topic}/battery", str(battery).encode(), False),
        (f"{topic}/temperature", f"{temp:.2f}".encode(), False),
        (f"{topic}/humidity", f"{hum:.1f}".encode(), False),
    ]


def shelly_gen2(prefix: str, temp: float, hum: float, battery: int | None = 77, index: int = 0) -> list[Message]:
    """A Gen2+/Gen3 H&T's status notifications (JSON per component)."""
    messages: list[Message] = []
    if battery is not None:
        power = {"id": 0, "battery": {"V": 5.9, "percent": battery}, "external": {"present": False}}
        messages.append((f"{prefix}/status/devicepower:0", _json(power), False))
    temperature = {"id": index, "tC": temp, "tF": round(temp * 9 / 5 + 32, 1)}
    messages.append((f"{prefix}/status/temperature:{index}", _json(temperature), False))
    messages.append((f"{prefix}/status/humidity:{index}", _json({"id": index, "rh": hum}), False))
    return messages


def shelly_online(prefix: str, online: bool = True, gen1: bool = False) -> list[Message]:
    topic = f"shellies/{prefix}/online" if gen1 else f"{prefix}/online"
    return [(topic, b"true" if online else b"false", True)]


# -- Home Assistant MQTT discovery -----------------------------------------------------


def ha_discovery(
    node: str | None,
    object_id: str,
    device_class: str,
    state_topic: str,
    unit: str | None,
    template: str | None = None,
    *,
    name: str | None = None,
    unique_id: str | None = None,
    device: dict[str, Any] | None = None,
    availability_topic: str | None = None,
) -> list[Message]:
    """A retained discovery config, spelled out in full."""
    config: dict[str, Any] = {"device_class": device_class, "state_topic": state_topic, "state_class": "measurement"}
    optional = {"unit_of_measurement": unit, "value_template": template, "name": name, "unique_id": unique_id}
    config |= {k: v for k, v in optional.items() if v is not None}
    if device is not None:
        config["device"] = device
    if availability_topic is not None:
        config["availability_topic"] = availability_topic
    return [(ha_config_topic(node, object_id), _json(config), True)]


def ha_config_topic(node: str | None, object_id: str) -> str:
    return f"homeassistant/sensor/{node}/{object_id}/config" if node else f"homeassistant/sensor/{object_id}/config"


def ha_delete(node: str | None, object_id: str) -> list[Message]:
    """The retained config cleared: Home Assistant removes the entity."""
    return [(ha_config_topic(node, object_id), b"", True)]


def ha_state(state_topic: str, value: float | str | dict[str, Any]) -> list[Message]:
    payload = _json(value) if isinstance(value, dict) else str(value).encode()
    return [(state_topic, payload, False)]


def ha_climate_device(i: int) -> list[Message]:
    """A DIY device with one JSON state topic and two configs (temperature, humidity)."""
    device = {"identifiers": [f"diy-{i}"], "name": f"DIY climate {i}", "manufacturer": "me"}
    state = f"home/diy{i}/climate"
    common: dict[str, Any] = {"device": device, "availability_topic": f"home/diy{i}/alive"}
    return [
        *ha_discovery(f"diy{i}", "temperature", "temperature", state, "°C", "{{ value_json.temperature }}", **common),
        *ha_discovery(f"diy{i}", "humidity", "humidity", state, "%", "{{value_json['humidity']}}", **common),
    ]


# -- all of them -----------------------------------------------------------------------


def every_family_ids(i: int) -> dict[str, str]:
    """The sensor id each family's sensor number ``i`` gets (see ``every_family``)."""
    return {
        "zigbee2mqtt": f"room {i}/climate",
        "tasmota": f"tasmota_{i}/AM2301",
        "esphome": f"node{i}",
        "shelly_gen1": f"shellyht-{i:06X}",
        "shelly_gen2": f"shellyhtg3-{i:012x}",
        "discovery": f"diy-{i}",
    }


def every_family(i: int, temp: float, hum: float) -> list[Message]:
    """One reading of one sensor of each family, numbered ``i`` (configs and availability first)."""
    ids = every_family_ids(i)
    return [
        *ha_climate_device(i),
        *ha_state(f"home/diy{i}/alive", "online"),
        *z2m_availability(ids["zigbee2mqtt"]),
        *tasmota_lwt(f"tasmota_{i}"),
        *esphome_status(ids["esphome"]),
        *shelly_online(ids["shelly_gen1"], gen1=True),
        *shelly_online(ids["shelly_gen2"]),
        *zigbee2mqtt(ids["zigbee2mqtt"], temp, hum),
        *tasmota(f"tasmota_{i}", temp, hum),
        *esphome(ids["esphome"], temp, hum),
        *shelly_gen1(ids["shelly_gen1"], temp, hum),
        *shelly_gen2(ids["shelly_gen2"], temp, hum),
        *ha_state(f"home/diy{i}/climate", {"temperature": temp, "humidity": hum, "rssi": -61}),
    ]


def bad_messages() -> list[BadMessage]:
    """Messages a parser must refuse, each with the reason key it must give.

    None is retained (not even the discovery configs, which real devices retain), so a
    broker shared by several tests keeps none of them.
    """
    not_json, not_number = "sources.reject.not_json", "sources.reject.not_number"
    config = "homeassistant/sensor/garage/temperature/config"
    rtl_433 = "rtl_433/pi/devices/Acurite-Tower/A/1234/temperature_C"
    huge = b'{"temperature":21.5,"pad":"' + b"x" * 1_048_576 + b'"}'
    no_state = {"device_class": "temperature", "unit_of_measurement": "°C", "name": "Garage"}
    odd_unit = {"device_class": "temperature", "state_topic": "garage/t", "unit_of_measurement": "°R"}
    template = {"device_class": "temperature", "state_topic": rtl_433, "unit_of_measurement": "°C"}
    template["value_template"] = "{{ value|float|round(1) }}"
    return [
        ("zigbee2mqtt/Kitchen", b"temperature=21.5", False, not_json),
        ("zigbee2mqtt/Kitchen", b"[21.5, 40]", False, not_json),
        ("zigbee2mqtt/Kitchen", b"[" * 5_000, False, not_json),
        ("zigbee2mqtt/Kitchen", b'{"temperature":"warm","humidity":40}', False, not_number),
        ("zigbee2mqtt/Kitchen", b'{"temperature":NaN}', False, not_number),
        ("zigbee2mqtt/Kitchen", b'{"humidity":1e999}', False, not_number),
        ("zigbee2mqtt/Kitchen", b'{"temperature":1' + b"0" * 400 + b"}", False, not_number),
        ("zigbee2mqtt/Kitchen", huge, False, "sources.reject.too_big"),
        ("tele/tasmota_9/SENSOR", b'{"Time":"2026-11-27T10:00:00","AM2301":{', False, not_json),
        ("tele/tasmota_9/SENSOR", b'{"AM2301":{"Temperature":null,"Humidity":null}}', False, not_number),
        ("tele/tasmota_9/SENSOR", b'{"AM2301":{"Temperature":21.5},"TempUnit":"R"}', False, "sources.reject.unit"),
        ("node9/sensor/node9_temperature/state", b"nan", False, not_number),
        ("node9/sensor/node9_humidity/state", b"wet", False, not_number),
        ("shellies/shellyht-000009/sensor/temperature", b"\xff\xfe", False, not_number),
        ("shellyhtg3-9/status/temperature:0", b'{"id":0,"tC":null,"tF":null,"errors":["read"]}', False, not_number),
        ("shellyhtg3-9/status/humidity:0", b'{"id":0,"errors":["read"]}', False, "sources.reject.no_value"),
        ("shellyhtg3-9/status/humidity:0", b"42.2", False, not_json),
        ("some/random/topic", b"21.5", False, "sources.reject.unknown_topic"),
        (config, b"{device_class: temperature}", False, not_json),
        (config, _json(no_state), False, "sources.reject.no_state_topic"),
        (config, _json(odd_unit), False, "sources.reject.unit"),
        (config, _json(template), False, "sources.reject.template"),
    ]
