"""What the view tests share: the text a component shows, and what a Patch does."""

from __future__ import annotations

from typing import Any


def texts(component: Any) -> list[str]:
    """Every string shown inside a Dash component, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [s for child in component for s in texts(child)]
    children = getattr(component, "children", None)
    return texts(children) if children is not None else []


def operations(patch: Any) -> list[tuple[str, tuple[Any, ...], Any]]:
    """A Patch's operations as (operation, location, value)."""
    return [
        (op["operation"], tuple(op["location"]), op["params"].get("value"))
        for op in patch.to_plotly_json()["operations"]
    ]
