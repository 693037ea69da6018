"""What a source reports: the sensors it found, their readings, its own state."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("simulator", "mqtt", "openmeteo", "homeassistant")
METRICS = ("temperature", "humidity")


def sensor_key(source: str, sensor_id: str) -> str:
    """A sensor's id across every source: ``source:its own id`` (the simulator keeps plain ids)."""
    return sensor_id if source == "simulator" else f"{source}:{sensor_id}"


@dataclass(frozen=True)
class SensorInfo:
    """A sensor a source found, and what it says of itself."""

    source: str
    sensor_id: str  # the id its source gives it (a Zigbee2MQTT friendly name, an entity id …)
    name: str  # what people call it
    family: str = ""  # zigbee2mqtt, tasmota, esphome, shelly, discovery, openmeteo, homeassistant …
    period_s: float = 60.0  # how often it reports; silent for 3 periods: offline
    unsupported: str = ""  # why it is listed but not read (e.g. the template it uses)

    @property
    def key(self) -> str:
        return sensor_key(self.source, self.sensor_id)


@dataclass(frozen=True)
class SourceReading:
    """One reading as a source gave it: either metric may be missing, the original kept."""

    source: str
    sensor_id: str
    ts: float  # when the sensor measured it (the source's time when it says, else arrival)
    raw_temperature: float | None = None  # as sent, in raw_unit (a source fills these two)
    raw_unit: str = "C"
    humidity_pct: float | None = None
    temperature_c: float | None = None  # set by ``clean.clean`` from the two above
    battery: float | None = None
    linkquality: float | None = None

    @property
    def station_id(self) -> str:  # the store's name for a sensor's key
        return sensor_key(self.source, self.sensor_id)


@dataclass
class SensorState:
    """What is known of one sensor now (the Sources and Live pages show it)."""

    info: SensorInfo
    available: bool | None = None  # None: its source says nothing of availability
    last_seen: float = 0.0
    temperature_c: float | None = None
    humidity_pct: float | None = None
    battery: float | None = None
    linkquality: float | None = None
    readings: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain data (written every few seconds for thousands of sensors: no ``asdict``,
        whose deep copies cost more than the readings themselves)."""
        info = self.info
        return {
            "key": info.key,
            "source": info.source,
            "sensor_id": info.sensor_id,
            "name": info.name,
            "family": info.family,
            "period_s": info.period_s,
            "unsupported": info.unsupported,
            "available": self.available,
            "last_seen": self.last_seen,
            "temperature_c": self.temperature_c,
            "humidity_pct": self.humidity_pct,
            "battery": self.battery,
            "linkquality": self.linkquality,
            "readings": self.readings,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class Rejected:
    """A message a source could not use, and why (``reason`` is an i18n key, ``detail`` its words)."""

    at: float
    where: str  # topic, URL or entity
    reason: str
    detail: str = ""
    excerpt: str = ""  # the start of the message (never a secret: sources strip those)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SourceStatus:
    """How a source is doing: shown on the Sources page, in health and in metrics."""

    name: str
    kind: str
    state: str = "starting"  # starting, connected, retrying, stopped
    error: str = ""  # the last connection error, in words (never with a secret)
    connected_at: float = 0.0
    last_message_at: float = 0.0
    messages: int = 0
    readings: int = 0
    rejected: int = 0
    dropped: int = 0  # readings dropped because the queue to the store was full
    reconnects: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def finite(value: Any) -> float | None:
    """``value`` as a finite float, or None (bools and strings that are not numbers too)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # a JSON integer of 400 digits overflows
        return None
    return number if math.isfinite(number) else None


def now() -> float:
    return time.time()
