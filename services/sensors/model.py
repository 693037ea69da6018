"""Deterministic simulated readings: the same (station, second, seed) gives the same values.

Temperature follows a daily cycle peaking at 15:00 local time; relative humidity
moves against it (warm air holds more water, so %RH falls as it warms), plus small
noise from a stable hash, so runs and processes agree without sharing state.
"""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from services.sensors.stations import Station

TEMP_RANGE_C = (-40.0, 60.0)
HUMIDITY_RANGE_PCT = (5.0, 100.0)
_HUMIDITY_PER_DEGREE = 2.2  # %RH lost per °C above the daily mean


@dataclass(frozen=True)
class Reading:
    station_id: str
    ts: int  # Unix seconds (UTC)
    temperature_c: float
    humidity_pct: float

    @property
    def observed_at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, tz=UTC)

    def as_dict(self) -> dict[str, object]:
        return {
            "station": self.station_id,
            "ts": self.ts,
            "time": self.observed_at.isoformat(),
            "temperature_c": self.temperature_c,
            "humidity_pct": self.humidity_pct,
        }


def _noise(seed: int, station_id: str, ts: int) -> tuple[float, float]:
    """Two stable values in [-1, 1) from a hash (``hash()`` differs per process)."""
    digest = hashlib.blake2b(f"{seed}:{station_id}:{ts}".encode(), digest_size=8).digest()
    a, b = struct.unpack("<II", digest)
    return a / 2**31 - 1.0, b / 2**31 - 1.0


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


def reading_at(station: Station, ts: float, seed: int) -> Reading:
    """The reading of ``station`` at the whole second containing ``ts``."""
    second = int(math.floor(ts))
    local_hours = ((second + station.utc_offset_h * 3600) % 86400) / 3600
    cycle = math.cos(2 * math.pi * (local_hours - 15.0) / 24)
    n_temp, n_hum = _noise(seed, station.id, second)
    temp = station.mean_temp_c + station.daily_swing_c * cycle + 0.3 * n_temp
    humidity = station.mean_humidity_pct - _HUMIDITY_PER_DEGREE * (temp - station.mean_temp_c) + 1.5 * n_hum
    return Reading(
        station_id=station.id,
        ts=second,
        temperature_c=round(_clamp(temp, TEMP_RANGE_C), 2),
        humidity_pct=round(_clamp(humidity, HUMIDITY_RANGE_PCT), 2),
    )
