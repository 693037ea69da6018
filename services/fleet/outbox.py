"""What a Fleet push may carry: the rows that changed since the page last got them, within a
byte budget per push (a push goes at most once a second).

A row made again is compared with the one the page has; only a different one waits to go.
A sensor that changes again before its row went replaces its waiting row (counted as
``superseded``: the page never needed the older one). Each push takes first the rows
whose status changed, then the rows the page shows on screen, then the ones waiting
longest, until the budget is spent; the rest wait for the next push (``deferred``). The
waiting rows are at most one per sensor, and every counter is in ``statistics()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

DEFAULT_BUDGET = 15_000  # bytes of rows per push, at most one push a second: ≤ 20 KB/s with the envelope


def size_of(row: dict[str, Any]) -> int:
    """The row's bytes as the page gets it (compact JSON)."""
    return len(json.dumps(row, separators=(",", ":")))


class Outbox:
    """``outbox.offer(rows)``, then ``outbox.take(first=..., shown=...)`` each push."""

    def __init__(self, max_rows: int, budget_bytes: int = DEFAULT_BUDGET) -> None:
        self.max_rows, self.budget = max_rows, budget_bytes
        self._sent: dict[str, dict[str, Any]] = {}
        self._waiting: dict[str, dict[str, Any]] = {}  # insertion order: longest waiting first
        self.superseded = self.deferred = self.dropped = self.pushed_rows = self.pushed_bytes = 0

    def reset(self, rows: Iterable[dict[str, Any]]) -> None:
        """The page got these rows whole (a rebuild): nothing waits."""
        self._waiting.clear()
        self._sent = {row["id"]: row for row in rows}

    def offer(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            key = row["id"]
            if self._sent.get(key) == row:
                self._waiting.pop(key, None)  # changed back before it went
                continue
            if self._waiting.pop(key, None) is not None:
                self.superseded += 1
            elif len(self._waiting) >= self.max_rows:
                self.dropped += 1  # more sensors than the page was built with: it rebuilds
                continue
            self._waiting[key] = row

    def take(self, first: Iterable[str] = (), shown: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The rows of this push: ``first`` (status changes), then ``shown``, then the
        longest waiting, within the budget (at least one row, however large)."""
        out: list[dict[str, Any]] = []
        spent = 0
        for key in (*first, *shown, *list(self._waiting)):
            row = self._waiting.get(key)
            if row is None:
                continue
            size = size_of(row) + 1
            if out and spent + size > self.budget:
                break
            out.append(row)
            spent += size
            del self._waiting[key]
            self._sent[key] = row
        self.deferred += len(self._waiting)
        self.pushed_rows += len(out)
        self.pushed_bytes += spent
        return out

    def __len__(self) -> int:
        return len(self._waiting)

    def statistics(self) -> dict[str, int]:
        return {
            "waiting": len(self._waiting),
            "max_rows": self.max_rows,
            "superseded": self.superseded,
            "deferred": self.deferred,
            "dropped": self.dropped,
            "pushed_rows": self.pushed_rows,
            "pushed_bytes": self.pushed_bytes,
        }
