"""Clean data: every temperature in °C (the original kept), implausible values refused.

A reading outside what a room or a weather station can measure (−60…+85 °C,
0…100 %RH) or not a finite number is refused whole, with the reason, and counted
against its sensor; it is never stored.
"""

from __future__ import annotations

import time

from services.sources.model import SourceReading

TEMP_RANGE_C = (-60.0, 85.0)
MAX_AGE_S, MAX_AHEAD_S = 30 * 86400, 300  # a reading's own time: within the last 30 days, not from the future
HUMIDITY_RANGE_PCT = (0.0, 100.0)
UNITS = ("C", "F", "K")


def to_celsius(value: float, unit: str) -> float:
    if unit == "F":
        return round((value - 32) * 5 / 9, 2)
    if unit == "K":
        return round(value - 273.15, 2)
    return value


def unit_of(text: str | None) -> str | None:
    """ "°F", "F", "°C", "C" (or nothing: °C) as C, F or K; None for a unit we cannot convert."""
    key = (text or "C").strip().lstrip("°º").upper()
    return key if key in UNITS else None


def clean(reading: SourceReading, now: float | None = None) -> SourceReading | str:
    """The reading with ``temperature_c`` set from what was sent (``raw_temperature`` in
    ``raw_unit``), or the i18n key of why it is refused."""
    if reading.raw_temperature is None and reading.humidity_pct is None:
        return "sources.reject.no_value"
    at = time.time() if now is None else now
    if not at - MAX_AGE_S <= reading.ts <= at + MAX_AHEAD_S:  # NaN fails too
        return "sources.reject.time"
    temp = None
    if reading.raw_temperature is not None:
        temp = to_celsius(reading.raw_temperature, reading.raw_unit)
        if not TEMP_RANGE_C[0] <= temp <= TEMP_RANGE_C[1]:
            return "sources.reject.temp_range"
    hum = reading.humidity_pct
    if hum is not None and not HUMIDITY_RANGE_PCT[0] <= hum <= HUMIDITY_RANGE_PCT[1]:
        return "sources.reject.hum_range"
    r = reading  # built whole: dataclasses.replace costs three times as much, for every message
    return SourceReading(
        r.source, r.sensor_id, r.ts, r.raw_temperature, r.raw_unit, hum, temp, r.battery, r.linkquality
    )
