"""Checks for what arrives from outside (query strings, JSON bodies): a clear ``ValueError``
for anything unusable, so a route answers 400 with its message, never 500.

JSON is read without ``NaN`` / ``Infinity`` (Python's json accepts them; they are not
JSON, and a latency of Infinity would hang a station), within ``MAX_JSON_BYTES`` and
``MAX_JSON_DEPTH`` (a deeply nested body would otherwise exhaust the parser's recursion).
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32


def number(text: str | None, name: str, low: float, high: float, default: float | None = None) -> float | None:
    """``text`` as a finite number in [low, high]; ``default`` when absent."""
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}")
    return value


def whole(text: str | None, name: str, low: int, high: int, default: int) -> int:
    """``text`` as a whole number in [low, high]; ``default`` when absent."""
    value = number(text, name, low, high, float(default))
    assert value is not None
    if not value.is_integer():
        raise ValueError(f"{name} must be a whole number from {low} to {high}")
    return int(value)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed document (iteratively)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def json_body(raw: bytes, max_bytes: int = MAX_JSON_BYTES, max_depth: int | None = MAX_JSON_DEPTH) -> Any:
    """A JSON document within the size and depth limits (``max_depth`` None: only the
    parser's own), with finite numbers only."""
    if len(raw) > max_bytes:
        raise ValueError(f"the body is over {max_bytes // 1024} KiB")
    try:
        document = json.loads(raw.decode("utf-8") if raw else "", parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise ValueError("the body nests too deeply") from None
    if max_depth is not None and _depth(document) > max_depth:
        raise ValueError(f"the body nests deeper than {max_depth} levels")
    return document
