"""What the collector writes into the reading store beside the readings, and the one
place that reads it back: its heartbeat (health, the Live status line, the lab's watch of
the collector's period) and the stations it polls (every Live page's station list)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from services.core.settings import Settings
from services.live.store import ReadingStore
from services.sensors.stations import STATIONS, Station, fleet

HEARTBEAT_KEY = "collector"
SOURCES_KEY = "sources"  # services.sources.manager.SourceManager.snapshot()
AVAILABILITY_KEY = "unavailable"  # the sensors their source says are offline (small, read each push)


def write_heartbeat(store: ReadingStore, pid: int, at: float, period_s: float, **stats: Any) -> None:
    store.set_meta(HEARTBEAT_KEY, {"pid": pid, "at": at, "period_s": period_s, **stats})


def write_sources(store: ReadingStore, snapshot: dict[str, Any]) -> None:
    unavailable = [
        s["key"] for source in snapshot["sources"] for s in source.get("sensors", ()) if s.get("available") is False
    ]
    store.set_meta(SOURCES_KEY, snapshot)
    store.set_meta(AVAILABILITY_KEY, {"keys": unavailable})


def sources_snapshot(settings: Settings) -> dict[str, Any] | None:
    """What the collector last wrote of its sources (None: it has not yet)."""
    if not settings.store_path.exists():
        return None
    with ReadingStore(settings.store_path) as store:
        return store.meta(SOURCES_KEY)


def unavailable(store: ReadingStore) -> set[str]:
    found = store.meta(AVAILABILITY_KEY)
    return set(found["keys"]) if found else set()


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


def polled_stations(settings: Settings, snapshot: dict[str, Any] | None = None) -> dict[str, Station]:
    """Every sensor of every running source (simulated stations keep their names in both
    languages), else, before the collector has said, the configured fleet."""
    snapshot = snapshot if snapshot is not None else sources_snapshot(settings)
    if not snapshot:
        return {s.id: s for s in fleet(settings.sensor_stations)}
    named = {s.id: s for s in fleet(max(settings.sensor_stations, len(STATIONS)))}
    out: dict[str, Station] = {}
    for source in snapshot["sources"]:
        simulated = source["config"]["kind"] == "simulator"
        if simulated and not source.get("sensors") and source["config"]["enabled"]:
            out |= {s.id: s for s in fleet(settings.sensor_stations)}  # not discovered yet: the configured fleet
        for sensor in source.get("sensors", ()):
            key = sensor["key"]
            if sensor.get("unsupported"):
                continue
            if simulated and key in named:
                out[key] = named[key]
                continue
            name = str(sensor.get("name") or key)
            label = name if simulated else f"{name} · {source['config']['name']}"
            out[key] = Station(key, label, label, 0, 0, 0, source=sensor["source"], period_s=sensor["period_s"])
    return out
