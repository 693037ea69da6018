"""The ``looplens`` command.

    looplens run [--bind HOST:PORT] [--workers N]   serve the app with the embedded
                                                    defaults (what ``make run`` starts)
    looplens --version

``run`` replaces this process with gunicorn configured by ``looplens.gunicorn_conf``;
``--bind`` and ``--workers`` set ``LOOPLENS_BIND`` and ``LOOPLENS_WORKERS`` for it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from services.core.settings import VERSION

GUNICORN_CONFIG = "python:looplens.gunicorn_conf"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="looplens", description="Live sensors and the concurrency behind them.")
    top.add_argument("--version", action="version", version=f"looplens {VERSION}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser("run", help="serve the app on embedded defaults (sensor service and collector included)")
    run.add_argument("--bind", help="HOST:PORT to listen on (default: $LOOPLENS_BIND or 0.0.0.0:8050)")
    run.add_argument("--workers", type=int, help="web worker processes (default: $LOOPLENS_WORKERS or 2)")
    return top


def gunicorn_argv() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG]


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command != "run":
        parser().print_help()
        return 2
    if args.bind:
        os.environ["LOOPLENS_BIND"] = args.bind
    if args.workers is not None:
        if args.workers < 1:
            parser().error("--workers must be at least 1")
        os.environ["LOOPLENS_WORKERS"] = str(args.workers)
    command = gunicorn_argv()
    os.execv(command[0], command)  # gunicorn becomes this process: signals reach it directly
    return 0  # not reached
