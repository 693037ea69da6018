"""What a Live page asks for: its stations, range, unit, pause and alert thresholds
(``LiveView``, ``Thresholds``), checked here, and the units and derived values every
Live view shows."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.core.errors import LiveInputError

RANGES_S: dict[str, int] = {"5m": 300, "1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400, "1y": 365 * 86400}
MAX_WINDOW_S = 2 * 366 * 86400  # a chosen from–to range (or a zoom) is at most this long
MIN_WINDOW_S = 1.0
DEFAULT_RANGE = "5m"
UNITS = ("C", "F")
MAX_STATIONS = 50  # per page: beyond this a chart stops being readable
METRICS = ("temperature", "humidity")


# -- units and derived values ---------------------------------------------------------


def to_unit(celsius: float, unit: str) -> float:
    return round(celsius * 9 / 5 + 32, 2) if unit == "F" else celsius


def from_unit(value: float, unit: str) -> float:
    return (value - 32) * 5 / 9 if unit == "F" else value


def dew_point_c(temp_c: float, rh_pct: float) -> float:
    """Magnus formula (Sonntag 1990 constants), good to ±0.35 °C for -45..60 °C."""
    a, b = 17.62, 243.12
    gamma = math.log(max(rh_pct, 0.1) / 100) + a * temp_c / (b + temp_c)
    return round(b * gamma / (a - gamma), 2)


def local_time(ts: float) -> datetime:
    return datetime.fromtimestamp(ts).astimezone()


def x_value(ts: float) -> str:
    """A point's x: local wall time, which Plotly shows as given."""
    return local_time(ts).strftime("%Y-%m-%d %H:%M:%S")


# -- the view a page asks for ----------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Alert limits in °C and %RH; None means no limit."""

    temp_low: float | None = None
    temp_high: float | None = None
    hum_low: float | None = None
    hum_high: float | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any], unit: str) -> Thresholds:
        """From the page's inputs (temperature in the shown unit); LiveInputError if unusable."""
        values: dict[str, float | None] = {}
        for key in ("temp_low", "temp_high", "hum_low", "hum_high"):
            value = raw.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                values[key] = None
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise LiveInputError("live.err.not_number", field=key) from None
            if not math.isfinite(number):
                raise LiveInputError("live.err.not_number", field=key)
            values[key] = from_unit(number, unit) if key.startswith("temp") else number
        for metric in ("temp", "hum"):
            low, high = values[f"{metric}_low"], values[f"{metric}_high"]
            if low is not None and high is not None and low > high:
                raise LiveInputError(f"live.err.{metric}_order")
        return cls(**values)

    @classmethod
    def restore(cls, stored: Any) -> Thresholds:
        """Limits kept in the browser (``as_dict`` of earlier ones), checked as if typed; no
        limits when anything in them is not what was kept (old format, tampering)."""
        if not isinstance(stored, dict):
            return cls()
        values = [stored.get(key) for key in ("temp_low", "temp_high", "hum_low", "hum_high")]
        if not all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
            return cls()
        try:
            return cls.parse(dict(zip(("temp_low", "temp_high", "hum_low", "hum_high"), values, strict=True)), "C")
        except LiveInputError:
            return cls()

    def as_dict(self) -> dict[str, float | None]:
        return {
            "temp_low": self.temp_low,
            "temp_high": self.temp_high,
            "hum_low": self.hum_low,
            "hum_high": self.hum_high,
        }

    def limits(self, metric: str) -> tuple[float | None, float | None]:
        """(low, high) of ``metric``, in °C or %RH."""
        return (self.temp_low, self.temp_high) if metric == "temperature" else (self.hum_low, self.hum_high)

    def side(self, metric: str, value: float) -> str | None:
        """ "high" or "low" when ``value`` (°C or %RH) is beyond this metric's limits."""
        low, high = self.limits(metric)
        if high is not None and value > high:
            return "high"
        if low is not None and value < low:
            return "low"
        return None

    def outside(self, metric: str, value: float) -> bool:
        return self.side(metric, value) is not None

    def breaches(self, temp_c: float, hum_pct: float) -> list[str]:
        """Which limits the current reading passes, e.g. ["temp_high"]."""
        sides = (("temp", self.side("temperature", temp_c)), ("hum", self.side("humidity", hum_pct)))
        return [f"{prefix}_{side}" for prefix, side in sides if side]


@dataclass(frozen=True)
class LiveView:
    stations: tuple[str, ...]
    range_key: str = DEFAULT_RANGE
    unit: str = "C"
    paused: bool = False
    thresholds: Thresholds = Thresholds()
    lang: str = "en"
    window: tuple[float, float] | None = None  # fixed [start, end): a from–to range or a zoom

    @property
    def live(self) -> bool:
        """Whether the window ends now and slides (else it is fixed)."""
        return self.window is None

    @classmethod
    def from_store(cls, data: dict[str, Any], known: Iterable[str]) -> LiveView:
        """From the page's view store (written by our own callbacks): unknown values fall back."""
        known_set = set(known)
        stations = tuple(dict.fromkeys(s for s in data.get("stations") or () if s in known_set))
        thresholds = data.get("thresholds") or {}
        return cls(
            stations=stations[:MAX_STATIONS],
            range_key=str(data["range"]) if data.get("range") in RANGES_S else DEFAULT_RANGE,
            unit=str(data["unit"]) if data.get("unit") in UNITS else "C",
            paused=bool(data.get("paused")),
            thresholds=Thresholds(**{k: thresholds.get(k) for k in Thresholds().as_dict()}),
            lang=data.get("lang") or "en",
            window=checked_window(data.get("zoom") or data.get("window")),
        )

    @property
    def range_s(self) -> float:
        return self.window[1] - self.window[0] if self.window else RANGES_S[self.range_key]

    def bounds(self, now: float) -> tuple[float, float]:
        """The shown [start, end) at ``now``."""
        return self.window or (now - self.range_s, now)

    def same_picture(self, other: LiveView) -> bool:
        """True when only pausing differs (no rebuild needed)."""
        return (self.stations, self.range_key, self.unit, self.thresholds, self.lang, self.window) == (
            other.stations,
            other.range_key,
            other.unit,
            other.thresholds,
            other.lang,
            other.window,
        )


def checked_window(raw: Any) -> tuple[float, float] | None:
    """A [start, end] pair from the page's view store, or None when it is not a sane one."""
    try:
        start, end = (float(v) for v in raw)
    except (TypeError, ValueError):
        return None
    ok = math.isfinite(start) and math.isfinite(end) and MIN_WINDOW_S <= end - start <= MAX_WINDOW_S
    return (start, end) if ok and start > 0 else None
