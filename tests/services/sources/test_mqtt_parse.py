"""The MQTT parser on each family's real payloads: what a user sees, and what is refused."""

from __future__ import annotations

import random

import pytest

from services.sources import mqtt_parse
from services.sources.model import SensorInfo, SourceReading
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
from services.sources.mqtt_topics import read_template
from tests import mqtt_devices as dev

NOW = 1_790_000_000.0


def feed(parser: MqttParser, messages: list[dev.Message], now: float = NOW) -> list[Event]:
    return [event for topic, payload, _ in messages for event in parser.parse(topic, payload, now)]


def values(events: list[Event]) -> list[SourceReading]:
    return [e.reading for e in events if isinstance(e, Value)]


def found(events: list[Event]) -> dict[str, Found]:
    return {e.info.sensor_id: e for e in events if isinstance(e, Found)}


def reasons(events: list[Event]) -> list[str]:
    return [e.reason for e in events if isinstance(e, Bad)]


def matches(pattern: str, topic: str) -> bool:
    """MQTT topic filter matching (+ one level, # the rest)."""
    want, got = pattern.split("/"), topic.split("/")
    for i, level in enumerate(want):
        if level == "#":
            return True
        if i >= len(got) or (level != "+" and level != got[i]):
            return False
    return len(want) == len(got)


# -- Zigbee2MQTT ---------------------------------------------------------------------


def test_zigbee2mqtt_sensor_is_found_once_then_read_with_battery_and_link_quality():
    parser = MqttParser("home")
    first = feed(parser, dev.zigbee2mqtt("Living room/Aqara", 22.75, 55.43))
    info = first[0].info if isinstance(first[0], Found) else None
    assert info is not None and (info.sensor_id, info.family, info.period_s) == (
        "Living room/Aqara",
        "zigbee2mqtt",
        3600,
    )
    (reading,) = values(first)
    assert (reading.raw_temperature, reading.raw_unit, reading.humidity_pct) == (22.75, "C", 55.43)
    assert (reading.battery, reading.linkquality, reading.ts, reading.temperature_c) == (86, 97, NOW, None)
    assert feed(parser, dev.zigbee2mqtt("Living room/Aqara", 22.8, 55.0))[0] == Value(
        SourceReading("home", "Living room/Aqara", NOW, 22.8, "C", 55.0, None, 86, 97)
    )


@pytest.mark.parametrize(
    ("last_seen", "ts"),
    [
        ("2026-11-27T10:00:00+01:00", 1_795_770_000.0),
        ("2026-11-27T09:00:00.000Z", 1_795_770_000.0),
        (1_795_770_000_000, 1_795_770_000.0),
        ("2026-11-27T10:00:00", NOW),  # no zone: arrival time
        ("yesterday", NOW),
        (True, NOW),
    ],
)
def test_zigbee2mqtt_reading_takes_its_time_from_last_seen_when_it_has_a_zone(last_seen, ts):
    (reading,) = values(feed(MqttParser("home"), dev.zigbee2mqtt("Kitchen", 21.0, 40.0, last_seen=last_seen)))
    assert reading.ts == ts


def test_zigbee2mqtt_availability_plain_or_json_and_heard_before_the_first_reading():
    parser = MqttParser("home")
    assert feed(parser, dev.z2m_availability("Kitchen", online=False)) == []  # not known yet: remembered
    events = feed(parser, dev.zigbee2mqtt("Kitchen", 21.0, 40.0))
    assert [type(e) for e in events] == [Found, Availability, Value] and events[1] == Availability("Kitchen", False)
    assert feed(parser, dev.z2m_availability("Kitchen", legacy=True)) == [Availability("Kitchen", True)]
    assert feed(parser, [("zigbee2mqtt/Kitchen/availability", b"maybe", True)]) == [
        Bad("sources.reject.availability", '"maybe" is not online or offline', "Kitchen")
    ]


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("zigbee2mqtt/bridge/state", b'{"state":"online"}'),
        ("zigbee2mqtt/bridge/devices", b"[" + b'{"ieee_address":"0x00158d0001"},' * 5000 + b"{}]"),  # big: not read
        ("zigbee2mqtt/Kitchen/set", b'{"temperature":20}'),
        ("zigbee2mqtt/Kitchen/get", b'{"temperature":""}'),
        ("zigbee2mqtt/Lamp/set/brightness", b"120"),
        ("zigbee2mqtt/Plug", b'{"state":"ON","power":12.5,"linkquality":120}'),
        ("zigbee2mqtt/Button/action", b"single"),  # the legacy action topic
        ("zigbee2mqtt/Kitchen", b""),  # a retained message cleared
    ],
)
def test_zigbee2mqtt_topics_without_climate_readings_are_ignored(topic, payload):
    assert MqttParser("home").parse(topic, payload, NOW) == []


