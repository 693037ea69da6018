"""Replay on the Trace page: a recording's picture at a moment is the one the live page
showed then; recordings are listed, opened (bounded, cached), uploaded only when they are
recordings, compared side by side and exported to Perfetto."""

from __future__ import annotations

import base64
import gzip
import json
import sys
import time

import pytest

from services.tracing.recording import Recording, RecordingError
from services.tracing.replay import (
    RecordingCache,
    compare,
    findings_at,
    list_recordings,
    path_of,
    perfetto,
    replay,
    save_upload,
    span,
)
from services.tracing.view import TraceSession, TraceView
from tests.services.tracing.programs import ask, program, recorded

PROGRAM = """
import asyncio, sys, time

async def worker(n):
    for _ in range(int(sys.argv[1])):
        await asyncio.sleep(0.01)

async def main():
    await asyncio.gather(*(asyncio.create_task(worker(n), name=f"worker-{n}") for n in range(3)))
    time.sleep(0.25)  # one slow callback
    await asyncio.gather(*(asyncio.create_task(worker(n), name=f"after-{n}") for n in range(2)))
    await asyncio.sleep(1.2)  # a last second for the recorder

asyncio.run(main())
"""
VIEW = TraceView(loop="agent:x", window_s=5, slow_ms=100)


def picture(session: TraceSession, update) -> dict:
    """What a page shows, without the clock (each answer measures wall time anew)."""
    slow = [{k: v for k, v in row.items() if k != "at_ms"} for row in session.slow_rows()]
    return {"ticks": (update.points["ticks"].y, update.points["ticks"].text), "slow": slow}


def test_a_recording_replays_the_picture_a_page_opened_then_showed(tmp_path):
    out = tmp_path / "live.llrec"
    command = [sys.executable, "-m", "looplens", "trace", "--record", str(out)]
    live = None
    with program(tmp_path / "app.py", PROGRAM, command, ["40"]) as (process, url, token):
        while process.poll() is None:  # a page opened now and then: its first answer
            status, answer = ask(f"{url}/trace?after=-1&window_s={VIEW.window_s}", token)
            if status == 200 and any(r[3] - r[2] > 200e6 for r in answer["rows"]) and len(answer["rows"]) > 100:
                live = answer
                break
            time.sleep(0.1)
        assert process.wait(timeout=30) == 0
    assert live is not None, "the page never saw the slow callback"
    session = TraceSession(VIEW)
    shown = picture(session, session.feed(live))
    recording = Recording(out)
    replayed = picture(*replay(recording, live["now_ns"], VIEW))
    assert replayed == shown and shown["slow"] and len(shown["ticks"][0]) > 100
    earlier = picture(*replay(recording, span(recording)[0] + 100_000_000, VIEW))
    assert not earlier["slow"] and len(earlier["ticks"][0]) < len(shown["ticks"][0])  # before the block: not yet
    assert not findings_at(recording, span(recording)[0])["findings"]
    assert "diag.blocking" in {f["code"] for f in findings_at(recording, span(recording)[1])["findings"]}


def test_two_recordings_side_by_side_and_in_perfetto(tmp_path):
    short = Recording(recorded(tmp_path, "short", PROGRAM, ["10"]))
    long = Recording(recorded(tmp_path, "long", PROGRAM, ["60"]))
    rows = {what: (a, b) for what, a, b in compare(short, long)}
    assert rows["callbacks"][0] < rows["callbacks"][1] and rows["slow"] == (1, 1)
    assert 200 < rows["slowest"][0][0][1] < 600 and rows["findings"][0] >= 1
    assert rows["callback_ms_p50"][0] <= rows["callback_ms_p99"][0]
    doc = perfetto(long)
    spans = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert len(spans) == len({r[0] for r in long.rows})
    assert any(e["ph"] == "M" and e["args"]["name"] == "after-1" for e in doc["traceEvents"])
    assert max(e["dur"] for e in spans) > 200_000  # µs: the block


