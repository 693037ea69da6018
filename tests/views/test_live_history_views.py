"""The long-range figure and the per-day table, built from a snapshot of seeded history."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from scripts.seed_history import seed
from services.live.daily import MAX_SHOWN_ROWS, daily_frame
from services.live.history import Presence, history_snapshot, plan
from services.live.rollups import FIVE_MINUTES, Bucket
from services.live.store import ReadingStore
from services.live.view import LiveView, Thresholds
from services.sensors.stations import BY_ID
from tests.views.helpers import texts
from views.live_history import make_daily_table, make_history_figure, showing

NOW = 1_790_035_200


def values(spec):
    """A figure's typed array (dtype and base64 bytes) as numbers."""
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"])).tolist()


STATIONS = ("beijing", "lhasa")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("h") / "r.sqlite3"
    seed(path, STATIONS, NOW - 8 * 86_400, NOW, period_s=600)
    with ReadingStore(path) as s:
        yield s


def snapshot(store, **view):
    v = LiveView(STATIONS, "7d", **view)
    return history_snapshot(store, v, plan(v, NOW, NOW, 3600), Presence(NOW, {}))


def test_each_station_and_metric_is_a_light_min_max_band_under_its_mean_line(store):
    snap = snapshot(store, lang="zh", thresholds=Thresholds(temp_high=20.0))
    fig = make_history_figure(snap, BY_ID)
    data = fig["data"]
    assert len(data) == 2 * 2 * len(STATIONS)  # per station and metric: a band, a line
    bands = [tr for tr in data if tr.get("fill") == "toself"]
    lines = [tr for tr in data if tr.get("fill") != "toself"]
    assert len(bands) == len(lines) == 4
    assert all("0.18" in tr["fillcolor"] and tr["line"]["width"] == 0 for tr in bands)
    beijing = snap.bands[("beijing", "temperature")]
    assert values(lines[0]["y"]) == beijing.mean.tolist() and lines[0]["name"] == "北京" and lines[0]["showlegend"]
    assert values(bands[0]["y"]) == [*beijing.high.tolist(), *beijing.low[::-1].tolist()]  # max there, min back
    assert lines[1]["yaxis"] == "y2" and not lines[1]["showlegend"]  # humidity below, one legend entry per station
    assert "平均" in lines[0]["hovertemplate"] and "最低–最高" in bands[0]["hovertemplate"]
    assert values(lines[0]["x"]) == beijing.x.tolist()  # numbers: milliseconds of local wall time, 8 bytes a point
    assert any(shape["y0"] == 20.0 for shape in fig["layout"]["shapes"])  # the threshold line
    assert fig["layout"]["xaxis"]["matches"] == "x2"  # one time axis for both charts


def test_the_line_over_the_cards_says_what_they_are_made_of(store):
    p = snapshot(store).plan
    assert showing(p, "en").startswith("Chart and cards: 5-minute statistics")
    assert "5 分钟统计" in showing(p, "zh")
    assert "every reading" in showing(plan(LiveView(STATIONS, "5m"), NOW, NOW, 3600), "en")
    twelve = plan(LiveView(tuple(f"s{n}" for n in range(12)), "7d"), NOW, NOW, 3600)  # 1,000 points a station
    assert twelve.bucket_s == 900 and "15-minute statistics" in showing(twelve, "en")  # not "0-hour"
    assert "15 分钟" in showing(twelve, "zh")


def test_the_daily_table_shows_the_newest_rows_and_says_when_it_is_cut():
    buckets = [Bucket(f"s{n}", NOW - day * 86_400, 1, 20.0, 19.0, 21.0, 1, 50.0, 49.0, 51.0)
               for day in range(100) for n in range(5)]  # fmt: skip
    frame = daily_frame(buckets, {})
    shown = make_daily_table(frame, FIVE_MINUTES, "C", "en")
    words = " ".join(texts(shown))
    assert f"Showing the newest {MAX_SHOWN_ROWS} of 500 rows" in words and "5-minute bucket" in words
    grid = shown[-1]  # one grid, its rows as data (not a component per cell)
    assert len(grid.rowData) == MAX_SHOWN_ROWS and all(r["t_min"] == "19.0 °C · 00:00" for r in grid.rowData)
    groups = [c["headerName"] for c in grid.columnDefs if "children" in c]
    assert groups == ["Temperature (°C)", "Humidity (%RH)"]  # min, mean, max under each
    assert "尚无统计" in " ".join(texts(make_daily_table(daily_frame([], {}), FIVE_MINUTES, "C", "zh")))


def test_fifty_stations_each_get_a_light_band_in_their_live_lines_colour(store):
    many = tuple(f"lab-{n:04d}" for n in range(1, 51))
    view = LiveView(many, "7d")
    fig = make_history_figure(history_snapshot(store, view, plan(view, NOW, NOW, 3600), Presence(NOW, {})), BY_ID)
    fills = [tr["fillcolor"] for tr in fig["data"] if tr.get("fill") == "toself"]
    assert len(fills) == 18 and all(f.startswith("rgba(") and f.endswith(",0.18)") for f in fills)
    assert len(set(fills)) == 9 and fills[0] == fills[1]  # a colour's band per metric, as on Live
    assert not any(tr["showlegend"] for tr in fig["data"])  # the cards' swatches name the colours


def test_stations_sharing_a_colour_share_its_traces_each_run_named_and_apart(store):
    shown = ("beijing", *(f"lab-{n:04d}" for n in range(1, 9)), "lhasa")  # 1st and 10th: the first colour
    view = LiveView(shown, "7d")
    snap = history_snapshot(store, view, plan(view, NOW, NOW, 3600), Presence(NOW, {}))
    band, line = make_history_figure(snap, BY_ID)["data"][:2]  # the first colour's temperature
    beijing, lhasa = (snap.bands[(s, "temperature")] for s in STATIONS)
    gap = [float("nan")]
    assert np.array_equal(values(line["x"]), [*beijing.x, *gap, *lhasa.x, *gap], equal_nan=True)
    assert np.array_equal(values(line["y"]), [*beijing.mean, *gap, *lhasa.mean, *gap], equal_nan=True)
    assert line["text"] == ["Beijing"] * len(beijing.x) + [None] + ["Lhasa"] * len(lhasa.x) + [None]
    assert "%{text}" in line["hovertemplate"] and band["hoverinfo"] == "skip"
    high_low = [*beijing.high, *beijing.low[::-1], *gap, *lhasa.high, *lhasa.low[::-1], *gap]
    assert np.array_equal(values(band["y"]), high_low, equal_nan=True)  # a closed band per station
