"""Trace page, recordings: list those in the recordings folder, keep one uploaded (an
action: it writes to disk, so through the guard), replay one at the scrubber's moment with
the live page's own views, compare two side by side, download one for Perfetto.

Files are read off the event loop (``asyncio.to_thread``) and kept open in a small cache
(``services.tracing.replay.RecordingCache``); what is not a recording is said in words."""

from __future__ import annotations

import asyncio
import json
import time
from functools import partial
from typing import Any

from dash import Dash, Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks.guard import guarded
from callbacks.i18n import checked_lang
from services.core.errors import ActionRefused
from services.core.i18n import t
from services.core.settings import Settings
from services.ops.guard import Guard
from services.tracing.recording import Recording, RecordingError
from services.tracing.replay import (
    RecordingCache,
    compare,
    findings_at,
    folder,
    list_recordings,
    path_of,
    perfetto,
    replay,
    save_upload,
    span,
)
from services.tracing.view import TraceView
from views import HIDDEN, SHOWN
from views.trace_panels import make_diagnosis
from views.trace_replay import make_compare_table, recording_options
from views.trace_tracks import make_tracks_figure, tracks_graph
from views.tracing import counters_text, make_slow_table, make_trace_figure, message, note, show_note


def said(err: RecordingError, lang: str) -> Any:
    """What is wrong with a recording, as the page's message."""
    return message(t(err.code, lang, **err.params), ok=False)


async def opened(settings: Settings, cache: RecordingCache, name: Any) -> Recording:
    """The recording ``name`` in the recordings folder (read off the loop); ``RecordingError``."""
    where = folder(settings.data_dir)
    try:
        return await asyncio.to_thread(lambda: cache.get(path_of(where, name)))
    except OSError as err:  # gone between the listing and now, or unreadable
        raise RecordingError(str(err), "trace.replay.err.gone", name=str(name)) from None


async def listing(settings: Settings, added: Any, lang: str | None) -> tuple[Any, ...]:
    """Both dropdowns' choices and placeholder, the upload's words; after an upload, the new one picked."""
    lang = checked_lang(lang)
    files = await asyncio.to_thread(list_recordings, folder(settings.data_dir))
    options = recording_options(files)
    placeholder = t("trace.replay.choose" if files else "trace.replay.none", lang)
    name = (added or {}).get("params", {}).get("name") if isinstance(added, dict) and added.get("ok") else None
    return options, options, placeholder, placeholder, name or no_update, t("trace.replay.upload", lang)


async def upload(settings: Settings, contents: Any, filename: Any, _lang: str | None) -> dict[str, Any]:
    """The note of keeping an uploaded recording (its name), or of why it was not kept."""
    if not contents:
        raise PreventUpdate
    try:
        name = await asyncio.to_thread(save_upload, folder(settings.data_dir), filename, contents)
    except RecordingError as err:
        return note(err.code, ok=False, **err.params)
    except OSError as err:
        return note("trace.replay.err.save", ok=False, name=str(filename), error=err.strerror or str(err))
    return note("trace.replay.uploaded", name=name)


async def scrubber(settings: Settings, cache: RecordingCache, name: Any, lang: str | None) -> tuple[Any, ...]:
    """(slider max, value, marks, the body's style, export off, message) for a recording picked."""
    if not name:
        return 1, 1, None, HIDDEN, True, ""
    try:
        recording = await opened(settings, cache, name)
    except RecordingError as err:
        return 1, 1, None, HIDDEN, True, said(err, checked_lang(lang))
    start, end = span(recording)
    seconds = max(round((end - start) / 1e9, 1), 0.1)
    step = max(1, round(seconds / 4))  # a few marks: a phone shows them apart
    marks = {s: f"{s} s" for s in range(0, int(seconds) + 1, step)}
    return seconds, seconds, marks, SHOWN, False, no_update


async def draw(
    settings: Settings, cache: RecordingCache, at_s: Any, view: dict[str, Any] | None, name: Any, lang: str | None
) -> tuple[Any, ...]:
    """Every view at the scrubber's moment: (status, counters, figure, tracks, slow table, findings)."""
    if not name:
        raise PreventUpdate
    lang = checked_lang(lang)
    try:
        recording = await opened(settings, cache, name)
    except RecordingError as err:
        return (said(err, lang), *([no_update] * 5))
    shown = TraceView.from_store({**(view or {}), "lang": lang, "focus": []})
    start, end = span(recording)
    at_ns = min(start + int(float(at_s or 0) * 1e9), end)
    session, update = await asyncio.to_thread(replay, recording, at_ns, shown)
    tracks = make_tracks_figure(session, lang)
    found = findings_at(recording, at_ns)
    findings = make_diagnosis(found, session.limits, shown.window_s, lang, prefix="trace-replay")
    if recording.findings:
        findings.insert(0, message(t("trace.replay.findings_at_end", lang)))
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(recording.header.get("started") or 0)))
    status = t("trace.replay.status", lang, name=name, at=f"{(at_ns - start) / 1e9:.1f}",
               seconds=f"{(end - start) / 1e9:.1f}", when=when, pid=session.pid)  # fmt: skip
    return (
        message(status),
        counters_text(session, lang, replay=True),
        make_trace_figure(update, session, lang),
        [] if tracks is None else tracks_graph(tracks, lang, ids.TRACE_REPLAY_TRACKS),
        make_slow_table(session.slow_rows(), shown.slow_ms, lang),
        findings,
    )


