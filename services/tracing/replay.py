"""Recordings on the Trace page: where they are kept, opening one (bounded, cached), the
page's picture at a moment of it, two side by side, and its Perfetto document.

Recordings live in ``data_dir/recordings`` (``folder``): a page lists them and may add one
uploaded from the browser (``save_upload``, bounded by ``MAX_UPLOAD_BYTES``). The agent
writes its own beside the traced program, possibly on another machine, so a page cannot
name a path for it: copy its file here, or upload it.

``replay`` feeds a ``TraceSession`` the one answer a page opened at that moment would have
been given (the window's rows, the slow ones before it, the counters of the last second),
so every view is drawn by the live page's own builders. Errors are ``RecordingError``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.tracing.columns import Callback
from services.tracing.export import rows_trace
from services.tracing.limits import SLOW_FLOOR_MS, SLOW_KEPT
from services.tracing.links import DONE_LINK, LINK_FROM, LINK_KIND, LINK_SEQ
from services.tracing.pool import Job
from services.tracing.primitives import primitive_events
from services.tracing.recording import Recording, RecordingError
from services.tracing.view import END, KIND, LANE, LATE, NAME, SEQ, START, TASK, TraceSession, TraceView, Update

SUFFIX = ".llrec"
MAX_LISTED = 100  # recordings a page lists (the newest)
MAX_OPEN_BYTES = 32 * 1024 * 1024  # a file larger than this is not opened on a page …
MAX_READ_BYTES = 96 * 1024 * 1024  # … nor one that unpacks to more (rows in memory: several times that)
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
CACHED = 2  # recordings kept open (two: side by side)
SLOWEST = 3  # the slowest callbacks a comparison names
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class RecordingFile:
    name: str
    size: int
    modified: float


def folder(data_dir: Path) -> Path:
    return data_dir / "recordings"


def list_recordings(where: Path) -> list[RecordingFile]:
    """The recordings in ``where``, newest first, at most ``MAX_LISTED``."""
    if not where.is_dir():
        return []
    found = []
    for entry in os.scandir(where):
        if entry.is_file() and entry.name.endswith(SUFFIX):
            stat = entry.stat()
            found.append(RecordingFile(entry.name, stat.st_size, stat.st_mtime))
    return sorted(found, key=lambda f: (-f.modified, f.name))[:MAX_LISTED]


def path_of(where: Path, name: Any) -> Path:
    """The file a page named: a plain ``.llrec`` name in ``where``, nothing else."""
    if not isinstance(name, str) or not name.endswith(SUFFIX) or _SAFE.sub("", name) != name or name.startswith("."):
        raise RecordingError(f"{name} is not a recording in the recordings folder", "trace.replay.err.gone", name=name)
    path = where / name
    if not path.is_file():
        raise RecordingError(f"{name} is not in the recordings folder (any more)", "trace.replay.err.gone", name=name)
    return path


def open_recording(path: Path) -> Recording:
    """The recording at ``path``, if it is not over ``MAX_OPEN_BYTES``."""
    size = path.stat().st_size
    if size > MAX_OPEN_BYTES:
        mb, most = size >> 20, MAX_OPEN_BYTES >> 20
        raise RecordingError(f"{path.name} is too large to open here ({mb} MB > {most} MB)", "trace.replay.err.large",
                             name=path.name, mb=mb, most=most)  # fmt: skip
    return Recording(path, MAX_READ_BYTES)


class RecordingCache:
    """The last ``CACHED`` recordings opened, by file and version (thread-safe: opened off the loop)."""

    def __init__(self, size: int = CACHED) -> None:
        self.size = size
        self._open: OrderedDict[tuple[str, int, int], Recording] = OrderedDict()
        self._lock = threading.Lock()
        self.opened = self.hits = self.dropped = 0

    def get(self, path: Path) -> Recording:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key in self._open:
                self.hits += 1
                self._open.move_to_end(key)
                return self._open[key]
        recording = open_recording(path)
        with self._lock:
            self.opened += 1
            self._open[key] = recording
            while len(self._open) > self.size:
                self._open.popitem(last=False)
                self.dropped += 1
        return recording

    def statistics(self) -> dict[str, int]:
        return {"size": len(self._open), "opened": self.opened, "hits": self.hits, "dropped": self.dropped}


def save_upload(where: Path, filename: Any, contents: Any) -> str:
    """Keep a recording uploaded by a page (a ``data:`` URL) in ``where``; its name there.
    It is read back first: what is not a recording is not kept."""
    name = _SAFE.sub("-", Path(str(filename or "upload")).name).lstrip(".") or "upload"
    name = name if name.endswith(SUFFIX) else f"{name}{SUFFIX}"
    encoded = str(contents or "").partition(",")[2]
    if (size := len(encoded) * 3 // 4) > MAX_UPLOAD_BYTES:
        mb, most = size >> 20, MAX_UPLOAD_BYTES >> 20
        raise RecordingError(f"{name} is too large to upload ({mb} MB > {most} MB)", "trace.replay.err.large",
                             name=name, mb=mb, most=most)  # fmt: skip
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise RecordingError(f"{name} did not arrive whole", name=name) from None
    where.mkdir(parents=True, exist_ok=True)
    partial = where / f".{name}.part"
    partial.write_bytes(data)
    try:
        Recording(partial, MAX_READ_BYTES)
    except RecordingError as err:
        partial.unlink()
        raise RecordingError(str(err), err.code, **{**err.params, "name": name}) from None
    stem, number = name[: -len(SUFFIX)], 1
    while (where / name).exists():
        number += 1
        name = f"{stem}-{number}{SUFFIX}"
    partial.rename(where / name)
    return name


def span(recording: Recording) -> tuple[int, int]:
    """The scrubber's range: the first recorded row's start to the last answer."""
    start, end = recording.span_ns
    last = max((int(a["now_ns"]) for a in recording.answers), default=end)
    return (start or last, max(end, last))


def moment(recording: Recording, at_ns: int, window_s: float) -> dict[str, Any]:
    """The answer a page opened at ``at_ns`` would have been given."""
    shown = recording.window(at_ns, window_s)
    earlier = [a for a in recording.answers if a["now_ns"] <= at_ns] or recording.answers[:1]
    last = earlier[-1] if earlier else {}
    floor = SLOW_FLOOR_MS * 1e6
    slow = [r for r in recording.rows if r[END] <= at_ns and r[END] - r[START] >= floor][-SLOW_KEPT:]
    since = at_ns - int(window_s * 1e9)
    jobs = {j[0]: j for a in earlier for j in a.get("jobs") or () if j[4] and since <= j[4] <= at_ns}
    seqs = {r[SEQ] for r in shown["rows"]}
    return {
        **shown,
        "links": [link for link in recording.links if link[LINK_SEQ] in seqs],
        "wall_offset_ns": last.get("wall_offset_ns", 0),
        "cursor": shown["rows"][-1][SEQ] if shown["rows"] else -1,
        "jobs": list(jobs.values()),
        "slow": slow,
        "limits": last.get("limits") or [],
        "skipped": 0,
        "pid": shown["pid"] or recording.header.get("pid") or 0,
    }


def replay(recording: Recording, at_ns: int, view: TraceView) -> tuple[TraceSession, Update]:
    """The page's session at ``at_ns``: its timeline, slow table, counters and tracks."""
    session = TraceSession(view)
    for answer in recording.answers:
        if answer["now_ns"] > at_ns:
            break
        session.tracks.feed(answer.get("primitives"))
    return session, session.feed(moment(recording, at_ns, view.window_s))


