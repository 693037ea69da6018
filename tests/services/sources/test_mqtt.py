"""An MQTT source against a real Mosquitto broker: every payload family, a broker
restart mid-stream, bad messages, and a wrong password."""

from __future__ import annotations

import asyncio
import json
import os

import aiomqtt
import pytest

from services.core.metrics import SOURCE_CONNECTED, SOURCE_SENSORS
from services.core.settings import Settings
from services.live.collector import Collector
from services.live.meta import polled_stations
from services.live.store import ReadingStore
from services.sources import config as files
from services.sources.mqtt import MqttSource, check
from tests import mqtt_devices as devices
from tests.broker import Broker


@pytest.fixture(scope="module")
def broker():
    with Broker() as running:
        yield running


async def publish(port: int, messages: list[tuple[str, bytes, bool]]) -> None:
    async with aiomqtt.Client("127.0.0.1", port) as client:
        for topic, payload, retain in messages:
            await client.publish(topic, payload, qos=1, retain=retain)


async def until(condition, timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.05)


def test_every_family_reaches_the_store_and_the_live_page_list(broker, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    files.save(settings.sources_path, [files.check({"name": "home", "kind": "mqtt", "port": str(broker.port)})])

    async def main():
        with ReadingStore(settings.store_path) as store:
            async with Collector(store, "", sources_path=settings.sources_path) as collector:
                await until(lambda: "home" in collector.sources.sources)
                source = collector.sources.sources["home"]
                await until(lambda: source.status().state == "connected")
                await publish(broker.port, devices.every_family(1, 21.5, 48.0))
                await until(lambda: store.count() >= 6)
                await asyncio.sleep(1.2)  # lone halves are held 1 s, and the state is written every 2 s
                await until(lambda: polled_stations(settings), 5)
                await until(lambda: SOURCE_SENSORS.labels("home")._value.get() >= 6, 5)  # in /metrics
                assert SOURCE_CONNECTED.labels("home")._value.get() == 1
            return [(r.station, r.temperature_c, r.humidity_pct) for r in store.since(0, _keys(store))]

    rows = asyncio.run(main())
    stations = polled_stations(settings)
    assert {s.source for s in stations.values()} == {"home"}
    got = {station: (t, h) for station, t, h in rows}
    assert len(got) >= 6, got  # one sensor of each family
    assert all(t == pytest.approx(21.5, abs=0.05) for t, _ in got.values() if t is not None)
    assert all(h == 48.0 for _, h in got.values() if h is not None)


def _keys(store: ReadingStore) -> list[str]:
    return [r[0] for r in store._db.execute("SELECT DISTINCT station FROM readings")]


def test_after_a_broker_restart_the_source_resubscribes_and_loses_nothing_it_receives(tmp_path):
    with Broker() as broker:

        async def main():
            source = MqttSource("home", port=broker.port, max_backoff_s=0.5)
            got: list[float] = []
            async with source:
                reader = asyncio.create_task(_collect(source, got))
                await until(lambda: source.status().state == "connected")
                await publish(broker.port, [devices.zigbee2mqtt("hall", 20.0 + i / 100, 40.0)[0] for i in range(20)])
                await until(lambda: len(got) == 20)
                await asyncio.to_thread(broker.restart)
                await until(lambda: source.status().reconnects >= 1, 15)
                after = [devices.zigbee2mqtt("hall", 30.0 + i / 100, 40.0)[0] for i in range(50)]
                await publish(broker.port, after)
                await until(lambda: len(got) == 70)
                reader.cancel()
            return got, source.status()

        got, status = asyncio.run(main())
    assert got[20:] == [round(30.0 + i / 100, 2) for i in range(50)]
    assert status.reconnects >= 1


async def _collect(source: MqttSource, into: list[float]) -> None:
    async for reading in source.readings():
        into.append(reading.temperature_c)


def test_bad_messages_are_listed_with_their_reason_and_never_stop_the_source(broker):
    async def main():
        source = MqttSource("home", port=broker.port, topics=["#"])
        got: list[float] = []
        async with source:
            reader = asyncio.create_task(_collect(source, got))
            await until(lambda: source.status().state == "connected")
            bad = devices.bad_messages()
            await publish(broker.port, [(topic, payload, retain) for topic, payload, retain, _ in bad])
            await publish(broker.port, devices.zigbee2mqtt("after", 19.0, 40.0))
            await until(lambda: 19.0 in got)  # the broker may hold retained readings of earlier tests too
            reader.cancel()
        return source, bad

    source, bad = asyncio.run(main())
    reasons = {r.reason for r in source.rejects()}
    assert {reason for *_, reason in bad} <= reasons
    assert source.status().rejected >= len(bad)
    assert all(len(r.excerpt) <= 200 for r in source.rejects())


def test_a_wrong_password_says_so_and_is_never_shown():
    with Broker(user="looplens", password="right-one") as broker:
        ok, key, params = asyncio.run(
            check({"port": broker.port, "username": "looplens", "password": "wrong-one"}, timeout_s=3)
        )
        assert (ok, key) == (False, "sources.err.auth") and "wrong-one" not in json.dumps(params)
        assert asyncio.run(check({"port": broker.port, "username": "looplens", "password": "right-one"}))[0]

        async def main():
            async with MqttSource("home", port=broker.port, username="looplens", password="wrong-one") as source:
                await until(lambda: source.status().state == "retrying")
                return source.snapshot()

        snapshot = asyncio.run(main())
    assert snapshot["status"]["error"] == "sources.err.auth"
    assert "wrong-one" not in json.dumps(snapshot)


def test_after_a_reconnect_the_brokers_retained_copy_of_a_reading_is_not_stored_again(broker):
    async def main():
        source = MqttSource("retained", port=broker.port, max_backoff_s=0.5)
        got: list[float] = []
        async with source:
            reader = asyncio.create_task(_collect(source, got))
            await until(lambda: source.status().state == "connected")
            await publish(broker.port, devices.esphome("node5", 23.7, 40.0))  # ESPHome retains its states
            await until(lambda: 23.7 in got)
            # Another client with the source's id: the broker drops the source, which comes back.
            async with aiomqtt.Client("127.0.0.1", broker.port, identifier=f"looplens-retained-{os.getpid()}"):
                await until(lambda: source.status().state == "retrying")
            await until(lambda: source.status().state == "connected" and source.status().reconnects >= 1)
            await asyncio.sleep(1.5)  # the retained copies arrive again (and a lone half is held 1 s)
            reader.cancel()
        return got

    assert asyncio.run(main()).count(23.7) == 1  # (the broker holds other tests' retained states too)
