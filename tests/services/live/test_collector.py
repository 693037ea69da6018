"""The collector against the real sensor service over loopback."""

import asyncio
import time

from services.live.collector import Collector
from services.live.store import ReadingStore
from services.sensors.model import Reading
from services.sensors.service import FaultConfig, Faults, SensorService
from services.sensors.stations import fleet
from services.sources.model import SourceReading

STATIONS = 16


async def collect(tmp_path, seconds: float, faults: FaultConfig, **kwargs) -> tuple[ReadingStore, Collector]:
    store = ReadingStore(tmp_path / "r.sqlite3")
    async with SensorService(port=0, faults=faults) as service:
        async with Collector(store, service.url, **kwargs) as collector:
            await asyncio.sleep(seconds)
    return store, collector


def per_station(store: ReadingStore) -> dict[str, list[int]]:
    """station → when each of its readings was stored."""
    out: dict[str, list[int]] = {}
    for row in store.since(0, [s.id for s in fleet(STATIONS)]):
        out.setdefault(row.station, []).append(row.stored_ms)
    return out


def test_every_station_is_polled_each_period_and_polls_are_spread(tmp_path):
    faults = FaultConfig(default=Faults(latency_ms=5, jitter_ms=1))
    store, collector = asyncio.run(collect(tmp_path, 3.2, faults, period_s=1.0))
    got = per_station(store)
    assert len(got) == STATIONS
    answered = {s: st.ok for s, st in collector.simulator.stats.stations.items()}
    assert all(3 <= n <= 4 for n in answered.values()), answered
    firsts = sorted(times[0] for times in got.values())
    assert firsts[-1] - firsts[0] > 600  # staggered over the period, not one burst
    assert collector.simulator.stats.failed == 0


def test_a_hanging_station_does_not_delay_the_others(tmp_path):
    faults = FaultConfig(default=Faults(latency_ms=5, jitter_ms=1), stations={"harbin": Faults(hang_rate=1.0)})
    store, collector = asyncio.run(collect(tmp_path, 3.2, faults, period_s=1.0, timeout_s=0.5))
    assert "harbin" not in per_station(store) and len(per_station(store)) == STATIONS - 1
    others = {s: st.ok for s, st in collector.simulator.stats.stations.items() if s != "harbin"}
    assert all(n >= 3 for n in others.values()), others  # every period, as if harbin answered
    assert collector.simulator.stats.stations["harbin"].consecutive_failures >= 1


def test_a_failing_station_backs_off_then_recovers(tmp_path):
    async def scenario():
        store = ReadingStore(tmp_path / "r.sqlite3")
        faults = FaultConfig(default=Faults(latency_ms=5, jitter_ms=1), stations={"lab-1": Faults(error_rate=1.0)})
        async with SensorService(port=0, faults=faults) as service:
            async with Collector(store, service.url, period_s=0.25, max_backoff_s=1.0) as collector:
                await asyncio.sleep(2.5)
                state = collector.simulator.stats.stations["lab-1"]
                failures = state.failed
                # 0.25, 0.5, 1, 1, 1 s apart: backing off, not polled every period (10 times)
                assert 3 <= failures <= 6, failures
                service.faults = FaultConfig(default=faults.default)
                recovered = time.monotonic()
                while state.consecutive_failures and time.monotonic() - recovered < 3:
                    await asyncio.sleep(0.05)
                assert state.consecutive_failures == 0
                assert time.monotonic() - recovered <= 1.2  # within one capped backoff
        return store

    store = asyncio.run(scenario())
    assert store.since(0, ["lab-1"])  # its readings are stored again


def test_readings_older_than_the_retention_are_purged(tmp_path):
    with ReadingStore(tmp_path / "r.sqlite3") as store:
        two_hours_ago = time.time() - 7200
        store.add([(Reading("beijing", int(two_hours_ago), 10.0, 50.0), int(two_hours_ago * 1000))])
    faults = FaultConfig(default=Faults(latency_ms=5, jitter_ms=1))
    store, collector = asyncio.run(collect(tmp_path, 1.2, faults, period_s=0.5, retention_s=3600))
    assert collector.stats.purged == 1
    assert min(r.ts for r in store.since(0, ["beijing"])) > time.time() - 60  # fresh ones stay


def test_a_reading_the_store_refuses_costs_only_itself(tmp_path):
    good = [SourceReading("home", f"s{i}", 1_790_000_000 + i, raw_temperature=20.0, temperature_c=20.0) for i in (1, 2)]
    bad = SourceReading("home", "s3", 1e300, raw_temperature=20.0, temperature_c=20.0)  # past what SQLite holds

    async def main():
        with ReadingStore(tmp_path / "r.sqlite3") as store:
            collector = Collector(store, "")
            for reading in (good[0], bad, good[1]):
                collector._store(reading)
            await asyncio.sleep(0.1)  # the flush
            return store.count(), collector.stats

    count, stats = asyncio.run(main())
    assert (count, stats.stored, stats.failed) == (2, 2, 1)
