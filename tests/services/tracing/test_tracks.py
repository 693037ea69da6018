"""An agent's counter tracks and executor jobs as a page keeps them: new samples only,
bounded, what did not fit counted, idle objects not shown."""

from __future__ import annotations

from services.tracing import tracks
from services.tracing.tracks import Tracks


def queue(serial: int, samples: list[list[int]]) -> dict:
    return {"serial": serial, "kind": "queue", "site": "app.py:9 (main)", "maxsize": 3, "samples": samples}


def test_overlapping_answers_add_each_sample_once_and_idle_objects_are_not_shown():
    kept = Tracks()
    kept.feed({"objects": [queue(1, [[10, 1, 0, 0], [20, 3, 1, 0]]), queue(2, [[10, 0, 0, 0]])], "jobs": []})
    kept.feed({"objects": [queue(1, [[20, 3, 1, 0], [30, 2, 0, 0]])], "jobs": [], "not_followed": 4})
    assert [s[0] for s in kept.tracks[1].samples] == [10, 20, 30]
    assert [t.site for t in kept.shown()] == ["app.py:9 (main)"]  # the never-used queue 2 says nothing
    assert kept.not_followed == 4
    kept.feed(None)  # the app's own loops carry none


def test_tracks_samples_and_jobs_are_bounded_and_what_was_let_go_is_counted(monkeypatch):
    monkeypatch.setattr(tracks, "TRACKS_KEPT", 2)
    monkeypatch.setattr(tracks, "JOBS_KEPT", 3)
    kept = Tracks()
    jobs = [[i, i + 1, i + 2, "worker-0", "crunch"] for i in range(5)] + [[9, 10, 0, "worker-1", "running"]]
    kept.feed({"objects": [queue(n, [[1, 1, 0, 0]]) for n in range(4)], "jobs": jobs})
    assert len(kept.tracks) == 2 and kept.not_kept == 2
    assert [job[0] for job in kept.jobs.values()] == [2, 3, 4] and kept.jobs_dropped == 2  # unfinished: not yet
    assert kept.tracks[0].samples.maxlen == tracks.SAMPLES_KEPT
