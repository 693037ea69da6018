"""Sources page journeys: a real Mosquitto broker with a password, a real collector that
picks up the page's change, and a sensor followed from the Sources page to Live."""

from __future__ import annotations

import asyncio
import json
import threading

import aiomqtt
import pytest
from selenium.webdriver.common.keys import Keys

import ids
from tests.broker import Broker
from tests.browser.helpers import assert_accessible, assert_clean, shown, wait_until
from tests.mqtt_devices import zigbee2mqtt

pytestmark = pytest.mark.browser


def option(name: str) -> str:
    """The CSS selector of a form input (a pattern-matching id, as Dash writes it in the DOM)."""
    return "[id='" + json.dumps({"option": name, "type": ids.SOURCES_OPTION}, separators=(",", ":")) + "']"


class Device(threading.Thread):
    """A Zigbee2MQTT sensor publishing a reading every 0.3 s until stopped."""

    def __init__(self, broker: Broker) -> None:
        super().__init__(daemon=True)
        self.broker, self.stop = broker, threading.Event()

    def run(self) -> None:
        asyncio.run(self._publish())

    async def _publish(self) -> None:
        user, password = self.broker.user, self.broker.password
        async with aiomqtt.Client("127.0.0.1", self.broker.port, username=user, password=password) as client:
            i = 0
            while not self.stop.is_set():
                for topic, payload, retain in zigbee2mqtt("hall", 20.0 + (i % 50) / 10, 45.0):
                    await client.publish(topic, payload, retain=retain)
                i += 1
                await asyncio.sleep(0.3)


def type_into(duo, name: str, text: str) -> None:
    box = duo.find_element(option(name))
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)  # as a user does (clear() leaves React's state as it was)
    box.send_keys(text)


def test_add_a_broker_see_its_sensor_and_watch_it_on_live(start, settings, collector):
    with Broker(user="looplens", password="right-one") as broker:
        device = Device(broker)
        device.start()
        try:
            duo = start(settings, "/sources")
            duo.wait_for_contains_text(f"#{ids.SOURCES_TABLE}", "Simulator", timeout=10)
            type_into(duo, "name", "home")
            type_into(duo, "port", str(broker.port))
            type_into(duo, "username", "looplens")
            type_into(duo, "password", "wrong-one")
            duo.find_element(f"#{ids.SOURCES_TEST}").click()
            duo.wait_for_contains_text(f"#{ids.SOURCES_MESSAGE}", "was refused", timeout=10)
            type_into(duo, "password", "right-one")
            duo.find_element(f"#{ids.SOURCES_SAVE}").click()
            duo.wait_for_contains_text(f"#{ids.SOURCES_MESSAGE}", "home saved", timeout=10)
            assert duo.find_element(option("password")).get_attribute("value") == ""  # never sent back
            table = duo.find_element(f"#{ids.SOURCES_TABLE}")
            wait_until(lambda: "home MQTT broker connected" in table.text, 15, "the new source connected")
            duo.wait_for_contains_text(f"#{ids.SOURCES_DETAIL}", "hall", timeout=15)
            assert_accessible(duo)
            assert "right-one" not in duo.driver.page_source
            duo.find_element(f"#{ids.SOURCES_DETAIL} a[href^='/live']").click()
            wait_until(lambda: shown(duo) and len(shown(duo)) == 2 + 2, 15, "the sensor's figure")
            first = len(shown(duo)[0]["x"])
            wait_until(lambda: len(shown(duo)[0]["x"]) >= first + 2, 10, "its points")
            duo.wait_for_contains_text(f"#{ids.LIVE_CARDS}", "45.0 %RH", timeout=5)
            assert_clean(duo)
        finally:
            device.stop.set()
            device.join(5)
