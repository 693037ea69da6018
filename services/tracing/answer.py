"""One answer of ``GET /trace`` (``TraceHub.answer``): its fields in the order pages read them,
its rows and links still packed as the reader's pass took them off the ring
(``columns.take``), and two ways to hand it over:

- ``as_dict()``: Python lists, for a reader in this process (a recording, tests);
- ``json()``: the route's body, the same text ``json.dumps(as_dict())`` makes; with the C
  module built, the rows' text is written in C with the GIL released, each row's names
  spliced in from one JSON fragment per naming key (an answer's 6,000 rows step a few
  hundred tasks and callbacks, or under a web server's load a task per request, a few
  thousand), so the traced loop's thread is not held back for the rows.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from services.tracing.columns import LINK_WIDTH, ROW_WIDTH, Taken, _looptrace

Named = tuple[str, str, bool]  # a row's lane, name and whether it is loop machinery
KEY = ROW_WIDTH - 1  # a packed row's last number, its naming key: a page reads its names instead


def page_row(numbers: Sequence[int], named: Named, extra: Any = None) -> list[Any]:
    """A row as pages read it (``view.SEQ`` … ``view.CULPRIT``): a packed row's numbers but its
    key (seq, kind, start, end, late, task), its names, then its last field if it has one."""
    row = [*numbers[:KEY], *named]
    if extra is not None:
        row.append(extra)
    return row


class Answer:
    """``head`` (pid … cursor), then rows and links, then ``tail`` (skipped … and whatever a
    subclass of the hub adds); ``named[key]`` names the rows of a key, ``extras[i]`` is the
    last field of row ``i`` when it has one (where an agent's long row was stuck)."""

    def __init__(
        self, head: dict[str, Any], taken: Taken, named: list[Named], extras: dict[int, Any], tail: dict[str, Any]
    ) -> None:
        self.head, self.taken, self.named, self.extras, self.tail = head, taken, named, extras, tail

    def rows(self) -> list[list[Any]]:
        numbers = array("q")
        numbers.frombytes(self.taken.rows)
        named, extras = self.named, self.extras
        packed = zip(*[iter(numbers)] * ROW_WIDTH, strict=True)
        return [page_row(row, named[row[KEY]], extras.get(i)) for i, row in enumerate(packed)]

    def links(self) -> list[list[int]]:
        numbers = array("q")
        numbers.frombytes(self.taken.links)
        return [list(link) for link in zip(*[iter(numbers)] * LINK_WIDTH, strict=True)]

    def as_dict(self) -> dict[str, Any]:
        return {**self.head, "rows": self.rows(), "links": self.links(), **self.tail}

    def json(self) -> bytes:
        """``json.dumps(self.as_dict())``, encoded (ASCII: ``ensure_ascii``)."""
        if _looptrace is None:
            return json.dumps(self.as_dict()).encode()
        text = encode_basestring_ascii  # json.dumps's own for a str: the same text, a tenth of the time
        fragments = tuple(f"{text(lane)}, {text(name)}, {'true' if inside else 'false'}".encode()
                          for lane, name, inside in self.named)  # fmt: skip
        extras = tuple((i, json.dumps(extra).encode()) for i, extra in self.extras.items())
        rows = _looptrace.json_rows(self.taken.rows, ROW_WIDTH, fragments, extras)
        links = _looptrace.json_rows(self.taken.links, LINK_WIDTH, None, ())
        head, tail = json.dumps(self.head).encode(), json.dumps(self.tail).encode()
        return b"".join((head[:-1], b', "rows": ', rows, b', "links": ', links, b", ", tail[1:]))
