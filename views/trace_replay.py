"""Trace page markup for recordings: the section that opens, scrubs, compares and exports
one (``callbacks.trace_replay`` fills it), and the side-by-side table."""

from __future__ import annotations

import time
from typing import Any

from dash import dcc, html

import ids
from services.core.i18n import DEFAULT_LANG, t
from services.tracing.replay import RecordingFile
from views import HIDDEN
from views.controls import buttons, field, graph, read_only
from views.i18n import T
from views.tracing import EMPTY_LAYOUT, TIMELINE_PX, breakable


def _pickers() -> html.Div:
    def picker(component_id: str, label: str) -> Any:
        return field(label, dcc.Dropdown(id=component_id, options=[], clearable=True, className="replay-pick"))

    upload = html.Label(  # the Upload's file input, inside: its name is the label's text
        dcc.Upload(
            t("trace.replay.upload", DEFAULT_LANG),  # its words: callbacks.trace_replay.listing (a text
            # with an i18n id inside an Upload misses a fresh load's translation)
            id=ids.TRACE_REPLAY_UPLOAD,
            accept=".llrec",
            className="btn replay-upload",
            max_size=-1,  # bounded by the service, which says so in words
            disabled=read_only(),  # it writes to disk: an action (the guard refuses it too)
        )
    )
    return html.Div(
        className="live-controls",
        children=[
            picker(ids.TRACE_REPLAY_FILE, "trace.replay.pick"),
            picker(ids.TRACE_REPLAY_OTHER, "trace.replay.other"),
            buttons(
                upload,
                html.Button(T("trace.replay.export"), id=ids.TRACE_REPLAY_EXPORT, className="btn", disabled=True),
                dcc.Download(id=ids.TRACE_REPLAY_DOWNLOAD),
            ),
        ],
    )


def _body() -> html.Div:
    scrubber = dcc.Slider(
        id=ids.TRACE_REPLAY_AT,
        min=0,
        max=1,
        step=0.1,
        value=1,
        marks=None,
        updatemode="mouseup",
        allow_direct_input=False,
    )  # the status line says the moment in words; a box beside it would have no label
    slow = html.Div(
        id=ids.TRACE_REPLAY_SLOW,
        className="table-scroll",
        tabIndex="0",
        role="region",
        **{"aria-labelledby": ids.TRACE_REPLAY_SLOW_TITLE},  # type: ignore[arg-type]  # aria-* is not in Div's typed signature
    )
    return html.Div(
        id=ids.TRACE_REPLAY_BODY,
        style=HIDDEN,
        children=[
            field("trace.replay.at", scrubber, "slider-field replay-at"),
            html.Div(id=ids.TRACE_REPLAY_COUNTERS, className="trace-counters"),
            graph(ids.TRACE_REPLAY_GRAPH, EMPTY_LAYOUT, "trace-graph", "trace.chart_summary", TIMELINE_PX),
            html.Div(id=ids.TRACE_REPLAY_TRACKS_BOX),
            html.Div(
                className="trace-panels",
                children=[
                    html.Section(
                        [html.H3(T("trace.slow.title", slot="replay"), id=ids.TRACE_REPLAY_SLOW_TITLE), slow],
                        className="card",
                    ),
                    html.Section(
                        [T("trace.diag.title", html.H3, slot="replay"), html.Div(id=ids.TRACE_REPLAY_DIAGNOSIS)],
                        className="card",
                    ),
                ],
            ),
        ],
    )


def replay_section() -> html.Section:
    return html.Section(
        [
            T("trace.replay.title", html.H2),
            T("trace.replay.hint", html.P, className="muted"),
            _pickers(),
            html.Div(id=ids.TRACE_REPLAY_STATUS, className="trace-message", role="status"),
            _body(),
            T("trace.replay.cmp.title", html.H3),
            html.Div(id=ids.TRACE_REPLAY_COMPARE, className="table-scroll"),
            dcc.Store(id=ids.TRACE_REPLAY_ADDED),
        ],
        className="card trace-replay",
    )


def recording_options(files: list[RecordingFile]) -> list[dict[str, Any]]:
    """A dropdown's choices: each file's name and when it was written."""
    return [
        {"label": f"{f.name} · {time.strftime('%Y-%m-%d %H:%M', time.localtime(f.modified))}", "value": f.name}
        for f in files
    ]


def _cell(value: Any) -> Any:
    if isinstance(value, list):  # the slowest callbacks: (name, ms)
        if not value:
            return html.Td("—")
        return html.Td(
            html.Ul([html.Li([html.Code(breakable(name)), f" {ms:.1f}"]) for name, ms in value], className="plain"),
            className="mono",
        )
    return html.Td(f"{value:g}" if isinstance(value, float) else str(value), className="num")


def make_compare_table(rows: list[tuple[str, Any, Any]], names: tuple[str, str], lang: str) -> Any:
    """Two recordings' figures side by side: one line per figure, a column each."""
    head = html.Tr([html.Th(t("trace.replay.cmp.what", lang)), *(html.Th(html.Code(n)) for n in names)])
    body = [html.Tr([html.Th(t(f"trace.replay.cmp.{what}", lang)), _cell(a), _cell(b)]) for what, a, b in rows]
    return html.Table([html.Thead(head), html.Tbody(body)], className="slow-table compare-table")
