"""Lab page: check the workload, run the engines as a background job with progress,
render the table, the bars and the swimlanes, and hand out the asyncio loop's trace.

What the page shows is kept as data — the line under the buttons as a message key
(``note``), the run so far and the finished run as plain data — and worded by callbacks
that also take the language switch, so a switch rewords all of it at once. What a click
did (``note``) and how a run ended (``show_results``: the outcome line) are two lines, as
Dash holds back every callback downstream of a running job until it ends.

The run is a Dash background job (its own process, started by the DiskcacheManager),
which runs ``services.lab.run.run_job``: its policy (one run at a time, a lower
priority, its own process group) lives there. Cancel kills the job's process group.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import Callable
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks.i18n import checked_lang
from services.core.children import die_with_parent
from services.core.errors import ActionRefused, LabInputError
from services.core.i18n import t
from services.core.settings import Settings
from services.lab.loop_trace import LOOP_TRACES_KEPT, is_loop_trace_name
from services.lab.run import LabResult, stop_run
from services.lab.run import run_job as run_lab_job
from services.lab.workload import ENGINES, Workload
from services.ops.guard import Client, Guard
from views import HIDDEN, SHOWN
from views.lab import make_bars, make_empty_figure, make_lanes_figure, make_results, progress_text
from views.tracing import message

logger = logging.getLogger(__name__)


def _number(text: Any, whole: bool = False) -> float:
    """The typed number; NaN for text that is not one (or not whole, when it must be),
    which fails every range in ``Workload.check`` with that field's message."""
    try:
        value = float(str(text).strip())
    except ValueError:
        return math.nan
    return math.nan if whole and not value.is_integer() else value


def check_job(
    n: Any,
    latency: Any,
    cpu: Any,
    workers: Any,
    engines: list[str] | None,
    previous: dict[str, Any] | None,
    trace: list[str] | None = None,
) -> dict[str, Any]:
    """The job to run, or LabInputError: the limits the run itself enforces."""
    w = Workload(
        _number(n, whole=True),  # type: ignore[arg-type]  # NaN for bad text: Workload.check names the field
        _number(latency),
        _number(cpu),
        _number(workers, whole=True),  # type: ignore[arg-type]  # likewise
        "",
        (),
    )
    engines = [e for e in ENGINES if e in (engines or [])]  # the page's order
    w.check(engines)
    if trace and "asyncio" not in engines:
        raise LabInputError("lab.err.trace_needs_asyncio")
    return {
        "n": int(w.n),
        "latency_ms": w.latency_ms,
        "cpu_ms": w.cpu_ms,
        "workers": int(w.workers),
        "engines": engines,
        "trace": bool(trace),
        "nonce": (previous or {}).get("nonce", 0) + 1,
    }


def note(key: str, ok: bool = True, **params: Any) -> dict[str, Any]:
    """What the line under the buttons says, kept as a message key: it is worded in the
    page's language when shown, and again when the language changes."""
    return {"key": key, "params": params, "ok": ok}


def refused(guard: Guard, token: str | None) -> dict[str, Any] | None:
    """The guard's refusal of a run as a note, or None (``callbacks.guard.refusal`` words
    it at once, in the language of the moment)."""
    try:
        guard.check("lab", Client.of(ctx.remote, ctx.headers or {}), token)
    except ActionRefused as err:
        return note(err.code, ok=False, **err.params)
    return None


async def submit(
    n_clicks: int | None,
    n: Any,
    latency: Any,
    cpu: Any,
    workers: Any,
    engines: list[str] | None,
    trace: list[str] | None,
    previous: dict[str, Any] | None,
) -> tuple[Any, Any]:
    """(the job, the note)."""
    if not n_clicks:
        raise PreventUpdate
    try:
        return check_job(n, latency, cpu, workers, engines, previous, trace), None
    except LabInputError as err:
        return no_update, note(err.code, ok=False, **err.params)


async def clear(job: dict[str, Any] | None) -> tuple[Any, ...]:
    """A new run starts from a clean page: (no result, table, bars, loop trace button, outcome
    or swimlanes) until it reports. The callbacks that show a result wait while a run is
    under way (Dash holds back any callback whose inputs a running one will set), so the
    last run's would otherwise stay, in the language of the moment."""
    if not job:
        raise PreventUpdate
    return None, [], make_empty_figure(), HIDDEN, "", make_empty_figure()


