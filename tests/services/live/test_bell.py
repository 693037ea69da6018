"""The commit bell: every Live page of a worker hears a stored reading at once, from one look
at the store, and a reading stored while no page waited is heard at the next wait."""

import asyncio
import time

from services.live.bell import CommitBell
from services.live.store import ReadingStore
from services.sensors.model import Reading


def listeners() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "looplens: commit bell"]


def test_one_look_wakes_every_waiting_page_as_soon_as_a_reading_is_stored(tmp_path):
    path = tmp_path / "r.sqlite3"

    async def main():
        with ReadingStore(path) as writer:
            bell = CommitBell(path)
            await bell.wait(bell.rung, 0.05)  # its first look rings for what came before
            heard = bell.rung
            pages = [asyncio.create_task(bell.wait(heard, 5.0)) for _ in range(3)]
            await asyncio.sleep(0.05)
            assert len(listeners()) == 1  # one look for all three
            stored = time.monotonic()
            writer.add([(Reading("beijing", 1, 20.0, 50.0), 1000)])
            await asyncio.gather(*pages)
            woke_after = time.monotonic() - stored
            assert bell.rung == heard + 1
            await asyncio.sleep(0.05)
            return woke_after, listeners()

    woke_after, left = asyncio.run(main())
    assert woke_after < 0.5  # not the 5-s timeout
    assert left == []  # nobody waits: it stops looking


def test_a_reading_stored_while_no_page_waited_is_heard_at_the_next_wait(tmp_path):
    path = tmp_path / "r.sqlite3"

    async def main():
        with ReadingStore(path) as writer:
            bell = CommitBell(path)
            await bell.wait(bell.rung, 0.05)
            heard = bell.rung
            await bell.wait(heard, 0.05)  # nothing stored: the timeout
            assert bell.rung == heard
            writer.add([(Reading("beijing", 1, 20.0, 50.0), 1000)])  # nobody waits now
            began = time.monotonic()
            await bell.wait(heard, 5.0)
            return bell.rung - heard, time.monotonic() - began

    rang, waited = asyncio.run(main())
    assert rang == 1
    assert waited < 0.5


def test_a_store_it_cannot_open_is_logged_and_no_page_waits_on_it(tmp_path, caplog):
    bell = CommitBell(tmp_path)  # a directory: SQLite cannot open it

    async def main():
        began = time.monotonic()
        await bell.wait(bell.rung, 5.0)  # the page goes to read, and meets the error itself
        return time.monotonic() - began

    assert asyncio.run(main()) < 0.5
    assert bell.rung == 1
    assert "the commit bell cannot look at the store" in caplog.text
