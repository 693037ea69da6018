"""A worker's ear on the store: one look at SQLite's data version (``PRAGMA data_version``,
no table read) for all the Live streams of a process that wait for new rows, instead of
one per page. It looks only while a stream waits.

``rung`` counts the commits it heard (by other connections: the collector's). A stream
remembers the count it last read rows at and waits for it to change::

    if stream.heard != bell.rung:
        stream.heard = bell.rung
        rows = store.since(...)
    await bell.wait(stream.heard, timeout)

A commit between a stream's read and its wait is not missed: the bell keeps its connection,
and so the version it last saw, while nobody waits, and its next look rings for it (its
very first look rings too: a stream then reads once for nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

from services.live.store import ReadingStore

logger = logging.getLogger(__name__)

EVERY_S = 0.002  # how often it looks while somebody waits
RETRY_S = 1.0  # after the store failed it: meanwhile every wait runs to its timeout


class CommitBell:
    def __init__(self, path: Path, every_s: float = EVERY_S) -> None:
        self.path, self.every_s = path, every_s
        self.rung = 0
        self._store: ReadingStore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Future[None]] = set()
        self._task: asyncio.Task[None] | None = None

    async def wait(self, heard: int, timeout: float) -> None:
        """Until ``rung`` differs from ``heard`` (at once if it does), or ``timeout`` seconds."""
        if self.rung != heard:
            return
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # the app served by another loop (a test's new server)
            self._loop, self._waiters, self._task = loop, set(), None
        waiter = loop.create_future()
        self._waiters.add(waiter)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._listen(), name="looplens: commit bell")
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiters.discard(waiter)

    async def _listen(self) -> None:
        try:
            if self._store is None:  # its first look rings (for whatever came before it)
                self._store = ReadingStore(self.path)
            while self._waiters:
                if self._store.changed():
                    self._ring()
                await asyncio.sleep(self.every_s)
        except sqlite3.Error as err:  # the pages read, and meet the store's trouble themselves
            logger.warning("the commit bell cannot look at the store (%s); it tries again in %g s", err, RETRY_S)
            self._store = None
            self._ring()
            await asyncio.sleep(RETRY_S)

    def _ring(self) -> None:
        self.rung += 1
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
