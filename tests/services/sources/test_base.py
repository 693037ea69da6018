"""What every source shares: clean data, halves joined, bounded queue and reject list."""

import asyncio
import time

from services.sources import base
from services.sources.base import BaseSource
from services.sources.model import SensorInfo, SourceReading


class Manual(BaseSource):
    kind = "manual"
    pairs_halves = True

    async def _run(self) -> None:
        await asyncio.Event().wait()


NOW = time.time()


def reading(**values) -> SourceReading:
    return SourceReading("home", "s1", NOW, **values)


def test_fahrenheit_becomes_celsius_with_the_original_kept_and_implausible_values_are_refused():
    async def main():
        async with Manual("home") as source:
            source.found(SensorInfo("home", "s1", "Hall"))
            assert source.emit(reading(raw_temperature=77.0, raw_unit="F", humidity_pct=40.0))
            assert not source.emit(reading(raw_temperature=150.0, humidity_pct=40.0))
            assert not source.emit(reading(raw_temperature=20.0, humidity_pct=140.0))
            got = await asyncio.wait_for(anext(source.readings()), 1)
            return got, source.sensors()[0], source.rejects()

    got, sensor, rejects = asyncio.run(main())
    assert (got.temperature_c, got.raw_temperature, got.raw_unit) == (25.0, 77.0, "F")
    assert sensor.rejected == 2 and sensor.readings == 1
    assert [r.reason for r in rejects] == ["sources.reject.temp_range", "sources.reject.hum_range"]


def test_two_halves_of_one_reading_are_stored_as_one_and_a_lone_half_after_the_hold(monkeypatch):
    monkeypatch.setattr(base, "HOLD_S", 0.1)

    async def main():
        async with Manual("home") as source:
            source.found(SensorInfo("home", "s1", "Hall"))
            source.emit(reading(raw_temperature=21.0))
            source.emit(SourceReading("home", "s1", NOW + 0.4, humidity_pct=50.0))
            joined = await asyncio.wait_for(anext(source.readings()), 1)
            source.emit(reading(raw_temperature=22.0))
            alone = await asyncio.wait_for(anext(source.readings()), 1)
            return joined, alone

    joined, alone = asyncio.run(main())
    assert (joined.ts, joined.temperature_c, joined.humidity_pct) == (NOW, 21.0, 50.0)
    assert (alone.temperature_c, alone.humidity_pct) == (22.0, None)


def test_the_reject_list_and_the_queue_are_bounded_and_count_what_they_drop(monkeypatch):
    monkeypatch.setattr(base, "QUEUE_CAP", 3)

    async def main():
        async with Manual("home", secrets=("hunter2",)) as source:
            source.found(SensorInfo("home", "s1", "Hall"))
            for i in range(5):
                source.emit(SourceReading("home", "s1", NOW + i, raw_temperature=20.0, humidity_pct=40.0))
            for _ in range(base.REJECTS_KEPT + 10):
                source.reject("t", "sources.reject.not_json", "password hunter2 in it")
            return source.status(), source.rejects(), source.drain()

    status, rejects, drained = asyncio.run(main())
    assert (status.readings, status.dropped, len(drained)) == (5, 2, 3)
    assert status.rejected == base.REJECTS_KEPT + 10 and len(rejects) == base.REJECTS_KEPT
    assert "hunter2" not in rejects[-1].detail


def test_a_reading_from_the_far_past_or_the_future_is_refused_not_stored():
    async def main():
        async with Manual("home") as source:
            source.found(SensorInfo("home", "s1", "Hall"))
            for ts in (1e300, NOW + 3600, NOW - 40 * 86400, float("nan")):
                assert not source.emit(SourceReading("home", "s1", ts, raw_temperature=20.0))
            return source.rejects(), source.drain()

    rejects, queued = asyncio.run(main())
    assert [r.reason for r in rejects] == ["sources.reject.time"] * 4 and queued == []
