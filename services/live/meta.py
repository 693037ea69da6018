"""What the collector writes into the reading store beside the readings, and the one
place that reads it back: its heartbeat (health, the Live status line, the lab's watch of
the collector's period) and the stations it polls (every Live page's station list)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.core.settings import Settings
from services.live.store import ReadingStore
from services.sensors.stations import STATIONS, Station, fleet

HEARTBEAT_KEY = "collector"
STATIONS_KEY = "stations"


def write_heartbeat(store: ReadingStore, pid: int, at: float, period_s: float, **stats: Any) -> None:
    store.set_meta(HEARTBEAT_KEY, {"pid": pid, "at": at, "period_s": period_s, **stats})


def write_polled_stations(store: ReadingStore, ids: Sequence[str]) -> None:
    store.set_meta(STATIONS_KEY, {"ids": list(ids)})


def last_heartbeat(store: ReadingStore) -> dict[str, Any] | None:
    """The collector's last heartbeat, however old."""
    return store.meta(HEARTBEAT_KEY)


def heartbeat(store: ReadingStore, settings: Settings, now: float | None = None) -> dict[str, Any] | None:
    """The collector's last heartbeat if it is recent (3 periods + 2 s), else None."""
    beat = last_heartbeat(store)
    if beat is None:
        return None
    age = (now if now is not None else time.time()) - float(beat["at"])
    return beat if age <= 3 * settings.collector_period_s + 2 else None


def heartbeat_at(store_path: Path) -> float | None:
    """When the collector last beat (None: never, or no store yet)."""
    if not store_path.exists():
        return None
    with ReadingStore(store_path) as store:
        beat = last_heartbeat(store)
    return float(beat["at"]) if beat else None


def polled_stations(settings: Settings) -> dict[str, Station]:
    """The stations the collector polls (from its last discovery), else the configured fleet."""
    named = {s.id: s for s in fleet(max(settings.sensor_stations, len(STATIONS)))}  # for names
    if settings.store_path.exists():
        with ReadingStore(settings.store_path) as store:
            found = store.meta(STATIONS_KEY)
        if found:
            return {sid: named.get(sid) or Station(sid, sid, sid, 15, 5, 60) for sid in found["ids"]}
    return {s.id: s for s in fleet(settings.sensor_stations)}
