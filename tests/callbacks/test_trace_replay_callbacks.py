"""Trace page recordings' callbacks called as functions: the folder listed, an upload kept
or refused in words, a recording replayed at the scrubber's moment, two compared, one
downloaded for Perfetto; a damaged file is a message, never a traceback."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from callbacks.trace_replay import download, draw, listing, scrubber, side_by_side, upload
from services.core.settings import Settings
from services.tracing.recording import Recorder
from services.tracing.replay import RecordingCache, folder
from views import HIDDEN, SHOWN

S = 1_000_000_000


def answer(second: int, rows: list[list]) -> dict:
    stats = {"recorded": second * 10, "dropped": 0, "tasks": 2, "events_per_s": 10.0, "overhead_pct": 0.001}
    return {"pid": 42, "now_ns": second * S, "wall_offset_ns": 1_700_000_000 * S, "cursor": second,
            "rows": rows, "jobs": [], "lag": [[second * S, 1_000_000]], "stats": stats}  # fmt: skip


def body(answer: dict) -> tuple[int, bytes]:
    """What the recorder is given: the answer's cursor and its JSON, as the route sends it."""
    return answer["cursor"], json.dumps(answer).encode()


def make(where, name: str, slow_at: int | None) -> None:
    """A recording of 5 s: a task stepping each 100 ms, and one 300 ms block at ``slow_at``."""
    answers = []
    for second in range(1, 6):
        rows = [[second * 10 + n, 0, second * S + n * S // 10, second * S + n * S // 10 + 50_000, 0, 1, "worker",
                 "step work", False] for n in range(9)]  # fmt: skip
        if slow_at == second:
            stuck = {"where": ["app.py", 7, "main"], "stack": [["app.py", 7, "main"]]}
            start = second * S + S // 2
            rows.append([second * 10 + 9, 0, start, start + 300_000_000, 0, 2, "main", "step main", False, stuck])
        answers.append(answer(second + 1, rows))
    feed = iter(answers)
    recorder = Recorder(where / name, lambda _cursor: body(next(feed)), {"argv": ["app.py"]})
    for _ in answers:
        recorder.step()
    finding = {"code": "diag.blocking", "params": {"ms": 300, "where": "app.py:7 (main)", "name": "main"}, "seqs": [39]}
    recorder.close({"findings": [finding] if slow_at else []})


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path)
    where = folder(tmp_path)
    where.mkdir()
    make(where, "calm.llrec", None)
    make(where, "blocked.llrec", 3)
    (where / "broken.llrec").write_bytes(gzip.compress(b'{"looplens_recording": 1}\n')[:12])
    return settings


def run(coro):
    return asyncio.run(coro)


def test_the_folder_is_listed_and_an_upload_is_picked_once_kept(settings):
    options, _, placeholder, _, value, upload_words = run(listing(settings, None, "zh"))
    assert {o["value"] for o in options} == {"calm.llrec", "blocked.llrec", "broken.llrec"}
    assert placeholder == "选择录制文件" and value is no_update and upload_words == "上传录制文件"
    good = (folder(settings.data_dir) / "calm.llrec").read_bytes()
    kept = run(upload(settings, "data:;base64," + base64.b64encode(good).decode(), "mine.llrec", "en"))
    assert kept == {"key": "trace.replay.uploaded", "params": {"name": "mine.llrec"}, "ok": True}
    assert run(listing(settings, kept, "en"))[4] == "mine.llrec"
    bad = run(upload(settings, "data:;base64," + base64.b64encode(b"nope").decode(), "x.llrec", "en"))
    assert bad["key"] == "trace.replay.err.bad" and not bad["ok"]
    assert len(run(listing(settings, bad, "en"))[0]) == 4


def test_a_damaged_recording_is_said_in_words(settings):
    cache = RecordingCache()
    *_, style, export_off, said = run(scrubber(settings, cache, "broken.llrec", "zh"))
    assert style == HIDDEN and export_off and "不是 looplens 录制文件" in said.children
    *_, said = run(scrubber(settings, cache, "../../etc/passwd.llrec", "en"))
    assert "is not in the recordings folder" in said.children
    assert "not a looplens recording" in run(side_by_side(settings, cache, "calm.llrec", "broken.llrec", "en")).children


def test_the_scrubber_shows_every_view_as_it_was_then(settings):
    cache = RecordingCache()
    seconds, value, marks, style, export_off, _ = run(scrubber(settings, cache, "blocked.llrec", "en"))
    assert style == SHOWN and not export_off and value == seconds and 4 < seconds < 6 and marks
    view = {"window_s": 5, "slow_ms": 100}
    before = run(draw(settings, cache, 1.0, view, "blocked.llrec", "en"))
    after = run(draw(settings, cache, seconds, view, "blocked.llrec", "en"))
    status, counters, figure, _tracks, slow, findings = after
    assert "Replaying blocked.llrec: at" in status.children
    assert counters.startswith("Recorded at this moment: 10 events/s")  # the recording's, not a live rate
    assert sum(len(t.x or ()) for t in figure.data) > sum(len(t.x or ()) for t in before[2].data)
    assert "300.0" in str(slow) and "app.py:7 (main)" in str(slow) and "300.0" not in str(before[4])
    assert "app.py:7" in str(findings) and "app.py:7" not in str(before[5])
    assert run(draw(settings, cache, seconds, view, "blocked.llrec", "zh"))[0].children.startswith("正在回放")
    with pytest.raises(PreventUpdate):
        run(draw(settings, cache, 1.0, view, None, "en"))


def test_two_recordings_side_by_side_and_one_for_perfetto(settings):
    cache = RecordingCache()
    table = str(run(side_by_side(settings, cache, "calm.llrec", "blocked.llrec", "en")))
    assert "Callback p99 (ms)" in table and "300.0" in table and "calm.llrec" in table
    assert "再选择" in run(side_by_side(settings, cache, "calm.llrec", None, "zh")).children
    sent = run(download(settings, cache, 1, "blocked.llrec"))
    doc = json.loads(sent["content"])
    assert sent["filename"] == "blocked.json" and any(e.get("dur") == 300_000 for e in doc["traceEvents"])
