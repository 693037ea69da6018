"""What tests share beside fixtures: the sensor seed, the project folder, plain HTTP gets."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

SEED = 11  # the sensor service's seed in tests: readings are known in advance
ROOT = Path(__file__).resolve().parent.parent


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def get_or_none(url: str) -> int | None:
    try:
        return get(url)[0]
    except OSError:
        return None
