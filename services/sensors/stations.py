"""The simulated station fleet and how a typed name finds its station."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from services.core.errors import EmptyQuery, QueryTooLong, UnknownStation

MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class Station:
    """One station and the climate its simulated readings follow."""

    id: str
    name_en: str
    name_zh: str
    mean_temp_c: float  # daily mean
    daily_swing_c: float  # half the day's max-min range
    mean_humidity_pct: float
    utc_offset_h: float = 8.0
    indoor: bool = False
    source: str = "simulator"  # a real sensor's source (its key is "source:its id")
    period_s: float = 0.0  # a real sensor's own reporting period (0: the collector's)

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name_en": self.name_en, "name_zh": self.name_zh}


STATIONS: tuple[Station, ...] = (
    Station("beijing", "Beijing", "北京", 13.0, 6.0, 52.0),
    Station("shanghai", "Shanghai", "上海", 17.5, 4.0, 74.0),
    Station("guangzhou", "Guangzhou", "广州", 22.5, 4.0, 78.0),
    Station("shenzhen", "Shenzhen", "深圳", 23.5, 3.5, 76.0),
    Station("chengdu", "Chengdu", "成都", 16.5, 3.5, 80.0),
    Station("hangzhou", "Hangzhou", "杭州", 17.8, 4.5, 75.0),
    Station("wuhan", "Wuhan", "武汉", 17.0, 5.0, 73.0),
    Station("xian", "Xi'an", "西安", 14.5, 6.0, 62.0),
    Station("nanjing", "Nanjing", "南京", 16.0, 5.0, 72.0),
    Station("chongqing", "Chongqing", "重庆", 18.5, 4.0, 79.0),
    Station("harbin", "Harbin", "哈尔滨", 4.5, 7.0, 63.0),
    Station("lhasa", "Lhasa", "拉萨", 8.5, 8.0, 35.0),
    Station("kunming", "Kunming", "昆明", 15.5, 5.5, 70.0),
    Station("lab-1", "lab-1", "实验室-1", 21.5, 0.8, 42.0, indoor=True),
    Station("lab-2", "lab-2", "实验室-2", 23.0, 1.2, 38.0, indoor=True),
    Station("lab-3", "lab-3", "实验室-3", 19.0, 0.6, 55.0, indoor=True),
)

BY_ID: dict[str, Station] = {s.id: s for s in STATIONS}
MAX_FLEET = 2000


def _synthetic(number: int) -> Station:
    """Station ``number`` (17, 18, ...) beyond the named ones: a stable, varied climate."""
    spread = (number * 7919) % 100 / 100  # deterministic, spread over [0, 1)
    return Station(
        id=f"sim-{number:04d}",
        name_en=f"sim-{number:04d}",
        name_zh=f"模拟-{number:04d}",
        mean_temp_c=round(5 + 20 * spread, 1),
        daily_swing_c=round(2 + 5 * ((number * 31) % 10) / 10, 1),
        mean_humidity_pct=round(40 + 40 * (1 - spread), 1),
    )


def fleet(size: int = len(STATIONS)) -> tuple[Station, ...]:
    """The first ``size`` stations: the named ones, then synthetic ``sim-NNNN`` ones."""
    if not 1 <= size <= MAX_FLEET:
        raise ValueError(f"fleet size must be 1..{MAX_FLEET}, not {size}")
    named = STATIONS[:size]
    return named + tuple(_synthetic(n) for n in range(len(STATIONS) + 1, size + 1))


_SEPARATORS = re.compile(r"[\s'’\-_.·]+")


def normalize(text: str) -> str:
    """Fold case, width and separators, so ' BeiJing ', 'xi an' and 'Xi'an' match."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub("", folded)


def _keys(station: Station) -> set[str]:
    keys = {normalize(station.id), normalize(station.name_en), normalize(station.name_zh)}
    if not station.indoor:
        keys.add(normalize(station.name_zh + "市"))  # "北京市" is how many people type it
    return keys


_INDEX: dict[str, Station] = {key: s for s in STATIONS for key in _keys(s)}


def _index(extra: Sequence[Station]) -> dict[str, Station]:
    """The names to look up: the simulated stations', then every other source's sensors'."""
    if not extra:
        return _INDEX
    index = dict(_INDEX)
    for station in extra:
        plain = station.name_en.rsplit(" · ", 1)[0]  # "Living room · home": the sensor's own name
        for key in (normalize(station.id), normalize(plain), normalize(station.id.partition(":")[2])):
            index.setdefault(key, station)
    return index


def suggest(text: str, limit: int = 3, extra: Sequence[Station] = ()) -> list[Station]:
    """The stations whose names are closest to ``text``, best first."""
    wanted = normalize(text)
    index = _index(extra)
    found: list[Station] = []
    for key in difflib.get_close_matches(wanted, list(index), n=limit * 3, cutoff=0.5):
        station = index[key]
        if station not in found:
            found.append(station)
    return found[:limit]


def resolve(raw: str | None, extra: Sequence[Station] = ()) -> Station:
    """The station (or, among ``extra``, the sensor of another source) a user means by
    ``raw``, or a QueryInputError saying why not."""
    text = (raw or "").strip()
    if not text:
        raise EmptyQuery("empty query")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooLong("query too long", length=len(text), limit=MAX_QUERY_CHARS)
    station = _index(extra).get(normalize(text))
    if station is None:
        found = suggest(text, extra=extra)
        raise UnknownStation("unknown station", query=text, suggestions=[s.as_dict() for s in found])
    return station