def test_zigbee2mqtt_bad_value_names_the_sensor_so_its_rejects_count():
    events = feed(MqttParser("home"), [("zigbee2mqtt/Kitchen", b'{"temperature":"warm","humidity":40}', False)])
    assert list(found(events)) == ["Kitchen"]
    assert events[-1] == Bad("sources.reject.not_number", 'temperature is "warm"', "Kitchen")


# -- Tasmota -------------------------------------------------------------------------


def test_tasmota_every_nested_sensor_is_one_sensor_and_fahrenheit_is_kept_as_sent():
    payload = (
        b'{"Time":"2026-11-27T10:00:00","ESP32":{"Temperature":43.3},"BME280":{"Temperature":71.2,"Humidity":48.1,'
        b'"DewPoint":50.6,"Pressure":1012.3},"DS18B20-1":{"Id":"01144A0CB2AA","Temperature":68.5},'
        b'"ENERGY":{"Power":5},"PressureUnit":"hPa","TempUnit":"F"}'
    )
    events = MqttParser("home").parse("tele/bedroom/SENSOR", payload, NOW)
    assert {k: (f.info.family, f.info.period_s) for k, f in found(events).items()} == {
        "bedroom/BME280": ("tasmota", 300),
        "bedroom/DS18B20-1": ("tasmota", 300),
    }  # the ESP32's own chip temperature is not a room's
    readings = {r.sensor_id: (r.raw_temperature, r.raw_unit, r.humidity_pct) for r in values(events)}
    assert readings == {"bedroom/BME280": (71.2, "F", 48.1), "bedroom/DS18B20-1": (68.5, "F", None)}


def test_tasmota_lwt_is_the_availability_of_every_sensor_under_its_topic():
    parser = MqttParser("home")
    assert feed(parser, dev.tasmota_lwt("porch", online=True)) == []
    events = feed(parser, dev.tasmota("porch", 24.6, 58.2) + dev.tasmota("porch", 24.5, None, sensor="DS18B20"))
    assert [e for e in events if isinstance(e, Availability)] == [
        Availability("porch/AM2301", True),
        Availability("porch/DS18B20", True),
    ]
    assert feed(parser, dev.tasmota_lwt("porch", online=False)) == [
        Availability("porch/AM2301", False),
        Availability("porch/DS18B20", False),
    ]
    assert parser.parse("tele/porch/STATE", b'{"Uptime":"0T01:00:00","Wifi":{"RSSI":70}}', NOW) == []
    assert parser.parse("tele/porch/SENSOR", b'{"Time":"2026-11-27T10:00:00","ENERGY":{"Power":3}}', NOW) == []


# -- ESPHome -------------------------------------------------------------------------


def test_esphome_node_is_one_sensor_read_from_its_temperature_and_humidity_objects():
    parser = MqttParser("home")
    events = feed(parser, dev.esphome_status("attic") + dev.esphome("attic", 21.4, 63.0))
    assert found(events)["attic"].info.family == "esphome" and found(events)["attic"].info.period_s == 60
    assert [(r.raw_temperature, r.humidity_pct) for r in values(events)] == [(21.4, None), (None, 63.0)]
    assert Availability("attic", True) in events
    assert feed(parser, dev.esphome_status("attic", online=False)) == [Availability("attic", False)]
    for object_id in ("wifi_signal", "attic_internal_temperature", "uptime"):
        assert parser.parse(f"attic/sensor/{object_id}/state", b"-61", NOW) == []
    assert reasons(feed(parser, [("attic/sensor/attic_temperature/state", b"nan", True)])) == [
        "sources.reject.not_number"
    ]


# -- Shelly --------------------------------------------------------------------------


