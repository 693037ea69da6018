"""Trace page: an agent's task tree (``services.tracing.family``): each task under the
task that made it, what it awaits, collapsible; a task's name inspects it."""

from __future__ import annotations

from typing import Any

from dash import html

import ids
from services.core.i18n import t

OWN = "looplens:"  # the tracer's own tasks (its lag probe): not the program's
SHOWN = 150  # tasks drawn at most: the live ones first, then the newest finished


def _kept(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    alive = [task for task in tasks if task.get("alive")]
    done = [task for task in tasks if not task.get("alive")]
    return (alive + done[::-1])[:SHOWN]


def _node(task: dict[str, Any], children: dict[int, list[dict[str, Any]]], names: dict[int, str], lang: str) -> Any:
    serial = task["serial"]
    awaits = [names.get(s, f"#{s}") for s in task.get("awaits") or ()]
    head = [
        html.Button(str(task["name"]), id={"type": ids.TRACE_TREE_TASK, "index": serial}, className="tree-task"),
        html.Span(f" {task.get('coro', '')}", className="mono muted"),
        html.Span(f" · {t('trace.tree.awaits', lang, names=', '.join(awaits))}", className="tree-awaits")
        if awaits
        else None,
    ]
    below = children.get(serial, [])
    state = "tree-node" if task.get("alive") else "tree-node tree-done"
    if not below:
        return html.Li(head, className=state)
    inner = html.Ul([_node(child, children, names, lang) for child in below])
    made = html.Summary(t("trace.tree.made", lang, n=len(below)), className="tree-made")  # no button inside: a toggle
    return html.Li([*head, html.Details([made, inner], open=True)], className=state)


def make_task_tree(tree: dict[str, Any] | None, lang: str) -> list[Any]:
    """The tree (None: not an agent's loop, which has none to give)."""
    if tree is None:
        return [html.P(t("trace.tree.own", lang), className="muted")]
    tasks = [
        task
        for task in tree.get("tasks") or ()
        if isinstance(task, dict) and isinstance(task.get("serial"), int) and not str(task.get("name")).startswith(OWN)
    ]
    kept = _kept(tasks)
    if not kept:
        return [html.P(t("trace.tree.none", lang), className="muted")]
    serials = {task["serial"] for task in kept}
    names = {task["serial"]: str(task.get("name")) for task in tasks}
    children: dict[int, list[dict[str, Any]]] = {}
    roots = []
    for task in sorted(kept, key=lambda task: task["serial"]):
        parent = task.get("parent")
        if isinstance(parent, int) and parent in serials and parent != task["serial"]:
            children.setdefault(parent, []).append(task)
        else:
            roots.append(task)
    more = len(tasks) - len(kept)
    return [
        html.Ul([_node(task, children, names, lang) for task in roots], className="task-tree"),
        html.P(t("trace.tree.more", lang, n=more), className="muted") if more > 0 else None,
    ]
