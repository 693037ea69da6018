"""Trace page markup beside the timeline: the form that adds an agent, and an agent's
findings (``services.tracing.diagnosis``) in plain words, each with a button that shows
the rows behind it."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

import ids
from services.core.i18n import t
from services.tracing.view import FOCUS_KEPT
from views.controls import buttons, field, read_only
from views.i18n import T


def agent_form() -> html.Section:
    """URL and token of an agent (the token box never shows what was typed back)."""
    url = dcc.Input(id=ids.TRACE_AGENT_URL, type="text", placeholder="127.0.0.1:40171", className="agent-url")
    token = dcc.Input(id=ids.TRACE_AGENT_TOKEN, type="password", autoComplete="off", className="agent-token")
    return html.Section(
        [
            T("trace.agent.title", html.H2),
            T("trace.agent.hint", html.P, className="muted"),
            html.Div(
                [
                    field("trace.agent.url", url),
                    field("trace.agent.token", token),
                    buttons(
                        html.Button(T("trace.agent.add"), id=ids.TRACE_AGENT_ADD, className="btn", disabled=read_only())
                    ),
                ],
                className="live-controls agent-form",
            ),
        ],
        className="card trace-agent",
    )


def diagnosis_section() -> html.Section:
    return html.Section(
        [
            html.H2(T("trace.diag.title"), id=ids.TRACE_DIAGNOSIS_TITLE),
            html.Div(id=ids.TRACE_DIAGNOSIS, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-* is not in Div's typed signature
        ],
        className="card trace-diagnosis",
    )


STEP = " · step "  # how the agent names a task's step in a finding: the task, then this, then its coroutine
SAME = ("where", "name", "by", "site", "task", "error", "message")  # what makes two findings one


def grouped(findings: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int, list[int]]]:
    """Findings about the same thing (a kind, a line, a task …) as one: the first of them
    (the worst: the service sorts them so), how many, and all their rows."""
    groups: dict[tuple[Any, ...], tuple[dict[str, Any], int, list[int]]] = {}
    for f in findings:
        params = f.get("params") if isinstance(f.get("params"), dict) else {}
        key = (f.get("code"), *(str(params.get(name)) for name in SAME))  # type: ignore[union-attr]
        first, count, seqs = groups.get(key, (f, 0, []))
        seqs.extend(s for s in f.get("seqs") or () if isinstance(s, int) and len(seqs) < FOCUS_KEPT)
        groups[key] = (first, count + 1, seqs)
    return list(groups.values())


def said(name: Any, lang: str) -> Any:
    """A callback's name as the agent gives it ("Task-8 · step main"), its step in ``lang``."""
    if not isinstance(name, str) or STEP not in name:
        return name
    lane, _, coro = name.partition(STEP)
    return f"{lane} · {t('trace.step', lang, coro=coro)}"


def tree_section() -> html.Section:
    """Beside the timeline: an agent's tasks, each under the one that made it (a region
    the keyboard can reach and scroll)."""
    tree = html.Div(
        id=ids.TRACE_TREE,
        className="tree-scroll",
        tabIndex="0",
        role="region",
        **{"aria-labelledby": ids.TRACE_TREE_TITLE},  # type: ignore[arg-type]  # aria-* is not in Div's typed signature
    )
    return html.Section([html.H2(T("trace.tree.title"), id=ids.TRACE_TREE_TITLE), tree], className="card trace-tree")


def _finding(
    index: int, finding: dict[str, Any], count: int, seqs: list[int], lang: str, prefix: str = "trace"
) -> html.Li:
    given = finding.get("params")
    params: dict[str, Any] = {
        k: said(v, lang) if k in ("name", "by") else v for k, v in (given if isinstance(given, dict) else {}).items()
    }
    text_id = f"{prefix}-finding-text-{index}"
    show = (
        html.Button(
            t("trace.diag.show", lang),
            id={"type": ids.TRACE_FINDING, "index": index},
            value=",".join(map(str, seqs)),
            className="btn btn-small",
            **{"aria-describedby": text_id},  # type: ignore[arg-type]  # aria-* is not in Button's typed signature
        )
        if seqs and prefix == "trace"  # a replay's findings point at no live rows
        else None
    )
    text = t(str(finding.get("code")), lang, **params)
    if count > 1:
        text = f"{text} {t('trace.diag.times', lang, n=count)}"
    return html.Li([html.Span(text, id=text_id), show], className="finding")


def make_diagnosis(
    found: dict[str, Any] | None, limits: list[str], window_s: int, lang: str, prefix: str = "trace"
) -> list[Any]:
    """An agent's findings (``found``: its /trace/diagnosis answer; None: not an agent's
    loop), and what the trace cannot see there (``limits``: message keys); ``prefix`` tells
    apart the ids of a replay's findings, which have no button."""
    notes = [html.P(t(key, lang), className="muted limit") for key in limits if key.startswith("trace.limit.")]
    if found is None:
        return [html.P(t("trace.diag.own", lang), className="muted"), *notes]
    findings = [
        f for f in found.get("findings") or () if isinstance(f, dict) and str(f.get("code", "")).startswith("diag.")
    ]
    if not findings:
        return [html.P(t("trace.diag.none", lang, window=window_s), className="muted"), *notes]
    items = [_finding(i, f, count, seqs, lang, prefix) for i, (f, count, seqs) in enumerate(grouped(findings))]
    return [html.Ul(items, className="findings"), *notes]
