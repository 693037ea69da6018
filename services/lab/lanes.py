"""The lab's swimlanes: each item as a bar on its worker's lane, on the run's clock."""

from __future__ import annotations

from dataclasses import dataclass

from services.lab.workload import Item


@dataclass(frozen=True)
class Lane:
    engine: str
    label: str  # the lane's key (engine, pid, thread, slot), in no language: the page words it
    pid: int
    thread: str  # "" on the main thread, and for coroutines and greenlets
    slot: int  # 1, 2 … where items overlap on one worker (coroutines, greenlets), else 0
    x: list[float | None]  # seconds from the run's start: start, end, gap per item
    y: list[str | None]


def swimlanes(engine: str, items: list[Item], origin_ns: int, max_items: int = 600, max_lanes: int = 16) -> list[Lane]:
    """Items as bars on lanes: one lane per worker (process and thread); items that overlap
    on one worker (coroutines, greenlets) are spread over slots so concurrency shows.
    At most ``max_items`` bars (evenly picked) and ``max_lanes`` lanes per engine."""
    step = max(1, -(-len(items) // max_items))
    shown = sorted(items[::step], key=lambda item: item.start_ns)
    free_at: dict[tuple[int, str], list[int]] = {}  # worker → end of the last bar per slot
    placed = []
    for item in shown:
        slots = free_at.setdefault((item.pid, item.thread), [])
        slot = next((k for k, end in enumerate(slots) if end <= item.start_ns), len(slots))
        if slot == len(slots):
            slots.append(0)
        slots[slot] = item.end_ns
        placed.append((item, slot))
    rows: dict[tuple[int, str, int], list[Item]] = {}
    for item, slot in placed:
        thread = "" if item.thread in ("MainThread", "") else item.thread
        rows.setdefault((item.pid, thread, slot + 1 if len(free_at[(item.pid, item.thread)]) > 1 else 0), []).append(
            item
        )
    lanes = []
    for (pid, thread, slot), row in list(rows.items())[:max_lanes]:
        label = f"{engine} · pid {pid}" + (f" · {thread}" if thread else "") + (f" #{slot}" if slot else "")
        xs: list[float | None] = []
        for item in row:
            xs += [(item.start_ns - origin_ns) / 1e9, (item.end_ns - origin_ns) / 1e9, None]
        lanes.append(Lane(engine, label, pid, thread, slot, xs, [label, label, None] * len(row)))
    return lanes
