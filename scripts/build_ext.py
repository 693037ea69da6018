"""Builds the tracer's C module next to its sources (services/tracing/_looptrace.c, the hot
path, and _looptrace_read.c, the reader's passes), with the C compiler and Python headers
every Debian machine of ours has. Rebuilds only when a source is newer. A failed build is
reported and leaves the Python hot path in use.
Usage: python scripts/build_ext.py
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "services" / "tracing"
SOURCES = (FOLDER / "_looptrace.c", FOLDER / "_looptrace_read.c")
HEADER = FOLDER / "_looptrace.h"


def target() -> Path:
    return FOLDER / ("_looptrace" + sysconfig.get_config_var("EXT_SUFFIX"))


def build() -> int:
    out = target()
    if out.exists() and out.stat().st_mtime >= max(p.stat().st_mtime for p in (*SOURCES, HEADER)):
        return 0
    compiler = shlex.split(os.environ.get("CC", "cc"))
    command = [
        *compiler,
        "-O2",
        "-fPIC",
        "-shared",
        "-Wall",
        "-Werror",
        "-fno-strict-aliasing",
        f"-I{sysconfig.get_paths()['include']}",
        *map(str, SOURCES),
        "-o",
        str(out),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except OSError as exc:
        done = subprocess.CompletedProcess(command, 1, "", str(exc))
    if done.returncode != 0:
        print(
            f"looplens: the tracer's C hot path did not build; the Python one is used.\n{done.stderr}", file=sys.stderr
        )
    return done.returncode


if __name__ == "__main__":
    build()