def run_job(
    settings: Settings, set_progress: Callable[[list[Any]], None], job: dict[str, Any] | None
) -> dict[str, Any]:
    """Runs in the job's own process (a background callback): the run so far goes to the
    page as data (it words it, in whatever language it shows), with the run's pid, for
    Cancel. Dash sets both to None when the job ends."""
    if not job:
        raise PreventUpdate
    die_with_parent(os.getppid())  # a job dies with its web worker: it holds the worker's listening socket

    def progress(result: LabResult | None) -> None:
        set_progress([{} if result is None else result.as_dict(), os.getpid()])

    return run_lab_job(job, settings, progress)


def loop_trace_file(data: dict[str, Any] | None) -> str | None:
    """The name of a finished run's asyncio loop trace, if it was traced."""
    return next((r["loop"]["file"] for r in (data or {}).get("rows", []) if r.get("loop")), None)


async def download_loop_trace(settings: Settings, n_clicks: int | None, data: dict[str, Any] | None) -> tuple[Any, Any]:
    """(the file, a note): the name comes from the page, so only a name run_job makes is
    looked up, and only in the lab's folder."""
    name = loop_trace_file(data)
    if not n_clicks or name is None:
        raise PreventUpdate
    path = settings.lab_dir / name
    if not is_loop_trace_name(name) or not path.is_file():
        return no_update, note("lab.err.trace_gone", ok=False, kept=LOOP_TRACES_KEPT)
    return dcc.send_file(str(path), filename=f"looplens-lab-{name}"), None


async def cancel(settings: Settings, run_pid: int | None) -> Any:
    """Dash's own cancel kills the job's process tree too, but not always (seen on 4.4.1
    when Cancel follows the first progress closely); the run's process group is killed
    here as well, once the pid is checked against the lock."""
    if run_pid:
        await asyncio.to_thread(stop_run, settings.lab_lock_path, int(run_pid))
    return note("lab.cancelled")


# -- what the page shows, in its language: again whenever the language changes -------------


async def show_note(shown: dict[str, Any] | None, lang: str | None) -> Any:
    if not shown:
        return ""
    return message(t(shown["key"], checked_lang(lang), **shown["params"]), ok=shown["ok"])


async def show_results(data: dict[str, Any] | None, lang: str | None) -> tuple[Any, ...]:
    """(why it failed, the table and its notes, the bars, the loop trace button's style, the
    swimlanes) of a finished run."""
    lang = checked_lang(lang)
    if not data or data.get("error"):
        why = message(t(data["error"], lang, **data.get("params", {})), ok=False) if data else ""
        return why, [], make_empty_figure(), HIDDEN, make_empty_figure()
    trace = SHOWN if loop_trace_file(data) else HIDDEN
    return "", make_results(data, lang), make_bars(data, lang), trace, make_lanes_figure(data, lang)


async def show_progress(progress: dict[str, Any] | None, lang: str | None) -> tuple[Any, Any]:
    """(the progress line, the swimlanes so far) of the run under way; nothing once it has
    ended (Dash then sets its progress to None, and the result takes over)."""
    if progress is None:
        raise PreventUpdate
    lang = checked_lang(lang)
    return progress_text(progress, lang), make_lanes_figure(progress, lang)