def test_the_folder_lists_recordings_and_names_nothing_outside_it(tmp_path):
    (tmp_path / "a.llrec").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    assert [f.name for f in list_recordings(tmp_path)] == ["a.llrec"]
    assert list_recordings(tmp_path / "none") == []
    assert path_of(tmp_path, "a.llrec") == tmp_path / "a.llrec"
    for name in ("../a.llrec", "/etc/passwd", "notes.txt", "gone.llrec", None, ".a.llrec"):
        with pytest.raises(RecordingError):
            path_of(tmp_path, name)


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def test_an_upload_is_kept_only_when_it_is_a_whole_recording(tmp_path):
    good = gzip.compress(b'{"looplens_recording": 1, "pid": 7}\n{"answer": {"rows": [], "now_ns": 5}}\n')
    assert save_upload(tmp_path, "../run.llrec", data_url(good)) == "run.llrec"
    assert save_upload(tmp_path, "run.llrec", data_url(good)) == "run-2.llrec"  # never overwrites
    with pytest.raises(RecordingError, match="not a looplens recording"):
        save_upload(tmp_path, "bad.llrec", data_url(good[: len(good) // 2]))  # truncated
    with pytest.raises(RecordingError, match="too large"):
        save_upload(tmp_path, "big.llrec", "data:x;base64," + "A" * (17 * 1024 * 1024 * 4 // 3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-2.llrec", "run.llrec"]


def test_the_cache_keeps_two_recordings_and_counts(tmp_path):
    body = gzip.compress(b'{"looplens_recording": 1}\n')
    cache = RecordingCache()
    paths = [tmp_path / f"{n}.llrec" for n in range(3)]
    for path in paths:
        path.write_bytes(body)
        cache.get(path)
    assert cache.get(paths[2]) is cache.get(paths[2])
    assert cache.statistics() == {"size": 2, "opened": 3, "hits": 2, "dropped": 1}


def test_a_recording_that_unpacks_too_large_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.llrec"
    path.write_bytes(gzip.compress(b'{"looplens_recording": 1}\n' + b'{"answer": {"rows": []}}\n' * 50_000))
    with pytest.raises(RecordingError, match="too large") as refused:
        Recording(path, max_read=100_000)
    assert refused.value.code == "trace.replay.err.large" and refused.value.params["name"] == "huge.llrec"
    assert len(Recording(path).answers) == 50_000


LINKED = """
import asyncio, time

def crunch():
    time.sleep(0.02)

async def leaf(n):
    await asyncio.sleep(0.01)
    return n

async def main():
    loop = asyncio.get_running_loop()
    got = loop.create_future()
    first = asyncio.create_task(leaf(1), name="leaf-1")
    first.add_done_callback(lambda task: got.set_result(task.result()))
    await got
    await loop.run_in_executor(None, crunch)
    await asyncio.sleep(1.2)  # a last second for the recorder

asyncio.run(main())
"""


def test_a_recording_keeps_its_links_for_the_replayed_timeline_and_perfetto(tmp_path):
    recording = Recording(recorded(tmp_path, "linked", LINKED))
    _session, update = replay(recording, span(recording)[1], TraceView(loop="agent:x", window_s=15))
    made, done = update.points["made"], update.points["done"]
    assert "leaf-1" in made.y[1::3]  # main made it: a line to its first step, as live
    assert ("leaf-1", "callbacks") in zip(done.y[0::3], done.y[1::3], strict=True)  # its done callback
    events = perfetto(recording)["traceEvents"]
    links = [e for e in events if e.get("cat") == "link"]
    ends = {e["id"] for e in links if e["ph"] == "f"}
    assert ends and ends == {e["id"] for e in links if e["ph"] == "s"}  # every arrow has both ends
    slices = {e["args"]["seq"]: e["name"] for e in events if e["ph"] == "X" and "seq" in e.get("args", {})}
    assert any(slices[seq].endswith("<lambda>") for seq in ends)  # the done callback is an arrow's end
    tracks = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert any(name.startswith("executor ") for name in tracks)  # the executor's lane, as in the live export
    assert any(e["ph"] == "X" and e.get("cat") == "executor" and e["dur"] >= 20_000 for e in events)  # µs


def test_a_recordings_pool_jobs_are_worker_lanes_in_perfetto(tmp_path):
    row = [1, 0, 1_000, 9_000, 0, 0, "callbacks", "submit", False]
    job = [1, "burn_cpu", 1_000, 2_000, 5_000, 4242, 6_000, 7_000]  # submitted, ran in pid 4242, came back
    answer = {"rows": [row], "jobs": [job], "now_ns": 10_000, "stats": {}}
    path = tmp_path / "pool.llrec"
    path.write_bytes(gzip.compress(b'{"looplens_recording": 1, "pid": 7}\n' + json.dumps({"answer": answer}).encode()))
    events = perfetto(Recording(path))["traceEvents"]
    assert {"name": "process_name", "pid": 4242} in [{"name": e["name"], "pid": e["pid"]} for e in events]
    assert [e["ph"] for e in events if e.get("cat") == "job" and e["ph"] in "stf"] == ["s", "t", "f"]
