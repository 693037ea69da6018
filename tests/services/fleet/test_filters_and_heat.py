"""The Fleet page's filters refuse what they cannot use with a message key; the heat strip
comes from hourly rollups and puts the sensor furthest from the fleet on top."""

from __future__ import annotations

import numpy as np
import pytest

from services.core.errors import FleetInputError
from services.fleet.filters import MAX_TEXT_CHARS, FleetFilter
from services.fleet.heat import heat_strip, pick
from services.live.rollups import HOUR
from services.live.store import ReadingStore
from services.sources.model import SourceReading


def test_a_filter_is_made_plain_and_becomes_a_grid_filter_model():
    f = FleetFilter.parse("  ＢＪ ", "home", "offline", {"home", "simulator"})
    assert f.text == "BJ"
    assert f.filter_model() == {
        "source": {"filterType": "text", "type": "equals", "filter": "home"},
        "status": {"filterType": "text", "type": "equals", "filter": "offline"},
    }
    assert FleetFilter.parse(None, None, None, set()).filter_model() == {}


@pytest.mark.parametrize(
    ("text", "source", "status", "code"),
    [
        ("x" * (MAX_TEXT_CHARS + 1), "", "", "fleet.err.text_long"),
        ("a\x00b", "", "", "fleet.err.text"),
        ("a\u200bb", "", "", "fleet.err.text"),
        (42, "", "", "fleet.err.text"),
        ("", "nowhere", "", "fleet.err.source"),
        ("", "", "asleep", "fleet.err.status"),
    ],
)
def test_a_bad_filter_says_what_is_wrong(text, source, status, code):
    with pytest.raises(FleetInputError) as err:
        FleetFilter.parse(text, source, status, {"home"})
    assert err.value.code == code


def test_the_heat_strip_reads_hourly_buckets_and_puts_the_odd_one_on_top(tmp_path):
    now = 1_790_000_000
    with ReadingStore(tmp_path / "r.sqlite3") as store:
        rows = []
        for hour in range(24):
            ts = now - hour * HOUR
            for sensor, t in (("a", 20.0), ("b", 21.0), ("c", 35.0), ("d", 20.5)):
                rows.append((SourceReading("home", sensor, ts, temperature_c=t, humidity_pct=50), ts * 1000))
        store.add(rows)
        strip = heat_strip(store, ["home:a", "home:b", "home:c", "home:d", "home:never"], now, max_rows=3)
    assert strip.keys[0] == "home:c" and len(strip.keys) == 3 and strip.sensors == 4
    assert strip.z.shape == (3, 24) and strip.z.dtype == np.float32
    assert strip.z[0, -1] == pytest.approx(35.0)


def test_a_strip_with_no_data_is_empty():
    strip = pick(["a"], np.arange(24), np.full((1, 24), np.nan, dtype=np.float32), 40)
    assert strip.keys == [] and strip.z.shape == (0, 24)