async def side_by_side(settings: Settings, cache: RecordingCache, a: Any, b: Any, lang: str | None) -> Any:
    lang = checked_lang(lang)
    if not a or not b:
        return message(t("trace.replay.cmp.pick", lang))
    try:
        first, second = await opened(settings, cache, a), await opened(settings, cache, b)
    except RecordingError as err:
        return said(err, lang)
    return make_compare_table(await asyncio.to_thread(compare, first, second), (str(a), str(b)), lang)


async def download(settings: Settings, cache: RecordingCache, n_clicks: Any, name: Any) -> Any:
    if not n_clicks or not name:
        raise PreventUpdate
    try:
        recording = await opened(settings, cache, name)
    except RecordingError:
        raise PreventUpdate from None  # the scrubber's message says why already
    doc = await asyncio.to_thread(perfetto, recording)
    stem = str(name).removesuffix(".llrec")
    return dcc.send_string(json.dumps(doc, separators=(",", ":")), f"{stem}.json", type="application/json")


def refusal_note(err: ActionRefused, _lang: str) -> dict[str, Any]:
    return note(err.code, ok=False, **err.params)


def register(app: Dash, settings: Settings, guard: Guard) -> None:
    cache = RecordingCache()
    app.callback(
        Output(ids.TRACE_REPLAY_ADDED, "data"),
        Input(ids.TRACE_REPLAY_UPLOAD, "contents"),
        State(ids.TRACE_REPLAY_UPLOAD, "filename"),
        State(ids.LANG, "value"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(guarded(guard, "upload", partial(upload, settings), refusal_note))

    async def upload_said(added: Any, lang: str | None) -> Any:
        return show_note(added, checked_lang(lang))

    app.callback(
        Output(ids.TRACE_REPLAY_STATUS, "children", allow_duplicate=True),
        Input(ids.TRACE_REPLAY_ADDED, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(upload_said)
    app.callback(
        Output(ids.TRACE_REPLAY_FILE, "options"),
        Output(ids.TRACE_REPLAY_OTHER, "options"),
        Output(ids.TRACE_REPLAY_FILE, "placeholder"),
        Output(ids.TRACE_REPLAY_OTHER, "placeholder"),
        Output(ids.TRACE_REPLAY_FILE, "value"),
        Output(ids.TRACE_REPLAY_UPLOAD, "children"),
        Input(ids.TRACE_REPLAY_ADDED, "data"),
        Input(ids.LANG, "value"),
    )(partial(listing, settings))  # (a partial of a coroutine function is one: inspect unwraps it)
    _register_replay(app, settings, cache)


def _register_replay(app: Dash, settings: Settings, cache: RecordingCache) -> None:
    app.callback(
        Output(ids.TRACE_REPLAY_AT, "max"),
        Output(ids.TRACE_REPLAY_AT, "value"),
        Output(ids.TRACE_REPLAY_AT, "marks"),
        Output(ids.TRACE_REPLAY_BODY, "style"),
        Output(ids.TRACE_REPLAY_EXPORT, "disabled"),
        Output(ids.TRACE_REPLAY_STATUS, "children", allow_duplicate=True),
        Input(ids.TRACE_REPLAY_FILE, "value"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(partial(scrubber, settings, cache))
    app.callback(
        Output(ids.TRACE_REPLAY_STATUS, "children", allow_duplicate=True),
        Output(ids.TRACE_REPLAY_COUNTERS, "children"),
        Output(ids.TRACE_REPLAY_GRAPH, "figure"),
        Output(ids.TRACE_REPLAY_TRACKS_BOX, "children"),
        Output(ids.TRACE_REPLAY_SLOW, "children"),
        Output(ids.TRACE_REPLAY_DIAGNOSIS, "children"),
        Input(ids.TRACE_REPLAY_AT, "value"),
        Input(ids.TRACE_VIEW, "data"),  # the page's window, threshold and language (it follows the switch)
        State(ids.TRACE_REPLAY_FILE, "value"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(partial(draw, settings, cache))
    app.callback(
        Output(ids.TRACE_REPLAY_COMPARE, "children"),
        Input(ids.TRACE_REPLAY_FILE, "value"),
        Input(ids.TRACE_REPLAY_OTHER, "value"),
        Input(ids.LANG, "value"),
    )(partial(side_by_side, settings, cache))
    app.callback(
        Output(ids.TRACE_REPLAY_DOWNLOAD, "data"),
        Input(ids.TRACE_REPLAY_EXPORT, "n_clicks"),
        State(ids.TRACE_REPLAY_FILE, "value"),
        prevent_initial_call=True,
    )(partial(download, settings, cache))
