import pytest

from services.core.errors import EmptyQuery, QueryTooLong, UnknownStation
from services.sensors.stations import BY_ID, STATIONS, resolve


def test_fleet_has_at_least_twelve_named_stations_in_both_languages():
    assert len(STATIONS) >= 12
    for required in ("北京", "上海", "广州", "深圳", "成都", "杭州"):
        assert any(s.name_zh == required for s in STATIONS)
    assert {"lab-1", "lab-2"} <= set(BY_ID)
    assert len({s.id for s in STATIONS}) == len(STATIONS)


@pytest.mark.parametrize(
    ("typed", "station_id"),
    [
        ("北京", "beijing"),
        ("  BeiJing ", "beijing"),
        ("北京市", "beijing"),
        ("SHANGHAI", "shanghai"),
        ("上海", "shanghai"),
        ("xi an", "xian"),
        ("Xi'an", "xian"),
        ("LAB-1", "lab-1"),
        ("ｂｅｉｊｉｎｇ", "beijing"),  # full-width letters from a Chinese IME
    ],
)
def test_names_resolve_whatever_the_case_spacing_or_language(typed, station_id):
    assert resolve(typed).id == station_id


@pytest.mark.parametrize("typed", ["", "   ", "\t\n", None])
def test_empty_input_is_rejected(typed):
    with pytest.raises(EmptyQuery):
        resolve(typed)


def test_input_over_100_characters_is_rejected_with_its_length():
    with pytest.raises(QueryTooLong) as err:
        resolve("b" * 101)
    assert err.value.params == {"length": 101, "limit": 100}
    assert resolve(" " * 50 + "beijing" + " " * 50).id == "beijing"  # spaces are not counted


def test_misspelt_name_suggests_the_closest_stations():
    with pytest.raises(UnknownStation) as err:
        resolve("Bejing")
    assert err.value.params["query"] == "Bejing"
    assert err.value.params["suggestions"][0]["id"] == "beijing"


@pytest.mark.parametrize("typed", ["🌡️🔥", "بيجين", "<script>alert(1)</script>"])
def test_emoji_rtl_and_markup_are_unknown_stations_kept_verbatim(typed):
    with pytest.raises(UnknownStation) as err:
        resolve(typed)
    assert err.value.params["query"] == typed
