import statistics

from services.sensors.model import HUMIDITY_RANGE_PCT, TEMP_RANGE_C, reading_at
from services.sensors.stations import BY_ID, STATIONS

T0 = 1_790_000_000  # a fixed instant, so the test does not depend on today


def test_same_station_second_and_seed_give_the_same_reading():
    beijing = BY_ID["beijing"]
    assert reading_at(beijing, T0, 7) == reading_at(beijing, T0 + 0.9, 7)
    assert reading_at(beijing, T0, 7) != reading_at(beijing, T0, 8)
    assert reading_at(beijing, T0, 7) != reading_at(BY_ID["shanghai"], T0, 7)


def test_every_station_stays_in_physical_ranges_over_two_days():
    for station in STATIONS:
        for ts in range(T0, T0 + 2 * 86400, 600):
            r = reading_at(station, ts, 7)
            assert TEMP_RANGE_C[0] <= r.temperature_c <= TEMP_RANGE_C[1]
            assert HUMIDITY_RANGE_PCT[0] <= r.humidity_pct <= HUMIDITY_RANGE_PCT[1]


def test_afternoon_is_warmer_and_drier_than_before_dawn():
    beijing = BY_ID["beijing"]
    day = [reading_at(beijing, T0 + m * 60, 7) for m in range(0, 1440, 5)]
    by_hour = {}
    for r in day:
        hour = (r.ts + 8 * 3600) % 86400 // 3600
        by_hour.setdefault(hour, []).append(r)
    afternoon, dawn = by_hour[15], by_hour[4]
    assert min(r.temperature_c for r in afternoon) > max(r.temperature_c for r in dawn)
    assert max(r.humidity_pct for r in afternoon) < min(r.humidity_pct for r in dawn)
    temps = [r.temperature_c for r in day]
    hums = [r.humidity_pct for r in day]
    assert statistics.correlation(temps, hums) < -0.8