def register(app: Dash, settings: Settings) -> None:
    """Submit a checked job (an action: through the guard) and run it in the background;
    then what follows a run, and what the page shows."""
    guard = Guard(settings)

    async def submit_through_guard(
        n_clicks: int | None, n: Any, latency: Any, cpu: Any, workers: Any, engines: list[str] | None,
        trace: list[str] | None, previous: dict[str, Any] | None, token: str | None,
    ) -> tuple[Any, Any]:  # fmt: skip
        if n_clicks and (why := refused(guard, token)):
            return no_update, why
        return await submit(n_clicks, n, latency, cpu, workers, engines, trace, previous)

    app.callback(
        Output(ids.LAB_JOB, "data"),
        Output(ids.LAB_NOTE, "data"),
        Input(ids.LAB_RUN, "n_clicks"),
        State(ids.LAB_N, "value"),
        State(ids.LAB_LATENCY, "value"),
        State(ids.LAB_CPU, "value"),
        State(ids.LAB_WORKERS, "value"),
        State(ids.LAB_ENGINES, "value"),
        State(ids.LAB_TRACE, "value"),
        State(ids.LAB_JOB, "data"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(submit_through_guard)

    def run(set_progress: Callable[[list[Any]], None], job: dict[str, Any] | None) -> dict[str, Any]:
        return run_job(settings, set_progress, job)

    app.callback(
        Output(ids.LAB_RESULT, "data"),
        Input(ids.LAB_JOB, "data"),
        background=True,
        interval=max(settings.job_poll_ms, 300),
        progress=[Output(ids.LAB_PROGRESS_DATA, "data"), Output(ids.LAB_RUN_PID, "data")],
        running=[
            (Output(ids.LAB_RUN, "disabled"), True, False),
            (Output(ids.LAB_CANCEL, "style"), SHOWN, HIDDEN),
            (Output(ids.LAB_PROGRESS, "style"), SHOWN, HIDDEN),
            (Output(ids.LAB_TRACE_GET, "disabled"), True, False),
        ],
        cancel=[Input(ids.LAB_CANCEL, "n_clicks")],
        prevent_initial_call=True,
    )(run)

    _register_results(app, settings)
    _register_views(app)


def _register_results(app: Dash, settings: Settings) -> None:
    """Cancel, a finished run's note, and its loop trace's download."""

    async def cancelled(_clicks: int | None, run_pid: int | None) -> Any:
        return await cancel(settings, run_pid)

    app.callback(
        Output(ids.LAB_NOTE, "data", allow_duplicate=True),
        Input(ids.LAB_CANCEL, "n_clicks"),
        State(ids.LAB_RUN_PID, "data"),
        prevent_initial_call=True,
    )(cancelled)

    async def get_loop_trace(n_clicks: int | None, data: dict[str, Any] | None) -> tuple[Any, Any]:
        return await download_loop_trace(settings, n_clicks, data)

    app.callback(
        Output(ids.LAB_TRACE_FILE, "data"),
        Output(ids.LAB_NOTE, "data", allow_duplicate=True),
        Input(ids.LAB_TRACE_GET, "n_clicks"),
        State(ids.LAB_RESULT, "data"),
        prevent_initial_call=True,
    )(get_loop_trace)


def _register_views(app: Dash) -> None:
    """The note, the progress line, the result: each from its data and the language, so a
    switch rewords them at once."""
    app.callback(
        Output(ids.LAB_MESSAGE, "children"),
        Input(ids.LAB_NOTE, "data"),
        Input(ids.LANG, "value"),
        prevent_initial_call=True,
    )(show_note)
    app.callback(
        Output(ids.LAB_RESULT, "data", allow_duplicate=True),
        Output(ids.LAB_TABLE, "children", allow_duplicate=True),
        Output(ids.LAB_BARS, "figure", allow_duplicate=True),
        Output(ids.LAB_TRACE_GET, "style", allow_duplicate=True),
        Output(ids.LAB_OUTCOME, "children", allow_duplicate=True),
        Output(ids.LAB_LANES, "figure", allow_duplicate=True),
        Input(ids.LAB_JOB, "data"),
        prevent_initial_call=True,
    )(clear)
    app.callback(
        Output(ids.LAB_PROGRESS, "children"),
        Output(ids.LAB_LANES, "figure", allow_duplicate=True),
        Input(ids.LAB_PROGRESS_DATA, "data"),
        Input(ids.LANG, "value"),
        prevent_initial_call=True,
    )(show_progress)
    app.callback(
        Output(ids.LAB_OUTCOME, "children"),
        Output(ids.LAB_TABLE, "children"),
        Output(ids.LAB_BARS, "figure"),
        Output(ids.LAB_TRACE_GET, "style"),
        Output(ids.LAB_LANES, "figure"),
        Input(ids.LAB_RESULT, "data"),
        Input(ids.LANG, "value"),
        prevent_initial_call=True,
    )(show_results)
