"""Trace any asyncio program with looplens (``services.tracing.agent`` says how):

import looplens.agent
looplens.agent.start()        # this loop, and every loop made afterwards

python -m looplens.agent app.py [args]     (or: looplens trace app.py [args])
"""

from __future__ import annotations

import sys

from services.tracing.agent import Agent, run_script, start

__all__ = ["Agent", "run_script", "start"]

if __name__ == "__main__":
    raise SystemExit(run_script(sys.argv[1:]))
