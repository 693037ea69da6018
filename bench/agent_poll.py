"""What one agent answer costs the traced program's GIL, on one thread, without a load
generator (bench/agent_overhead.py measures the program itself, and needs a quiet machine).

An aiohttp-like loop (50 connections, a task per request) is traced until its ring holds
210,000 rows; then the page's poll is answered as the agent's route does (``poll_body``:
the answer and its JSON) for an ``after`` 200,000 rows back, so it takes the newest 6,000
rows, passes over the rest, and names each task as new. Prints the median time of an
answer, and how much of it ran in the C passes that release the GIL (the rest held it).

Usage: python bench/agent_poll.py [answers, default 20]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.tracing import answer, columns  # noqa: E402
from services.tracing.agent import AgentHub  # noqa: E402
from services.tracing.primitives import Primitives  # noqa: E402

ROWS = 210_000
RELEASING = ("scan", "take", "json_rows")  # the C passes that release the GIL


class _Timed:
    """The C module, timing the passes that release the GIL."""

    def __init__(self, module: Any) -> None:
        self.module, self.ns = module, 0

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.module, name)
        if name not in RELEASING:
            return found

        def timed(*args: Any) -> Any:
            began = time.perf_counter_ns()
            try:
                return found(*args)
            finally:
                self.ns += time.perf_counter_ns() - began

        return timed


async def _requests(hub: AgentHub) -> None:
    async def handler() -> None:
        await asyncio.sleep(0)

    async def connection() -> None:
        while hub.tracer.statistics().recorded < ROWS:
            await asyncio.create_task(handler())

    await asyncio.gather(*(connection() for _ in range(50)))


def main() -> None:
    answers = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    loop = asyncio.new_event_loop()
    hub = AgentHub(loop, Primitives())
    hub.tracer.attach()
    loop.run_until_complete(_requests(hub))
    hub.tracer.detach()
    after = hub.tracer.statistics().recorded - 200_001
    timed = _Timed(columns._looptrace) if columns._looptrace is not None else None
    if timed is not None:
        columns._looptrace = answer._looptrace = timed
    took, released = [], []
    for _ in range(answers + 1):
        hub._internal.clear()  # under load each answer's tasks are new to the hub
        if timed is not None:
            timed.ns = 0
        began = time.perf_counter_ns()
        body = hub.poll_body(after, 10.0)
        took.append((time.perf_counter_ns() - began) / 1e6)
        released.append(timed.ns / 1e6 if timed is not None else 0.0)
    loop.close()
    took, released = took[1:], released[1:]  # the first warms the caches
    c = "C module" if timed is not None else "no C module (Python twins)"
    sent = json.loads(body)
    print(f"{c}: {len(sent['rows']):,} rows, {len({row[5] for row in sent['rows']}):,} tasks, {len(body) / 1e3:.0f} kB")
    print(
        f"answer + JSON: median {statistics.median(took):.2f} ms (min {min(took):.2f});"
        f" in C with the GIL released {statistics.median(released):.2f} ms;"
        f" GIL held {statistics.median(t - r for t, r in zip(took, released, strict=True)):.2f} ms"
    )


if __name__ == "__main__":
    main()
