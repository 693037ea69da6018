"""Lab page: check the workload, run the engines as a background job with progress,
render the table, the bars and the swimlanes, and hand out the asyncio loop's trace.

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

from dash import Dash, Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks.guard import refusal
from callbacks.i18n import checked_lang
from services.core.children import die_with_parent
from services.core.errors import LabInputError
from services.core.i18n import t
from services.core.settings import Settings
from services.lab.loop_trace import LOOP_TRACES_KEPT, is_loop_trace_name
from services.lab.run import LabResult, stop_run
from services.lab.run import run_job as run_lab_job
from services.lab.workload import ENGINES, Workload
from services.ops.guard import Guard
from views import HIDDEN, SHOWN
from views.lab import make_bars, make_lanes_figure, make_results, progress_text
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


async def submit(
    n_clicks: int | None,
    n: Any,
    latency: Any,
    cpu: Any,
    workers: Any,
    engines: list[str] | None,
    trace: list[str] | None,
    lang: str | None,
    previous: dict[str, Any] | None,
) -> tuple[Any, Any]:
    if not n_clicks:
        raise PreventUpdate
    try:
        return check_job(n, latency, cpu, workers, engines, previous, trace), ""
    except LabInputError as err:
        return no_update, message(t(err.code, checked_lang(lang), **err.params), ok=False)


def run_job(
    settings: Settings, set_progress: Callable[[list[Any]], None], job: dict[str, Any] | None, lang: str | None
) -> dict[str, Any]:
    """Runs in the job's own process (a background callback); the run's pid goes with
    every progress report, for Cancel."""
    if not job:
        raise PreventUpdate
    die_with_parent(os.getppid())  # a job dies with its web worker: it holds the worker's listening socket
    lang = checked_lang(lang)

    def progress(result: LabResult | None) -> None:
        if result is None:
            set_progress([t("lab.starting", lang), make_lanes_figure(None, lang), os.getpid()])
            return
        data = result.as_dict()
        set_progress([progress_text(data, lang), make_lanes_figure(data, lang), os.getpid()])

    return run_lab_job(job, settings, progress)


def loop_trace_file(data: dict[str, Any] | None) -> str | None:
    """The name of a finished run's asyncio loop trace, if it was traced."""
    return next((r["loop"]["file"] for r in (data or {}).get("rows", []) if r.get("loop")), None)


async def download_loop_trace(
    settings: Settings, n_clicks: int | None, data: dict[str, Any] | None, lang: str | None
) -> tuple[Any, Any]:
    """(the file, a message): the name comes from the page, so only a name run_job makes
    is looked up, and only in the lab's folder."""
    name = loop_trace_file(data)
    if not n_clicks or name is None:
        raise PreventUpdate
    path = settings.lab_dir / name
    if not is_loop_trace_name(name) or not path.is_file():
        return no_update, message(t("lab.err.trace_gone", checked_lang(lang), kept=LOOP_TRACES_KEPT), ok=False)
    return dcc.send_file(str(path), filename=f"looplens-lab-{name}"), ""


async def cancel(settings: Settings, run_pid: int | None, lang: str | None) -> Any:
    """Dash's own cancel kills the job's process tree too, but not always (seen on 4.4.1
    when Cancel follows the first progress closely); the run's process group is killed
    here as well, once the pid is checked against the lock."""
    if run_pid:
        await asyncio.to_thread(stop_run, settings.lab_lock_path, int(run_pid))
    return message(t("lab.cancelled", checked_lang(lang)))


async def render(data: dict[str, Any] | None, lang: str | None) -> tuple[Any, ...]:
    """(message, table and notes, bars, swimlanes, the loop trace button's style)."""
    lang = checked_lang(lang)
    if not data:
        raise PreventUpdate
    if data.get("error"):
        return (
            message(t(data["error"], lang, **data.get("params", {})), ok=False),
            no_update,
            no_update,
            no_update,
            HIDDEN,
        )
    return (
        "",
        make_results(data, lang),
        make_bars(data, lang),
        make_lanes_figure(data, lang),
        SHOWN if loop_trace_file(data) else HIDDEN,
    )


def register(app: Dash, settings: Settings) -> None:
    """Submit a checked job (an action: through the guard) and run it in the background;
    then what follows a run."""
    guard = Guard(settings)

    async def submit_through_guard(
        n_clicks: int | None, n: Any, latency: Any, cpu: Any, workers: Any, engines: list[str] | None,
        trace: list[str] | None, lang: str | None, previous: dict[str, Any] | None, token: str | None,
    ) -> tuple[Any, Any]:  # fmt: skip
        if n_clicks and (why := refusal(guard, "lab", token, checked_lang(lang))):
            return no_update, message(why, ok=False)
        return await submit(n_clicks, n, latency, cpu, workers, engines, trace, lang, previous)

    app.callback(
        Output(ids.LAB_JOB, "data"),
        Output(ids.LAB_MESSAGE, "children"),
        Input(ids.LAB_RUN, "n_clicks"),
        State(ids.LAB_N, "value"),
        State(ids.LAB_LATENCY, "value"),
        State(ids.LAB_CPU, "value"),
        State(ids.LAB_WORKERS, "value"),
        State(ids.LAB_ENGINES, "value"),
        State(ids.LAB_TRACE, "value"),
        State(ids.LANG, "value"),
        State(ids.LAB_JOB, "data"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(submit_through_guard)

    def run(set_progress: Callable[[list[Any]], None], job: dict[str, Any] | None, lang: str | None) -> dict[str, Any]:
        return run_job(settings, set_progress, job, lang)

    app.callback(
        Output(ids.LAB_RESULT, "data"),
        Input(ids.LAB_JOB, "data"),
        State(ids.LANG, "value"),
        background=True,
        interval=max(settings.job_poll_ms, 300),
        progress=[
            Output(ids.LAB_PROGRESS, "children"),
            Output(ids.LAB_LANES, "figure"),
            Output(ids.LAB_RUN_PID, "data"),
        ],
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


def _register_results(app: Dash, settings: Settings) -> None:
    """Cancel, the finished run's table and figures, and its loop trace's download."""

    async def cancelled(_clicks: int | None, run_pid: int | None, lang: str | None) -> Any:
        return await cancel(settings, run_pid, lang)

    app.callback(
        Output(ids.LAB_MESSAGE, "children", allow_duplicate=True),
        Input(ids.LAB_CANCEL, "n_clicks"),
        State(ids.LAB_RUN_PID, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(cancelled)

    app.callback(
        Output(ids.LAB_MESSAGE, "children", allow_duplicate=True),
        Output(ids.LAB_TABLE, "children"),
        Output(ids.LAB_BARS, "figure"),
        Output(ids.LAB_LANES, "figure", allow_duplicate=True),
        Output(ids.LAB_TRACE_GET, "style"),
        Input(ids.LAB_RESULT, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(render)

    async def get_loop_trace(n_clicks: int | None, data: dict[str, Any] | None, lang: str | None) -> tuple[Any, Any]:
        return await download_loop_trace(settings, n_clicks, data, lang)

    app.callback(
        Output(ids.LAB_TRACE_FILE, "data"),
        Output(ids.LAB_MESSAGE, "children", allow_duplicate=True),
        Input(ids.LAB_TRACE_GET, "n_clicks"),
        State(ids.LAB_RESULT, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(get_loop_trace)
