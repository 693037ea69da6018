"""Trace any asyncio program: the agent, with no Dash and no change to the program.

    looplens trace app.py [args]        run a script, every event loop it makes traced
    python -m looplens.agent app.py     the same
    looplens.agent.start()              in the program: its running loop, or every loop
                                        made afterwards

The agent serves the trace routes (``services.tracing.routes``) from **its own thread and
loop**, so it answers while the traced loop is blocked. It binds loopback by default
(``LOOPLENS_AGENT_HOST``, ``LOOPLENS_AGENT_PORT``; port 0: a free one) and every route but
``/trace/health`` needs its token (``LOOPLENS_AGENT_TOKEN``, else a random one), in the
``X-Looplens-Token`` header; the address and token are printed once on stderr at start.
The Trace page adds an agent by its address and token.

While a callback runs long, the agent's thread samples the loop thread's stack, so a slow
row says where it was stuck (``culprit``); ``GET /trace/tree`` says who made whom and who
awaits whom (``family``); ``GET /trace/diagnosis`` says in plain words
what looks wrong (``diagnosis``), hearing also what asyncio tells the loop's exception
handler (a program that sets its own handler afterwards keeps it to itself).

Queues, locks, semaphores and events made while it runs are followed as counter tracks,
and the loop's executor jobs as spans (``primitives``; ``primitives`` in each answer).

The program asked to be traced, so the tracer stays attached (no idle detach); its buffers
are bounded as everywhere. The agent reads them from its thread (the hot path writes them
holding the GIL, and a read is one C call or a copy); what acts on the loop (cancelling a
task) is handed to the loop with ``call_soon_threadsafe``. It makes no load of its own in
someone else's program: the page's "block" and "jobs" demonstrations are refused.

A loop made by uvloop's own ``uvloop.run`` or a custom loop factory does not pass through
the event loop policy: call ``looplens.agent.start()`` inside it (it then traces the
running loop, whatever its class). On uvloop the tasks, their steps, callbacks scheduled
with ``call_soon``, blocks and where they are stuck are traced; its timers and transport
callbacks run in C past the hooks, so lateness is not seen there: the trace says so
(``limits`` in each answer).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import runpy
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from services.core.errors import TraceRefused
from services.tracing.answer import Answer, answer_since, window_ns
from services.tracing.columns import Callback
from services.tracing.culprit import STUCK_NS, Culprits
from services.tracing.diagnosis import classify, late_timers, long_callbacks, loop_problems, stuck_primitives
from services.tracing.family import task_tree
from services.tracing.hub import TraceHub, row_cost_ns
from services.tracing.limits import MAX_WINDOW_S
from services.tracing.primitives import SAMPLE_S as PRIMITIVES_S
from services.tracing.primitives import Primitives, primitive_events
from services.tracing.program import last_stuck, machinery
from services.tracing.recording import Tape
from services.tracing.routes import TOKEN_HEADER, control_refusal, trace_routes

ENV_HOST, ENV_PORT, ENV_TOKEN = "LOOPLENS_AGENT_HOST", "LOOPLENS_AGENT_PORT", "LOOPLENS_AGENT_TOKEN"
ENV_RECORD = "LOOPLENS_AGENT_RECORD"
START_TIMEOUT_S = 10.0
PROBLEMS_KEPT = 100
PRIMITIVES_NS = round(PRIMITIVES_S * 1e9)
# What a uvloop loop keeps from the tracer: its call_later and its transports' callbacks
# run in C without passing through the loop's Python methods the tracer hooks.
UVLOOP_LIMITS = ("trace.limit.uvloop_timers", "trace.limit.uvloop_io")


class AgentHub(TraceHub):
    """A hub for a program that asked to be traced, read from the agent's thread, which
    also samples where a long callback is stuck (``culprit``): a row that has it carries
    it as its last field."""

    yield_keys = 500  # names between two GIL releases (~1 ms): a chance for the loop before the 5 ms switch

    def __init__(self, loop: asyncio.AbstractEventLoop, primitives: Primitives, **options: Any) -> None:
        super().__init__(loop, machinery=lambda c: machinery(self.tracer, c), coroutine_machinery=True, **options)
        self.culprits = Culprits(self.tracer)
        self.primitives = primitives
        self.problems: deque[dict[str, Any]] = deque(maxlen=PROBLEMS_KEPT)  # what asyncio reported
        self._handler = loop.get_exception_handler()
        self.limits = list(UVLOOP_LIMITS) if type(loop).__module__.startswith("uvloop") else []

    def answer(self, after: int = -1, window_s: float = 10.0) -> Answer:
        answer = super().answer(after, window_s)
        since = answer_since(answer.head["now_ns"], after, window_s)
        answer.tail.update(limits=self.limits, primitives=self.primitives.snapshot(since))
        return answer

    def listen(self) -> None:
        """Hear what asyncio reports to the loop (a task destroyed pending, an exception
        never retrieved …), then pass it on as before. Call on the loop's thread."""
        self.loop.set_exception_handler(self._heard)

    def _heard(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.problems.append(classify(context))
        if self._handler is not None:
            self._handler(loop, context)
        else:
            loop.default_exception_handler(context)

    def export(self, window_s: float) -> dict[str, Any]:
        """The Perfetto document, plus where each long callback was stuck (its slice's args),
        the queues' and locks' counter tracks and the executor's jobs."""
        doc = super().export(window_s)
        origin = doc["otherData"]["start_ns"]
        for event in doc["traceEvents"]:
            seq = event.get("args", {}).get("seq") if event.get("ph") == "X" else None
            if seq is not None and (culprit := self.culprits.of(seq)):
                event["args"]["stuck_at"] = "{}:{} ({})".format(*culprit["where"])
                event["args"]["stack"] = ["{}:{} ({})".format(*frame) for frame in culprit["stack"]]
        doc["traceEvents"] += primitive_events(self.tracer.pid, self.primitives.snapshot(origin), origin)
        return doc

    def diagnosis(self, window_s: float) -> dict[str, Any]:
        """Findings about the last ``window_s`` seconds (``diagnosis``)."""
        since = time.perf_counter_ns() - window_ns(window_s)
        rows = [c for c in self.tracer.callbacks(-1) if c.end_ns >= since]

        def name(c: Callback) -> str:  # "blocker · step blocking": the task, then what ran
            return f"{self.lane(c)} · {self.tracer.name_of(c)}" if c.task else self.tracer.name_of(c)

        findings = [
            *long_callbacks(rows, name, self.culprits.of),
            *late_timers(rows, name),
            *loop_problems(self.problems),
            *stuck_primitives(self.primitives.snapshot(since)["objects"]),
        ]
        return {"findings": [f.as_dict() for f in findings]}

    def _extra(self, seq: int, duration_ns: int) -> Any:
        """Where a long row was stuck (asked of the rows that ran ``SLOW_FLOOR_MS`` or longer)."""
        return self.culprits.of(seq) if duration_ns >= STUCK_NS else None

    def task(self, serial: int) -> dict[str, Any] | None:
        """The hub's facts about a task, and where its newest long step was stuck."""
        info = super().task(serial)
        return info and {**info, "stuck": last_stuck(self.culprits, self.tracer.callbacks(-1), serial)}

    def watched(self) -> None:
        self._seen_at = time.monotonic()  # attached once, on the loop's own thread: stays so

    def cancel(self, serial: int) -> str:
        task = self.tracer.live_task(serial)
        if task is None or task.done():
            raise TraceRefused("trace.err.task_gone")
        self.loop.call_soon_threadsafe(task.cancel)  # on the loop's thread, where a task is cancelled
        return task.get_name()

    def block(self, ms: float) -> str:
        raise TraceRefused("trace.err.agent_no_load")

    def jobs(self, n: int, ms: float) -> int:
        raise TraceRefused("trace.err.agent_no_load")


class Agent:
    """One per process (``start`` makes it): the server thread and the hubs of the loops it traces."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str = "") -> None:
        self.host, self.port = host, port
        self.token = token or secrets.token_urlsafe(18)
        self.hubs: list[AgentHub] = []  # every loop adopted, oldest first
        self.primitives = Primitives()  # queues, locks … made from now on, and executor jobs
        self.tape = Tape(lambda cursor: self.current().answer(cursor, 10.0), lambda: self.diagnosis()["findings"])
        self._row_cost_ns = 0.0
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._sampler: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Agent:
        """Serve from the agent's thread; returns when it listens (RuntimeError if it cannot)."""
        if self._thread is not None:
            raise RuntimeError("the looplens agent is already started")
        self._thread = threading.Thread(target=self._serve, name="looplens-agent", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self._error is not None:
            raise RuntimeError(f"the looplens agent could not listen on {self.host}:{self.port}: {self._error}")
        self.primitives.install()
        print(
            f"looplens agent: tracing pid {os.getpid()} at {self.url}/trace — add it on the Trace page"
            f" with this token (or send it in {TOKEN_HEADER}): {self.token}",
            file=sys.stderr,
            flush=True,
        )
        return self

    def adopt(self, loop: asyncio.AbstractEventLoop) -> AgentHub:
        """Trace ``loop`` from now on. Call on its thread, or before it runs."""
        for hub in self.hubs:
            if hub.loop is loop:
                return hub
        hub = AgentHub(loop, self.primitives, cancellable=lambda task: True)
        hub.row_cost_ns = self._row_cost_ns
        hub.tracer.attach()
        hub.listen()
        self.primitives.watch_executor(loop)
        with contextlib.suppress(RuntimeError):
            if asyncio.get_running_loop() is loop:
                hub.culprits.thread = threading.get_ident()  # its own thread: where it is stuck is read there
        self.hubs.append(hub)
        return hub

    def current(self) -> AgentHub:
        """The newest loop still open (a program may make several, one after another)."""
        for hub in reversed(self.hubs):
            if not hub.loop.is_closed():
                return hub
        if self.hubs:
            return self.hubs[-1]  # the last one's trace stays readable after it closed
        raise TraceRefused("trace.err.agent_no_loop")

    def diagnosis(self) -> dict[str, Any]:
        return self.current().diagnosis(MAX_WINDOW_S)

    def record(self, path: Path | str | None = None) -> str:
        """Record from now until the program ends (or ``stop_recording``); returns the file."""
        path = path or Path.cwd() / f"looplens-{os.getpid()}-{time.strftime('%Y%m%d-%H%M%S')}.llrec"
        atexit.register(self.stop_recording)
        return self.tape.start(path, {"argv": sys.argv})

    def stop_recording(self) -> dict[str, Any] | None:
        done = self.tape.stop()
        if done is not None:
            print(f"looplens agent: recorded {done['written']} seconds to {done['path']}", file=sys.stderr, flush=True)
        return done

    def in_agent_thread(self) -> bool:
        return threading.current_thread() is self._thread

    # -- the agent's thread ------------------------------------------------------------

    def _serve(self) -> None:
        loop = asyncio.SelectorEventLoop()  # its own loop, made past the policy: never traced
        try:
            self._row_cost_ns = row_cost_ns()
            runner = loop.run_until_complete(self._listen())
        except BaseException as err:  # noqa: BLE001 - told to the starting thread, which raises
            self._error = err
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    async def _sample(self) -> None:
        """Where each traced loop is stuck, while it is (``culprit``: looked at only when a
        look can find something); the queues' and locks' state (``primitives``) each
        ``PRIMITIVES_S``; a recording's step each second."""
        clock = time.perf_counter_ns
        primitives_at = record_at = clock()
        while True:
            now = clock()
            if now >= primitives_at:
                self.primitives.sample()
                primitives_at = now + PRIMITIVES_NS
            if now >= record_at:
                self.tape.step()
                record_at = now + 1_000_000_000
            due = min([hub.culprits.sample() + now for hub in self.hubs], default=now + STUCK_NS)
            await asyncio.sleep(max(0, min(due, primitives_at, record_at) - clock()) / 1e9)

    async def _listen(self) -> web.AppRunner:
        app = web.Application(middlewares=[self._guard])
        current = _Current(self)
        app.add_routes(trace_routes(current, self.token))  # type: ignore[arg-type]  # a hub's stand-in

        async def diagnosis(request: web.Request) -> web.Response:
            window = request.query.get("window_s", "30")
            return web.json_response(current.diagnosis(float(window) if window.isdigit() else 30.0))

        app.router.add_get("/trace/diagnosis", diagnosis)

        async def tree(_request: web.Request) -> web.Response:
            hub = self.current()
            return web.json_response(task_tree(hub.tracer))

        app.router.add_get("/trace/tree", tree)

        async def record(request: web.Request) -> web.Response:
            if (no := control_refusal(request, self.token)) is not None:
                return no
            if request.match_info["action"] == "stop":
                return web.json_response(self.stop_recording() or {"path": None})
            return web.json_response({"path": self.record()})

        app.router.add_post("/trace/record/{action:start|stop}", record)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        self._sampler = asyncio.create_task(self._sample(), name="looplens-agent: stuck sampler")
        return runner

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Every route but the health check needs the token; "no loop yet" is a clear 409."""
        if request.path != "/trace/health" and not secrets.compare_digest(
            request.headers.get(TOKEN_HEADER, ""), self.token
        ):
            return web.json_response({"error": f"this agent needs its token in {TOKEN_HEADER}"}, status=403)
        try:
            return await handler(request)
        except TraceRefused as err:
            return web.json_response({"error": err.code}, status=409)


class _Current:
    """Stands in for a hub in the routes: each call goes to the agent's current loop."""

    def __init__(self, agent: Agent) -> None:
        self._agent = agent

    def __getattr__(self, name: str) -> Any:
        return getattr(self._agent.current(), name)


class _AdoptingPolicy(asyncio.DefaultEventLoopPolicy):
    """Every loop made through the policy (``asyncio.run``, ``new_event_loop``) is traced."""

    def __init__(self, agent: Agent) -> None:
        super().__init__()
        self.agent = agent

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        if not self.agent.in_agent_thread():
            self.agent.adopt(loop)
        return loop


_agent: Agent | None = None
_lock = threading.Lock()


def start(
    host: str | None = None, port: int | None = None, token: str | None = None, record: str | None = None
) -> Agent:
    """Start the agent (once per process; a second call returns the same one). Inside a
    running loop it traces that loop; either way every loop made afterwards is traced.
    ``record`` (or ``LOOPLENS_AGENT_RECORD``): a file to record to until the program ends."""
    global _agent
    with _lock:
        if _agent is None:
            _agent = Agent(
                host or os.environ.get(ENV_HOST, "127.0.0.1"),
                int(port if port is not None else os.environ.get(ENV_PORT, "0")),
                token or os.environ.get(ENV_TOKEN, ""),
            ).start()
            asyncio.set_event_loop_policy(_AdoptingPolicy(_agent))
        agent = _agent
    try:
        agent.adopt(asyncio.get_running_loop())
    except RuntimeError:
        pass  # no loop runs yet: the policy adopts the ones to come
    if record := record or os.environ.get(ENV_RECORD):
        agent.record(record)
    return agent


def run_script(argv: Sequence[str], record: str | None = None) -> int:
    """``looplens trace [--record FILE] script.py [args]``: run the script as ``__main__``, traced."""
    argv = list(argv)
    if argv[:1] == ["--record"] and len(argv) > 1:  # python -m looplens.agent --record FILE script.py
        record, argv = argv[1], argv[2:]
    if not argv:
        print("usage: looplens trace [--record FILE.llrec] SCRIPT.py [ARGS...]", file=sys.stderr)
        return 2
    script = argv[0]
    if not os.path.isfile(script):
        print(f"looplens trace: no such script: {script}", file=sys.stderr)
        return 2
    sys.argv = argv
    start(record=record)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0
