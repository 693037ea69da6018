"""The sources file: what the page writes is what the collector runs; secrets stay in it."""

import os
import stat

import pytest

from services.core.errors import SourceInputError
from services.sources import config as files
from tests.helpers import ROOT


def test_no_file_means_the_simulator_alone(tmp_path):
    assert files.load(tmp_path / "sources.toml") == [files.SourceConfig("simulator", "simulator")]


def test_a_source_is_added_edited_with_its_password_kept_and_never_shown(tmp_path):
    path = tmp_path / "sources.toml"
    files.put(path, {"name": "home", "kind": "mqtt", "host": "10.0.0.2", "port": "1884", "password": "s3cret"})
    files.put(path, {"name": "home", "kind": "mqtt", "host": "10.0.0.2", "port": "1884", "topics": "a/#"}, "home")
    (sim, home) = files.load(path)
    assert (home.options["topics"], home.options["password"]) == (["a/#"], "s3cret")
    assert "s3cret" not in str(home.public()) and home.public()["options"]["has_password"] is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # it holds a password
    assert files.toggle(path, "home") is False
    assert [c.enabled for c in files.load(path)] == [True, False]
    files.remove(path, "home")
    assert [c.name for c in files.load(path)] == ["simulator"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"name": "Bad Name", "kind": "mqtt"}, "sources.err.name"),
        ({"name": "x", "kind": "ftp"}, "sources.err.kind"),
        ({"name": "x", "kind": "mqtt", "port": "99999"}, "sources.err.port"),
        ({"name": "x", "kind": "openmeteo", "places": ""}, "sources.err.required"),
        ({"name": "x", "kind": "openmeteo", "places": "北京", "period_s": "5"}, "sources.err.period"),
        ({"name": "x", "kind": "homeassistant", "url": "ha.local", "token": "t"}, "sources.err.url"),
        ({"name": "x", "kind": "homeassistant", "url": "http://me:pw@ha.local", "token": "t"}, "sources.err.url"),
        ({"name": "x", "kind": "homeassistant", "url": "http://ha.local:8123"}, "sources.err.required"),
        ({"name": "simulator", "kind": "mqtt"}, "sources.err.taken"),
    ],
)
def test_unusable_settings_are_refused_with_the_reason_and_the_file_is_unchanged(tmp_path, raw, code):
    path = tmp_path / "sources.toml"
    files.save(path, list(files.DEFAULT))
    before = path.read_text()
    with pytest.raises(SourceInputError) as caught:
        files.put(path, raw)
    assert caught.value.code == code
    assert path.read_text() == before


def test_a_broken_file_is_reported_not_run(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text("[[source]]\nname = 'x'\nkind = \n")
    with pytest.raises(SourceInputError) as caught:
        files.load(path)
    assert caught.value.code == "sources.err.file"


def test_a_saved_secret_goes_only_where_it_was_saved_for(tmp_path):
    path = tmp_path / "sources.toml"
    files.put(path, {"name": "ha", "kind": "homeassistant", "url": "http://ha.local:8123", "token": "t0ken"})
    with pytest.raises(SourceInputError) as caught:  # pointing it elsewhere with the token left blank
        files.put(path, {"name": "ha", "kind": "homeassistant", "url": "http://evil.example"}, "ha")
    assert caught.value.code == "sources.err.secret_again"
    files.put(path, {"name": "ha", "kind": "homeassistant", "url": "http://ha.local:8123/"}, "ha")  # same place
    assert files.load(path)[1].options["token"] == "t0ken"
    assert "t0ken" not in repr(files.load(path))


@pytest.mark.parametrize("topics", ["a/b#", "a/+b/c", "a/#/b", "#/a"])
def test_a_topic_filter_the_broker_would_refuse_is_refused_here(topics):
    with pytest.raises(SourceInputError) as caught:
        files.check({"name": "m", "kind": "mqtt", "topics": topics})
    assert caught.value.code == "sources.err.topic"
    assert files.check({"name": "m", "kind": "mqtt", "topics": "a/+/c\nzigbee2mqtt/#"}).options["topics"]


def test_places_keep_coordinates_whole(tmp_path):
    config = files.check({"name": "w", "kind": "openmeteo", "places": "北京\n39.9,116.4\n"})
    assert config.options["places"] == ["北京", "39.9,116.4"]


def test_the_example_file_runs_as_it_is_and_uncommented(tmp_path):
    example = ROOT / "sources.example.toml"
    assert [c.kind for c in files.load(example)] == ["simulator"]
    lines = example.read_text().splitlines()
    opened = [
        line[2:] if line.startswith("# ") and ("=" in line or line.startswith("# [[")) else line for line in lines
    ]
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(opened))
    assert [c.kind for c in files.load(path)] == ["simulator", "mqtt", "openmeteo", "homeassistant"]