def test_shelly_gen1_battery_rides_along_and_online_is_availability():
    parser = MqttParser("home")
    events = feed(
        parser, dev.shelly_online("shellyht-CB2D0E", gen1=True) + dev.shelly_gen1("shellyht-CB2D0E", 19.5, 50)
    )
    info = found(events)["shellyht-CB2D0E"].info
    assert (info.family, info.period_s) == ("shelly", 43200)
    assert [(r.raw_temperature, r.humidity_pct, r.battery) for r in values(events)] == [
        (19.5, None, 98),
        (None, 50, 98),
    ]
    assert Availability("shellyht-CB2D0E", True) in events
    assert feed(parser, dev.shelly_online("shellyht-CB2D0E", False, gen1=True)) == [
        Availability("shellyht-CB2D0E", False)
    ]
    assert parser.parse("shellies/shellyht-CB2D0E/sensor/act_reasons", b'["sensor"]', NOW) == []
    assert parser.parse("shellies/announce", b'{"id":"shellyht-CB2D0E"}', NOW) == []


def test_shelly_gen2_components_and_add_on_probes():
    parser = MqttParser("home")
    prefix = "shellyhtg3-84fce63ad204"
    events = feed(parser, dev.shelly_gen2(prefix, 19.8, 42.2) + dev.shelly_gen2(prefix, 5.0, 90.0, None, index=100))
    assert {k: f.info.period_s for k, f in found(events).items()} == {prefix: 7200, f"{prefix}:100": 7200}
    readings = [(r.sensor_id, r.raw_temperature, r.humidity_pct, r.battery) for r in values(events)]
    assert readings == [
        (prefix, 19.8, None, 77),
        (prefix, None, 42.2, 77),
        (f"{prefix}:100", 5.0, None, 77),
        (f"{prefix}:100", None, 90.0, 77),
    ]
    assert feed(parser, dev.shelly_online(prefix, online=False)) == [
        Availability(prefix, False),
        Availability(f"{prefix}:100", False),
    ]
    assert parser.parse(f"{prefix}/status/sys", b'{"uptime":120}', NOW) == []
    assert parser.parse(f"{prefix}/status/switch:0", b'{"id":0,"output":true}', NOW) == []


# -- Home Assistant discovery ----------------------------------------------------------


def test_discovery_groups_one_device_into_one_sensor_and_subscribes_to_its_topics():
    parser = MqttParser("home")
    configs = feed(parser, dev.ha_climate_device(3))
    assert [e for e in configs if not isinstance(e, Subscribe)] == [
        Found(SensorInfo("home", "diy-3", "DIY climate 3", "discovery", 3600.0))
    ]
    assert {e.topic for e in configs if isinstance(e, Subscribe)} == {"home/diy3/climate", "home/diy3/alive"}
    events = feed(parser, dev.ha_state("home/diy3/climate", {"temperature": 20.5, "humidity": 41, "rssi": -60}))
    assert events == [Value(SourceReading("home", "diy-3", NOW, 20.5, "C", 41.0))]
    assert feed(parser, dev.ha_state("home/diy3/climate", {"rssi": -58})) == []  # nothing of ours in it
    assert feed(parser, dev.ha_state("home/diy3/alive", "offline")) == [Availability("diy-3", False)]
    again = feed(parser, dev.ha_climate_device(3))  # retained configs after a reconnect
    assert again and all(isinstance(e, Subscribe) for e in again)


def test_discovery_plain_fahrenheit_sensor_and_a_second_probe_of_one_device():
    parser = MqttParser("home")
    device = {"identifiers": "pool-1", "name": "Pool"}
    feed(parser, dev.ha_discovery(None, "pool_water", "temperature", "pool/water", "°F", device=device, name="Water"))
    events = feed(
        parser, dev.ha_discovery(None, "pool_air", "temperature", "pool/air", "°F", device=device, name="Air")
    )
    assert found(events)["pool_air"].info.name == "Pool Air"  # the device's one temperature is taken
    events = feed(parser, dev.ha_state("pool/water", "77.4") + dev.ha_state("pool/air", "81"))
    assert [(r.sensor_id, r.raw_temperature, r.raw_unit) for r in values(events)] == [
        ("pool-1", 77.4, "F"),
        ("pool_air", 81.0, "F"),
    ]
    assert reasons(feed(parser, dev.ha_state("pool/water", "unavailable"))) == ["sources.reject.not_number"]


