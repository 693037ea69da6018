"""The collector as a child process: its command, the check that it has started (its
first heartbeat is in the store), and an owner for it."""

from __future__ import annotations

import sys
from pathlib import Path

from services.core.children import ChildProcess
from services.live.meta import last_heartbeat
from services.live.store import ReadingStore

COLLECTOR_COMMAND = [sys.executable, "-m", "services.live.collector"]


def collector_ready(store_path: Path, pid: int) -> bool:
    """Whether collector ``pid`` has written its first heartbeat."""
    if not store_path.exists():
        return False
    with ReadingStore(store_path) as store:
        beat = last_heartbeat(store)
    return beat is not None and beat.get("pid") == pid


class CollectorProcess(ChildProcess):
    """The collector, configured like everything else by ``LOOPLENS_*`` in ``env``;
    ready once its first heartbeat is in the store."""

    name = "collector"

    def __init__(self, store_path: Path, start_timeout_s: float = 15.0, env: dict[str, str] | None = None) -> None:
        super().__init__(start_timeout_s, env)
        self.store_path = store_path

    def command(self) -> list[str]:
        return list(COLLECTOR_COMMAND)

    def ready(self) -> bool:
        return self.pid is not None and collector_ready(self.store_path, self.pid)
