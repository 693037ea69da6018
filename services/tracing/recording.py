"""Record a traced program to a file and read it back as if live.

A recording (``.llrec``) is gzip'd JSON lines: a header (what was traced, when), then
each second the answer the trace routes would have given a page at that moment (rows
since the last and their links, jobs, lag, counters, queues and locks) and, at the end, the diagnosis.
It is bounded: past ``max_bytes`` (compressed) the recorder stops writing and counts
what it did not write, so a long run never fills the disk.

``Recording`` reads one back: ``answers`` in order, ``window(at_ns, window_s)`` — the
rows a page would have had on screen at that moment, so a scrubber shows every view as if
live — and ``summary()`` for comparing two recordings side by side (counts, callback
latencies, slow callbacks, findings).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from services.core.errors import TraceRefused

if TYPE_CHECKING:  # the hub's modules, which a reader of recordings does not need
    from services.tracing.answer import Answer

FORMAT = 1
MAX_BYTES = 100 * 1024 * 1024
START, END = 2, 3  # a row's start and end (see services.tracing.answer.page_row)


class Recorder:
    """``Recorder(path, poll).step()`` each second (the agent's thread); ``close()`` ends it.
    ``poll(cursor)``: the answer after ``cursor``, as its own cursor and the route's JSON body
    (``Answer.json``), written as it is: building its lists to write them again held the GIL
    some 35–60 ms a second under load, the body is made mostly in C without it. Its text has
    ``json.dumps``'s spaces, the record around it none; a reader's ``json.loads`` reads both."""

    def __init__(self, path: Path | str, poll: Callable[[int], tuple[int, bytes]], header: dict[str, Any],
                 max_bytes: int = MAX_BYTES) -> None:  # fmt: skip
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.written = self.not_written = 0
        self._poll = poll
        self._cursor = -1
        self._raw: BinaryIO = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._out = gzip.GzipFile(fileobj=self._raw, mode="wb")
        self._line({"looplens_recording": FORMAT, "started": time.time(), "pid": os.getpid(), **header})

    def _line(self, record: dict[str, Any]) -> None:
        self._write(json.dumps(record, separators=(",", ":")).encode())

    def _write(self, *parts: bytes) -> None:
        """One line of ``parts`` (written one by one: an answer's body is megabytes, not copied)."""
        if self._raw.tell() >= self.max_bytes:
            self.not_written += 1
            return
        for part in (*parts, b"\n"):
            self._out.write(part)
        self._out.flush()  # so the file's size is what was written (a line past the cap at most)
        self.written += 1

    def step(self) -> None:
        self._cursor, body = self._poll(self._cursor)
        self._write(b'{"answer":', body, b"}")  # {"answer": answer}, the body spliced in unparsed

    def close(self, last: dict[str, Any] | None = None) -> None:
        if self._out.closed:
            return
        if last is not None:
            self._line(last)
        self._line({"end": time.time(), "written": self.written, "not_written": self.not_written})
        self._out.close()
        self._raw.close()


class Tape:
    """The agent's recording, if any: started from the command line (``--record``) or a
    route, stepped each second from the agent's thread, ended at the program's exit or by a
    route. Thread-safe: the exit runs on the program's main thread."""

    def __init__(self, answer: Callable[[int], Answer], diagnose: Callable[[], list[dict[str, Any]]]) -> None:
        self._answer, self._diagnose = answer, diagnose
        self._lock = threading.Lock()
        self.recorder: Recorder | None = None

    def start(self, path: Path | str, header: dict[str, Any]) -> str:
        with self._lock:
            if self.recorder is not None:
                return str(self.recorder.path)
            self.recorder = Recorder(path, self._poll, header)
            return str(self.recorder.path)

    def _poll(self, cursor: int) -> tuple[int, bytes]:
        answer = self._answer(cursor)
        return answer.head["cursor"], answer.json()

    def step(self) -> None:
        with self._lock:
            if self.recorder is not None:
                with contextlib.suppress(TraceRefused):  # no loop yet: nothing to record
                    self.recorder.step()

    def stop(self) -> dict[str, Any] | None:
        """End the recording (its last second and the diagnosis written); what it wrote."""
        with self._lock:
            recorder, self.recorder = self.recorder, None
            if recorder is None:
                return None
            with contextlib.suppress(TraceRefused):
                recorder.step()
            findings: list[dict[str, Any]] = []
            with contextlib.suppress(TraceRefused):
                findings = self._diagnose()
            recorder.close({"findings": findings})
            return {"path": str(recorder.path), "written": recorder.written, "not_written": recorder.not_written}


class Recording:
    """A recording read back (``RecordingError`` with the reason when it is not one)."""

    def __init__(self, path: Path | str, max_read: int | None = None) -> None:
        """``max_read``: the most bytes (uncompressed) read before refusing the file."""
        self.path = Path(path)
        records, read = [], 0
        try:
            with gzip.open(self.path, "rt", encoding="utf-8") as lines:
                for line in lines:
                    read += len(line)
                    if max_read is not None and read > max_read:
                        raise RecordingError(f"{self.path.name} is too large to open here", "trace.replay.err.large",
                                             name=self.path.name, mb=read >> 20, most=max_read >> 20)  # fmt: skip
                    if line.strip():
                        records.append(json.loads(line))
        except (OSError, EOFError, ValueError, UnicodeDecodeError) as err:
            if isinstance(err, RecordingError):
                raise
            raise RecordingError(f"{self.path.name} is not a looplens recording ({err})", name=self.path.name) from None
        if not records or records[0].get("looplens_recording") != FORMAT:
            raise RecordingError(f"{self.path.name} is not a looplens recording (no header)", name=self.path.name)
        self.header = records[0]
        self.answers = [r["answer"] for r in records if "answer" in r]
        self.findings: list[dict[str, Any]] = next((r["findings"] for r in records if "findings" in r), [])
        self.rows = [row for answer in self.answers for row in answer["rows"]]
        self.links = [link for answer in self.answers for link in answer.get("links") or ()]  # ``links``

    @property
    def span_ns(self) -> tuple[int, int]:
        """When the first recorded row started and the last one ended."""
        if not self.rows:
            return 0, 0
        return min(r[START] for r in self.rows), max(r[END] for r in self.rows)

    def window(self, at_ns: int, window_s: float) -> dict[str, Any]:
        """What a page showed at ``at_ns``: the rows that ended in the ``window_s`` before it,
        and the counters of the last answer given by then."""
        since = at_ns - int(window_s * 1e9)
        rows = [r for r in self.rows if since <= r[END] <= at_ns]
        earlier = [a for a in self.answers if a["now_ns"] <= at_ns] or self.answers[:1]
        last = earlier[-1] if earlier else {"stats": {}, "pid": self.header.get("pid")}
        lag = [x for a in earlier for x in a.get("lag", []) if since <= x[0] <= at_ns]
        return {"pid": last.get("pid"), "now_ns": at_ns, "rows": rows, "lag": lag, "stats": last.get("stats", {})}

    def summary(self) -> dict[str, Any]:
        """The figures two recordings are compared on."""
        durations = sorted((r[END] - r[START]) / 1e6 for r in self.rows)
        lates = sorted(r[4] / 1e6 for r in self.rows)
        start, end = self.span_ns

        def pct(values: list[float], q: float) -> float:
            return round(values[min(len(values) - 1, int(len(values) * q))], 3) if values else 0.0

        return {
            "callbacks": len(self.rows),
            "tasks": len({r[5] for r in self.rows if r[5]}),
            "seconds": round((end - start) / 1e9, 1),
            "callback_ms_p50": pct(durations, 0.5),
            "callback_ms_p99": pct(durations, 0.99),
            "late_ms_p99": pct(lates, 0.99),
            "slow": sum(d >= 100 for d in durations),
            "longest_ms": round(durations[-1], 1) if durations else 0.0,
            "mean_ms": round(statistics.fmean(durations), 3) if durations else 0.0,
            "findings": [f["code"] for f in self.findings],
        }


class RecordingError(ValueError):
    """Not a recording this looplens can read: the message says why; ``code`` is its
    message key for a page (``services.core.i18n``) and ``params`` its values."""

    def __init__(self, message: str, code: str = "trace.replay.err.bad", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params