def test_discovery_abbreviated_config_with_a_base_topic_and_custom_availability():
    config = (
        b'{"~":"omg/BTtoMQTT/A4C138AABBCC","stat_t":"~","dev_cla":"humidity","unit_of_meas":"%",'
        b'"val_tpl":"{{ value_json[\\"hum\\"] }}","uniq_id":"A4C138AABBCC-hum","name":"Bath humidity",'
        b'"avty_t":"omg/LWT","pl_avail":"connected","pl_not_avail":"lost"}'
    )
    parser = MqttParser("home")
    events = parser.parse("homeassistant/sensor/A4C138AABBCC-hum/config", config, NOW)
    assert found(events)["A4C138AABBCC-hum"].info.name == "Bath humidity"
    assert [e.topic for e in events if isinstance(e, Subscribe)] == ["omg/BTtoMQTT/A4C138AABBCC", "omg/LWT"]
    state = parser.parse("omg/BTtoMQTT/A4C138AABBCC", b'{"id":"A4:C1:38:AA:BB:CC","tempc":21.3,"hum":47.5}', NOW)
    assert [r.humidity_pct for r in values(state)] == [47.5]
    assert parser.parse("omg/LWT", b"lost", NOW) == [Availability("A4C138AABBCC-hum", False)]
    assert reasons(parser.parse("omg/LWT", b"offline", NOW)) == ["sources.reject.availability"]


def test_discovery_unsupported_template_is_listed_and_reported_once_then_its_states_ignored():
    parser = MqttParser("home")
    message = dev.ha_discovery("rtl", "t", "temperature", "rtl_433/t", "°C", "{{ value_json.tempc | is_defined }}")
    events = feed(parser, message)
    assert found(events)["t"].info.unsupported == "{{ value_json.tempc | is_defined }}"
    assert reasons(events) == ["sources.reject.template"]
    assert not any(isinstance(e, Subscribe) for e in events)
    assert feed(parser, message) == []
    assert parser.parse("rtl_433/t", b'{"tempc":21}', NOW) == []


def test_discovery_deleted_config_removes_the_sensor_and_its_late_states_are_ignored():
    parser = MqttParser("home")
    feed(parser, dev.ha_discovery("cellar", "t", "temperature", "cellar/t", "°C", unique_id="cellar-t"))
    assert feed(parser, dev.ha_delete("cellar", "t")) == [Gone("cellar-t")]
    assert feed(parser, dev.ha_delete("cellar", "t")) == []
    assert parser.parse("cellar/t", b"12.5", NOW) == []


def test_discovery_config_updates_move_the_sensor_and_a_broken_update_keeps_the_last_good_one():
    parser = MqttParser("home")
    feed(parser, dev.ha_discovery("n", "t", "temperature", "shed/t", "°C", unique_id="shed-1"))
    events = feed(parser, dev.ha_discovery("n", "t", "temperature", "shed/t", "°C", unique_id="shed-2"))
    assert [type(e) for e in events] == [Gone, Found, Subscribe] and events[0] == Gone("shed-1")
    assert parser.parse(dev.ha_config_topic("n", "t"), b'{"device_class":', NOW)[0].sensor_id == "shed-2"
    assert [r.sensor_id for r in values(parser.parse("shed/t", b"8.5", NOW))] == ["shed-2"]


def test_sensors_past_the_cap_are_refused_not_tracked(monkeypatch):
    monkeypatch.setattr(mqtt_parse, "MAX_SENSORS", 2)
    parser = MqttParser("home")
    events = [feed(parser, dev.zigbee2mqtt(f"s{i}", 20.0, 50.0)) for i in range(3)]
    assert [len(values(e)) for e in events] == [1, 1, 0] and reasons(events[2]) == ["sources.reject.too_many"]


def test_discovery_configs_that_are_not_ours_are_ignored():
    parser = MqttParser("home")
    assert feed(parser, dev.ha_discovery("plug", "power", "power", "plug/power", "W")) == []
    assert parser.parse("homeassistant/status", b"online", NOW) == []
    assert parser.parse("homeassistant/binary_sensor/door/config", b'{"device_class":"door"}', NOW) == []
    # Zigbee2MQTT's own discovery config: its native message is read instead (one sensor, not two)
    template, unique_id = "{{ value_json.temperature }}", "0x00158d0001_temperature_zigbee2mqtt"
    z2m = dev.ha_discovery(
        "0x00158d0001", "t", "temperature", "zigbee2mqtt/Kitchen", "°C", template, unique_id=unique_id
    )
    assert feed(parser, z2m) == []
    assert list(found(feed(parser, dev.zigbee2mqtt("Kitchen", 21.0, 40.0)))) == ["Kitchen"]


