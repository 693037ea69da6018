"""The collector as an owned child process (the embedded default)."""

from __future__ import annotations

import sys
from pathlib import Path

from services.core.children import ChildProcess
from services.live.meta import last_heartbeat
from services.live.store import ReadingStore


class CollectorProcess(ChildProcess):
    """The collector, configured like everything else by ``LOOPLENS_*`` in ``env``;
    ready once its first heartbeat is in the store."""

    name = "collector"

    def __init__(self, store_path: Path, start_timeout_s: float = 15.0, env: dict[str, str] | None = None) -> None:
        super().__init__(start_timeout_s, env)
        self.store_path = store_path

    def command(self) -> list[str]:
        return [sys.executable, "-m", "services.live.collector"]

    def ready(self) -> bool:
        if not self.store_path.exists():
            return False
        with ReadingStore(self.store_path) as store:
            beat = last_heartbeat(store)
        return beat is not None and beat.get("pid") == self.pid
