"""The pages' building blocks: a labelled field, a segmented choice, a text box, a row of
buttons, a page head with its status line, and a graph that starts empty."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from views.i18n import T


def field(label_key: str, control: Any, extra_class: str = "") -> html.Label | html.Div:
    """``control`` under its translated label: a ``<label>`` around a text box; around a
    choice, a dropdown or a slider (not one labelable element each) a group named by it."""
    classes = f"field {extra_class}".strip()
    if isinstance(control, (dcc.Input, dcc.Textarea)):
        return html.Label([T(label_key), control], className=classes)
    label_id = f"{_plain_id(control.id)}-label"
    return html.Div(
        [html.Span(T(label_key), id=label_id), control],
        className=classes,
        role="group",
        **{"aria-labelledby": label_id},  # type: ignore[arg-type]  # aria-* props are not in Div's typed signature
    )


def _plain_id(component_id: str | dict[str, str]) -> str:
    """An id usable in an HTML attribute (a pattern id's values, joined)."""
    return component_id if isinstance(component_id, str) else "-".join(map(str, component_id.values()))


def segmented(component_id: str, value: Any, options: list[dict[str, Any]], **props: Any) -> dcc.RadioItems:
    """One choice of a few, shown as a row of joined buttons."""
    return dcc.RadioItems(id=component_id, value=value, inline=True, className="segmented", options=options, **props)


def text_box(label_key: str, component_id: str, value: str | None = None, **props: Any) -> html.Label | html.Div:
    """A labelled one-line text input (numbers are typed as text and checked by the callback)."""
    if value is not None:
        props["value"] = value
    return field(label_key, dcc.Input(id=component_id, type="text", className="num-input", **props))


def scroll_box(table: Any, label: str) -> html.Div:
    """A table that may scroll sideways on a narrow screen: a named region the keyboard can
    reach and scroll (arrow keys), not only a mouse or a finger."""
    return html.Div(table, className="table-scroll", tabIndex="0", role="region", **{"aria-label": label})  # type: ignore[arg-type]  # aria-* props are not in Div's typed signature


def run_button(label_key: str, component_id: Any, focus_next: str, **props: Any) -> html.Button:
    """A button that starts long work: while it is disabled (running), the keyboard's focus
    waits on ``focus_next`` (its Cancel, or the running status), then comes back (assets/a11y.js)."""
    return html.Button(T(label_key), id=component_id, **{"data-focus-next": focus_next, **props})


def buttons(*children: Any, extra_class: str = "") -> html.Div:
    return html.Div(list(children), className=f"buttons {extra_class}".strip())


def read_only() -> bool:
    """Whether this app refuses every action (its pages show them off, with the reason)."""
    return bool(dash.get_app().server.state.settings.read_only)


def action_note() -> html.P | None:
    """Under a page's action buttons in read-only mode: why they are off."""
    return T("guard.read_only", html.P, className="action-note") if read_only() else None


def head(title_key: str, status_id: str) -> html.Div:
    """The page's title with its live status line beside it."""
    return html.Div(
        [T(title_key, html.H1), html.Span(id=status_id, className="live-status", role="status")], className="live-head"
    )


def box_style(height: int) -> dict[str, str]:
    """A graph's box at its figure's ``height`` (px), past a panel's border (see ``graph``)."""
    return {"height": f"{height}px", "boxSizing": "content-box"}


WAITING = "looplens:waiting"  # the layout's ``meta`` of a graph that shows no figure yet
LOCALES = {"zh": "zh-CN", "en": "en"}  # Plotly's name of each language


def graph(
    component_id: str, empty_layout: dict[str, Any], class_name: str = "", summary: str = "", height: int = 0
) -> Any:
    """A graph that shows ``empty_layout`` until its first figure arrives, with no axes (an
    empty Plotly figure draws meaningless −1…6 ones), marked ``WAITING`` (a stream's watchdog
    tells by it that the page lost its figure). With ``summary`` (a message key), the
    graph is a figure whose caption tells a screen reader what it shows and where its numbers
    are in text. With ``height`` (its figures' own, px), its box has that height: dcc.Graph
    sizes a chart to its box and drops the figure's height, and a box with none was once
    measured at 0 px with the chart drawn over what follows it. No "share" button: it would
    upload the chart to Plotly's cloud."""
    hidden = {"visible": False}
    box: dict[str, Any] = {"style": box_style(height)} if height else {}
    chart = dcc.Graph(
        id=component_id,
        figure={"data": [], "layout": {**empty_layout, "xaxis": hidden, "yaxis": hidden, "meta": WAITING}},
        config=graph_config("en"),  # callbacks.i18n.graph_locale sets the page's language
        className=class_name,
        **box,  # (style=None would break dcc.Graph: it reads style.height)
    )
    return captioned(chart, summary) if summary else chart


def captioned(chart: Any, summary: str) -> html.Figure:
    """``chart`` as a figure whose caption (``summary``, a message key) tells a screen reader
    what it shows and where its numbers are in text."""
    return html.Figure([chart, T(summary, html.Figcaption, className="sr-only")], className="chart")


def graph_config(lang: str) -> Any:  # (dcc.Graph types its config)
    """A graph's config, its own words (toolbar, month names) in ``lang`` (Plotly's locale:
    assets/plotly-locale-zh-cn.js registers zh-CN; callbacks.i18n.graph_locale follows a switch)."""
    return {"displaylogo": False, "responsive": True, "showSendToCloud": False, "locale": LOCALES.get(lang, "en")}
