"""Record and replay: a program traced with ``--record`` leaves a bounded, compressed
recording whose rows are the rows a live page was given, whose window at a moment is what
the page showed then, and whose summary compares two runs; anything else is refused with
a clear message."""

from __future__ import annotations

import gzip
import json
import sys
import time

import pytest

from services.tracing.recording import Recorder, Recording, RecordingError
from tests.services.tracing.programs import ask, program

PROGRAM = """
import asyncio, sys, time

async def worker(n):
    for _ in range(int(sys.argv[1])):
        await asyncio.sleep(0.01)

async def main():
    await asyncio.gather(*(asyncio.create_task(worker(n), name=f"worker-{n}") for n in range(3)))
    time.sleep(0.3)  # one slow callback
    await asyncio.sleep(1.2)  # a last second for the recorder

asyncio.run(main())
"""


def run(tmp_path, name: str, steps: int) -> tuple[Recording, dict[int, list]]:
    """Run the program recorded, polling its trace as a page does; (the recording, the rows
    the page was given by seq)."""
    out = tmp_path / f"{name}.llrec"
    live: dict[int, list] = {}
    cursor = -1
    command = [sys.executable, "-m", "looplens", "trace", "--record", str(out)]
    with program(tmp_path / "app.py", PROGRAM, command, [str(steps)]) as (process, url, token):
        while process.poll() is None:
            try:
                status, page = ask(f"{url}/trace?after={cursor}", token)
            except OSError:
                break  # the program ended between two polls
            if status == 409:  # no loop yet
                time.sleep(0.05)
                continue
            assert status == 200, page
            live |= {row[0]: row for row in page["rows"]}
            cursor = page["cursor"]
            time.sleep(0.2)
        assert process.wait(timeout=30) == 0
        assert "recorded " in process.stderr.read()
    return Recording(out), live


def test_a_recording_replays_what_the_page_was_given_and_sums_up_the_run(tmp_path):
    recording, live = run(tmp_path, "first", 40)
    recorded = {row[0]: row for row in recording.rows}
    assert live and set(live) <= set(recorded)  # every row a page saw is in the recording …
    assert all(recorded[seq][:9] == row[:9] for seq, row in live.items())  # … the same
    slow = max(recording.rows, key=lambda row: row[3] - row[2])
    assert 290 < (slow[3] - slow[2]) / 1e6 < 600 and slow[9]["where"][2] == "main"
    start, end = recording.span_ns
    shown = recording.window(slow[3] + 1, window_s=1.0)  # the scrubber at the slow callback's end
    assert slow in shown["rows"] and all(start <= row[3] <= slow[3] + 1 for row in shown["rows"])
    summary = recording.summary()
    assert summary["callbacks"] == len(recording.rows) and summary["slow"] == 1 and summary["tasks"] >= 3
    assert "diag.blocking" in summary["findings"] and 290 < summary["longest_ms"] < 600
    other = run(tmp_path, "second", 80)[0].summary()  # twice the work: side by side
    assert other["callbacks"] > summary["callbacks"]


def test_a_recording_stops_at_its_size_and_counts_what_it_did_not_write(tmp_path):
    answer = {"cursor": 0, "rows": [[n, 0, n, n + 1, 0, 0, "lane", "x" * 200, False] for n in range(500)]}
    body = json.dumps(answer).encode()
    recorder = Recorder(tmp_path / "small.llrec", lambda cursor: (0, body), {"argv": []}, max_bytes=2000)
    for _ in range(30):
        recorder.step()
    recorder.close()
    assert recorder.not_written > 0 and (tmp_path / "small.llrec").stat().st_size < 20_000
    assert Recording(tmp_path / "small.llrec").answers  # what it did write reads back


@pytest.mark.parametrize("content", [b"", b"not gzip at all", gzip.compress(b'{"some": "json"}\n')])
def test_a_file_that_is_not_a_recording_is_refused_clearly(tmp_path, content):
    path = tmp_path / "x.llrec"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match="x.llrec is not a looplens recording"):
        Recording(path)
