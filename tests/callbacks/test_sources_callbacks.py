"""Sources page callbacks called as plain functions: the file they write, the markup they
show, and that no secret ever reaches the page."""

import asyncio
import json

from callbacks.sources import OPTIONS, change, check_form, edit, kind_shown, refresh, save
from services.core.settings import Settings
from services.live.meta import write_sources
from services.live.store import ReadingStore
from services.sources import config as files
from tests.broker import Broker
from tests.callbacks.test_query_callbacks import text_of
from views import HIDDEN, SHOWN


def form(**values) -> list:
    empty = {"name": "", "tls": [], "language": "en"}
    return [values.get(option, empty.get(option, "")) for option in OPTIONS]


def test_saving_a_source_writes_the_file_and_a_bad_one_says_why(tmp_path):
    settings = Settings(data_dir=tmp_path)
    shown, saved, cleared = asyncio.run(
        save(settings, "mqtt", form(name="home", port="1884", password="pw"), None, "en")
    )
    assert saved and "home saved" in text_of(shown) and cleared == form()
    assert files.load(settings.sources_path)[1].options["password"] == "pw"
    shown, saved, _ = asyncio.run(save(settings, "mqtt", form(name="home2", port="http"), None, "zh"))
    assert not saved and "端口必须是 1 到 65535 之间的整数" in text_of(shown)
    assert [c.name for c in files.load(settings.sources_path)] == ["simulator", "home"]


def test_editing_fills_the_form_but_never_with_the_password(tmp_path):
    settings = Settings(data_dir=tmp_path)
    files.put(settings.sources_path, {"name": "home", "kind": "mqtt", "password": "hunter2", "topics": "a/#\nb/#"})
    kind, values, editing, title = asyncio.run(edit(settings, "home", "en"))
    got = dict(zip(OPTIONS, values, strict=True))
    assert (kind, editing, got["name"], got["topics"], got["password"]) == ("mqtt", "home", "home", "a/#\nb/#", "")
    assert "hunter2" not in json.dumps(values) and "home" in title


def test_the_table_and_details_show_state_sensors_and_rejects(tmp_path):
    settings = Settings(data_dir=tmp_path)
    snapshot = {
        "sources": [
            {
                "config": {"name": "home", "kind": "mqtt", "enabled": True, "options": {"has_password": True}},
                "status": {"state": "retrying", "error": "sources.err.auth", "readings": 3, "rejected": 1},
                "sensors": [
                    {
                        "key": "home:hall",
                        "source": "home",
                        "sensor_id": "hall",
                        "name": "Hall",
                        "family": "zigbee2mqtt",
                        "period_s": 3600,
                        "temperature_c": 21.5,
                        "humidity_pct": 40.0,
                        "last_seen": 1.0,
                        "battery": 86,
                        "available": False,
                        "rejected": 1,
                    }  # fmt: skip
                ],
                "rejects": [
                    {
                        "at": 1.0,
                        "where": "zigbee2mqtt/hall",
                        "reason": "sources.reject.not_json",
                        "detail": "",
                        "excerpt": "{oops",
                    }
                ],  # fmt: skip
            }
        ],
        "config_error": None,
    }
    files.save(settings.sources_path, [files.check({"name": "home", "kind": "mqtt", "password": "pw"})])
    with ReadingStore(settings.store_path) as store:
        write_sources(store, snapshot)
    table, options, pick, detail = asyncio.run(refresh(settings, None, "en"))
    shown = text_of(table) + text_of(detail)
    assert options == [{"label": "home", "value": "home"}] and pick == "home"
    for expected in ("retrying", "password or token was refused", "Hall", "21.5 °C", "86 %", "offline", "not JSON"):
        assert expected in shown
    table_zh, *_ = asyncio.run(refresh(settings, "home", "zh"))
    assert "重试中" in text_of(table_zh)


def test_the_form_shows_the_fields_of_its_kind_only():
    groups = [{"kind": k} for k in ("mqtt", "openmeteo", "homeassistant", "simulator")]
    styles, options = kind_shown("openmeteo", groups, "zh")
    assert styles == [HIDDEN, SHOWN, HIDDEN, HIDDEN]
    assert {"label": "Open-Meteo 天气", "value": "openmeteo"} in options


def test_disable_and_remove_change_the_file(tmp_path):
    settings = Settings(data_dir=tmp_path)
    files.put(settings.sources_path, {"name": "home", "kind": "mqtt"})
    assert "disabled" in text_of(asyncio.run(change(settings, "toggle", "home", "en")))
    assert not files.load(settings.sources_path)[1].enabled
    assert "removed" in text_of(asyncio.run(change(settings, "remove", "home", "en")))
    assert "no source named" in text_of(asyncio.run(change(settings, "remove", "home", "en")))


def test_test_connection_uses_the_saved_password_and_says_when_it_is_wrong(tmp_path):
    settings = Settings(data_dir=tmp_path)
    with Broker(user="looplens", password="right") as broker:
        values = form(name="home", port=str(broker.port), username="looplens", password="wrong")
        assert "refused" in text_of(asyncio.run(check_form(settings, "mqtt", values, None, "en")))
        files.put(settings.sources_path, {"name": "home", "kind": "mqtt", "port": broker.port,
                                          "username": "looplens", "password": "right"})  # fmt: skip
        blank = form(name="home", port=str(broker.port), username="looplens")
        assert "Connected to" in text_of(asyncio.run(check_form(settings, "mqtt", blank, "home", "en")))