@pytest.mark.parametrize(
    ("template", "key", "unsupported"),
    [
        ("{{ value_json.temperature }}", "temperature", ""),
        ("{{value_json.temperature}}", "temperature", ""),
        ("{{ value_json['temp C'] }}", "temp C", ""),
        ('{{ value_json["humidity"] }}', "humidity", ""),
        ("{{ value }}", None, ""),
        ("", None, ""),
        ("{{ value_json.temperature | float }}", None, "{{ value_json.temperature | float }}"),
        ("{{ value_json.t * 1.8 + 32 }}", None, "{{ value_json.t * 1.8 + 32 }}"),
        ("{{ value_json.AM2301.Temperature }}", None, "{{ value_json.AM2301.Temperature }}"),
        (
            "{% if value_json.t %}{{ value_json.t }}{% endif %}",
            None,
            "{% if value_json.t %}{{ value_json.t }}{% endif %}",
        ),
    ],
)
def test_only_the_plain_value_json_key_template_is_read(template, key, unsupported):
    assert read_template(template) == (key, unsupported)


# -- all families together, and what is refused ----------------------------------------


def test_every_family_is_found_with_its_own_id_and_read():
    parser = MqttParser("home")
    events = feed(parser, dev.every_family(7, 21.5, 45.0))
    ids = dev.every_family_ids(7)
    assert set(found(events)) == set(ids.values())
    assert {r.sensor_id for r in values(events)} == set(ids.values())
    assert {e.sensor_id for e in events if isinstance(e, Availability)} == set(ids.values())
    assert reasons(events) == []
    later = feed(parser, dev.every_family(7, 21.6, 44.0))
    assert not found(later) and len(values(later)) == len(values(events))


def test_default_topics_cover_every_family_without_the_discovered_state_topics():
    for topic, _, _ in dev.every_family(1, 20.0, 50.0):
        subscribed = any(matches(pattern, topic) for pattern in DEFAULT_TOPICS)
        assert subscribed == (not topic.startswith("home/")), topic


@pytest.mark.parametrize(("topic", "payload", "retain", "reason"), dev.bad_messages())
def test_bad_messages_are_refused_with_their_reason(topic, payload, retain, reason):
    events = MqttParser("home").parse(topic, payload, NOW)
    assert reason in reasons(events)
    assert not values(events)


def test_overlapping_shapes_are_told_apart_by_the_topic():
    parser = MqttParser("home")
    events = feed(parser, dev.shelly_gen1("x", 20.0, 50.0) + dev.zigbee2mqtt("hall/status", 20.0, 50.0))
    assert {k: f.info.family for k, f in found(events).items()} == {"x": "shelly", "hall/status": "zigbee2mqtt"}
    assert parser.parse("shellies/x/online", b"false", NOW) == [Availability("x", False)]  # Gen1, not Gen2's <prefix>
    assert parser.parse("zigbee2mqtt/hall/status/availability", b"offline", NOW) == [Availability("hall/status", False)]
    assert parser.parse("homeassistant/sensor/x/status", b"online", NOW) == []  # discovery's, not ESPHome's


def test_parser_never_raises_on_random_input():
    rng = random.Random(5)
    parser = MqttParser("home", max_payload=4096)
    topics = [t for t, _, _ in dev.every_family(1, 20.0, 50.0)] + ["a", "/", "//x", "zigbee2mqtt/", "tele//SENSOR"]
    for _ in range(3000):
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        for event in parser.parse(rng.choice(topics), rng.choice([payload, payload.hex().encode()]), NOW):
            assert isinstance(event, Found | Gone | Availability | Value | Bad | Subscribe)


def test_a_bug_in_a_family_becomes_a_bad_event_not_an_exception(monkeypatch):
    parser = MqttParser("home")
    monkeypatch.setitem(parser._handlers, "z2m", lambda *args: 1 / 0)
    assert reasons(feed(parser, dev.zigbee2mqtt("Kitchen", 21.0, 40.0))) == ["sources.reject.internal"]


def test_availability_remembered_for_unknown_sensors_is_bounded(monkeypatch):
    monkeypatch.setattr(mqtt_parse, "MAX_HEARD", 50)
    parser = MqttParser("home")
    for i in range(500):
        parser.parse(f"stranger{i}/status", b"online", NOW)
    assert parser.statistics()["availability_heard"] == 50