def findings_at(recording: Recording, at_ns: int) -> dict[str, Any]:
    """The recorded findings about rows that had ended by ``at_ns`` (those about none: at the end)."""
    ended = {r[SEQ] for r in recording.rows if r[END] <= at_ns}
    at_end = at_ns >= span(recording)[1]
    found = [f for f in recording.findings if (set(f.get("seqs") or ()) <= ended if f.get("seqs") else at_end)]
    return {"findings": found}


def compare(a: Recording, b: Recording) -> list[tuple[str, Any, Any]]:
    """The figures two recordings are compared on: (what, A's, B's)."""
    sa, sb = a.summary(), b.summary()
    keys = ("seconds", "callbacks", "tasks", "callback_ms_p50", "callback_ms_p99", "late_ms_p99", "slow", "longest_ms")
    rows: list[tuple[str, Any, Any]] = [(key, sa[key], sb[key]) for key in keys]
    rows.append(("slowest", slowest(a), slowest(b)))
    rows.append(("findings", len(sa["findings"]), len(sb["findings"])))
    return rows


def slowest(recording: Recording) -> list[tuple[str, float]]:
    """The ``SLOWEST`` longest callbacks: (name, ms)."""
    rows = sorted(recording.rows, key=lambda r: r[START] - r[END])[:SLOWEST]
    return [(str(r[NAME]), round((r[END] - r[START]) / 1e6, 1)) for r in rows]


def perfetto(recording: Recording) -> dict[str, Any]:
    """The whole recording as a trace-event document (Perfetto, chrome://tracing), drawn as
    the live export is: a track per task, the done-callback arrows, the pool's jobs, and the
    queues', locks' and executor's tracks."""
    rows = {r[SEQ]: r for r in recording.rows}
    completed_by = {link[LINK_SEQ]: link[LINK_FROM] for link in recording.links if link[LINK_KIND] == DONE_LINK}
    callbacks = [
        Callback(
            seq,
            r[KIND],
            r[START] - r[LATE],
            r[START] - r[LATE],
            r[START],
            r[END],
            r[TASK],
            completed_by.get(seq, -1),
            0,
        )  # fmt: skip
        for seq, r in sorted(rows.items())
    ]
    jobs = {j[0]: Job(*j[:8]) for a in recording.answers for j in a.get("jobs") or () if len(j) >= len(Job._fields)}
    lanes = {r[TASK]: str(r[LANE]) for r in rows.values() if r[TASK]}
    pid = int(recording.header.get("pid") or 0)
    doc = rows_trace(pid, callbacks, lambda c: str(rows[c.seq][NAME]), lambda task: lanes.get(task, f"task {task}"),
                     list(jobs.values()))  # fmt: skip
    origin = doc["otherData"]["start_ns"]
    doc["traceEvents"] += primitive_events(pid, recorded_primitives(recording, origin), origin)
    return doc


def recorded_primitives(recording: Recording, since_ns: int) -> dict[str, Any]:
    """Every answer's queues, locks … and executor jobs from ``since_ns`` on, merged (each
    sample and job once), as ``Primitives.snapshot`` gives them."""
    objects: dict[int, dict[str, Any]] = {}
    jobs: dict[tuple[int, str], list[Any]] = {}
    for answer in recording.answers:
        primitives = answer.get("primitives") or {}
        for o in primitives.get("objects") or ():
            kept = objects.setdefault(o["serial"], {**o, "samples": []})
            after = kept["samples"][-1][0] if kept["samples"] else since_ns - 1
            kept["samples"] += [s for s in o["samples"] if s[0] > after]
        for job in primitives.get("jobs") or ():
            if job[2] and job[0] >= since_ns:  # finished, in the document's time
                jobs[(job[0], job[3])] = job
    return {"objects": list(objects.values()), "jobs": list(jobs.values())}
