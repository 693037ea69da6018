"""The ``looplens`` command.

    looplens run [--bind HOST:PORT] [--workers N]   every component, supervised (what
                                                    ``make run`` and the image start)
    looplens web | collector | sensor-sim           one component, for an orchestrator
                                                    that supervises them itself
    looplens trace [--record F] SCRIPT.py [ARGS]   run any asyncio program, traced
                                                    (``looplens.agent``)
    looplens --version

``run`` keeps a supervisor in this process (``services.ops.supervisor``): it restarts a
component that dies and stops them all on SIGTERM or SIGINT. The one-component commands
replace this process with the component. ``--bind`` and ``--workers`` set
``LOOPLENS_BIND`` and ``LOOPLENS_WORKERS`` for the web server.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from looplens.components import WEB_COMMAND, components
from services.core.settings import Settings
from services.core.version import VERSION
from services.live.process import COLLECTOR_COMMAND
from services.ops.supervisor import Supervisor
from services.sensors.process import sensor_command


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="looplens", description="Live sensors and the concurrency behind them.")
    top.add_argument("--version", action="version", version=f"looplens {VERSION}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in (
        ("run", "every component, supervised: sensor simulator, collector, web server"),
        ("web", "the web server only (its own sensor service and collector unless told otherwise)"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--bind", help="HOST:PORT to listen on (default: $LOOPLENS_BIND or 0.0.0.0:8050)")
        command.add_argument("--workers", type=int, help="web worker processes (default: $LOOPLENS_WORKERS or 2)")
    commands.add_parser("collector", help="the collector only: stations → reading store")
    commands.add_parser("sensor-sim", help="the simulated sensor service only")
    trace = commands.add_parser("trace", help="run an asyncio program with its event loops traced")
    trace.add_argument("--record", metavar="FILE.llrec", help="record the trace to this file until the program ends")
    trace.add_argument("script", help="the program's script")
    trace.add_argument("args", nargs=argparse.REMAINDER, help="the program's own arguments")
    return top


def _web_options(args: argparse.Namespace) -> None:
    if args.bind:
        os.environ["LOOPLENS_BIND"] = args.bind
    if args.workers is not None:
        if args.workers < 1:
            parser().error("--workers must be at least 1")
        os.environ["LOOPLENS_WORKERS"] = str(args.workers)


def _become(command: list[str]) -> int:
    os.execv(command[0], command)  # the component becomes this process: signals reach it directly
    return 0  # not reached


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "trace":
        from services.tracing.agent import run_script  # only what tracing needs

        return run_script([args.script, *args.args], record=args.record)
    if args.command in ("run", "web"):
        _web_options(args)
    settings = Settings()
    if args.command == "run":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
        return Supervisor(components(settings), settings.data_dir / "supervisor.json").run()
    if args.command == "web":
        return _become(list(WEB_COMMAND))
    if args.command == "collector":
        return _become(list(COLLECTOR_COMMAND))
    if args.command == "sensor-sim":
        s = settings
        return _become(sensor_command(s.sensor_host, s.sensor_port, s.sensor_seed, s.sensor_stations))
    parser().print_help(sys.stderr)
    return 2
