"""An agent's counter tracks and executor jobs as a page keeps them: each answer carries
the queues', locks', semaphores' and events' samples of its last seconds and the loop's
``run_in_executor`` jobs (``primitives``); the page keeps each object's newest
``SAMPLES_KEPT`` samples (those already had are skipped) for at most ``TRACKS_KEPT``
objects, and the newest ``JOBS_KEPT`` finished jobs. What does not fit is counted."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

TRACKS_KEPT = 12
SAMPLES_KEPT = 2400  # two minutes at the agent's 50 ms
JOBS_KEPT = 500


@dataclass
class Track:
    """One followed object: its kind, where it was made, its samples (t_ns, level, a, b)."""

    kind: str
    site: str
    maxsize: int
    samples: deque[tuple[int, int, int, int]] = field(default_factory=lambda: deque(maxlen=SAMPLES_KEPT))


class Tracks:
    """Feed it each answer's ``primitives`` in order."""

    def __init__(self) -> None:
        self.tracks: dict[int, Track] = {}
        self.jobs: OrderedDict[tuple[int, str], list[Any]] = OrderedDict()  # (submitted, thread) → job
        self.not_kept = 0  # objects beyond TRACKS_KEPT
        self.not_followed = 0  # objects the agent itself did not follow (its own cap)
        self.jobs_dropped = 0

    def feed(self, primitives: dict[str, Any] | None) -> None:
        if not isinstance(primitives, dict):
            return
        self.not_followed = int(primitives.get("not_followed") or 0)
        for o in primitives.get("objects") or ():
            track = self.tracks.get(o["serial"])
            if track is None:
                if len(self.tracks) >= TRACKS_KEPT:
                    self.not_kept += 1 if o["samples"] else 0
                    continue
                track = self.tracks[o["serial"]] = Track(o["kind"], o["site"], int(o.get("maxsize") or 0))
            after = track.samples[-1][0] if track.samples else -1
            track.samples.extend((s[0], s[1], s[2], s[3]) for s in o["samples"] if s[0] > after)
        for job in primitives.get("jobs") or ():
            submitted, _start, end, thread = job[:4]
            if end and (submitted, thread) not in self.jobs:
                self.jobs[(submitted, thread)] = list(job)
                if len(self.jobs) > JOBS_KEPT:
                    self.jobs.popitem(last=False)
                    self.jobs_dropped += 1

    def shown(self) -> list[Track]:
        """The tracks with anything to show: a level or a wait other than 0 at some time
        (an event never set and never awaited, a queue never used, say nothing)."""
        return [track for track in self.tracks.values() if any(any(s[1:]) for s in track.samples)]
