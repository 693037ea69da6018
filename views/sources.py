"""The Sources page's markup: the form for one source, the table of every source, and
one source's sensors and rejected messages. Plain data in (the collector's snapshot of
its sources, ``services.sources.manager``), components out; no secret is ever in it."""

from __future__ import annotations

import time
from typing import Any, Literal
from urllib.parse import quote

from dash import dcc, html

import ids
from services.core.i18n import t
from services.live.view import local_time
from views import HIDDEN, SHOWN
from views.controls import field, scroll_box
from views.i18n import T

# Every option of every kind, in the form's order: (option, kind, label key, input type).
FORM: tuple[tuple[str, str, str, str], ...] = (
    ("host", "mqtt", "sources.f.host", "text"),
    ("port", "mqtt", "sources.f.port", "text"),
    ("username", "mqtt", "sources.f.username", "text"),
    ("password", "mqtt", "sources.f.password", "password"),
    ("tls", "mqtt", "sources.f.tls", "check"),
    ("topics", "mqtt", "sources.f.topics", "lines"),
    ("places", "openmeteo", "sources.f.places", "lines"),
    ("language", "openmeteo", "sources.f.language", "language"),
    ("period_s", "openmeteo", "sources.f.period", "text"),
    ("url", "homeassistant", "sources.f.url", "text"),
    ("token", "homeassistant", "sources.f.token", "password"),
)
FORM_KINDS = ("mqtt", "openmeteo", "homeassistant", "simulator")


def _input(option: str, kind: str) -> Any:
    control_id = {"type": ids.SOURCES_OPTION, "option": option}
    if kind == "check":
        return dcc.Checklist(id=control_id, options=[{"label": "TLS", "value": "on"}], value=[], inline=True)
    if kind == "lines":
        return dcc.Textarea(id=control_id, value="", rows=3, className="text-area")
    if kind == "language":
        return dcc.RadioItems(
            id=control_id,
            value="en",
            inline=True,
            className="segmented",
            options=[{"label": "English", "value": "en"}, {"label": "中文", "value": "zh"}],
        )
    shape: Literal["text", "password"] = "password" if kind == "password" else "text"
    return dcc.Input(id=control_id, type=shape, value="", className="text-input", autoComplete="off")


def kind_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"sources.kind.{k}", lang), "value": k} for k in FORM_KINDS]


def make_form() -> html.Section:
    groups = []
    for kind in FORM_KINDS:
        fields = [
            field(label, _input(option, shape), "wide" if shape == "lines" else "")
            for option, of, label, shape in FORM
            if of == kind
        ]
        groups.append(
            html.Div(
                fields or [T("sources.simulator_note", html.P)],
                id={"type": ids.SOURCES_GROUP, "kind": kind},
                className="form-group",
                style=SHOWN if kind == "mqtt" else HIDDEN,
            )
        )
    return html.Section(
        [
            html.H2(t("sources.form.new", "en"), id=ids.SOURCES_FORM_TITLE),
            html.Div(
                [
                    field(
                        "sources.f.kind",
                        dcc.Dropdown(id=ids.SOURCES_KIND, value="mqtt", options=kind_options("en"), clearable=False),
                    ),
                    field(
                        "sources.f.name",
                        dcc.Input(
                            id={"type": ids.SOURCES_OPTION, "option": "name"},
                            type="text",
                            value="",
                            className="text-input",
                        ),
                    ),
                ],
                className="form-row",
            ),
            *groups,
        ],
        className="card sources-form",
    )


def form_values(options: list[str]) -> dict[str, Any]:
    """An empty form (a new source): the value of each option input, in layout order."""
    empty: dict[str, Any] = {"name": "", "tls": [], "language": "en"}
    return {option: empty.get(option, "") for option in options}


def _ago(at: float, lang: str) -> str:
    if not at:
        return t("sources.never", lang)
    seconds = max(0, int(time.time() - at))
    return t("sources.ago", lang, s=seconds) if seconds < 120 else local_time(at).strftime("%m-%d %H:%M:%S")


def state_text(status: dict[str, Any], lang: str) -> str:
    state = status.get("state", "starting")
    text = t(f"sources.state.{state}", lang)
    error = status.get("error") or ""
    if error:
        text += " · " + (t(error, lang) if error.startswith("sources.err.") else error)
    return text


def make_table(snapshot: dict[str, Any] | None, lang: str) -> Any:
    if not snapshot:
        return html.P(t("sources.waiting", lang), className="hint")
    head = [t(k, lang) for k in ("sources.c.name", "sources.c.kind", "sources.c.state", "sources.c.last")]
    head += [t(k, lang) for k in ("sources.c.sensors", "sources.c.readings", "sources.c.rejected")]
    rows = []
    for entry in snapshot["sources"]:
        config, status = entry["config"], entry["status"]
        enabled = config["enabled"]
        rows.append(
            html.Tr(
                [
                    html.Td(config["name"]),
                    html.Td(t(f"sources.kind.{config['kind']}", lang)),
                    html.Td(
                        state_text(status, lang) if enabled else t("sources.state.disabled", lang),
                        className=f"state state-{status.get('state') if enabled else 'disabled'}",
                    ),
                    html.Td(_ago(status.get("last_message_at", 0), lang)),
                    html.Td(str(len(entry.get("sensors", ()))), className="num"),
                    html.Td(str(status.get("readings", 0)), className="num"),
                    html.Td(str(status.get("rejected", 0)), className="num"),
                ]
            )
        )
    table = html.Table(
        [html.Thead(html.Tr([html.Th(h, scope="col") for h in head])), html.Tbody(rows)], className="data-table"
    )
    parts: list[Any] = [scroll_box(table, t("nav.sources", lang))]
    error = snapshot.get("config_error")
    if error:
        parts.insert(0, html.P(t(error["code"], lang, **error.get("params", {})), className="msg-error"))
    return parts


def _value(value: float | None, unit: str) -> str:
    return "–" if value is None else f"{value:.1f} {unit}"


def make_detail(entry: dict[str, Any] | None, lang: str) -> Any:
    """One source's sensors (last value and time) and its last rejected messages."""
    if not entry:
        return None
    sensors = sorted(entry.get("sensors", ()), key=lambda s: s["name"].casefold())
    head = ("sources.s.name", "sources.s.family", "sources.s.temp", "sources.s.hum", "sources.s.seen",
            "sources.s.battery", "sources.s.state", "sources.s.rejected")  # fmt: skip
    rows = [
        html.Tr(
            [
                html.Td(_sensor_name(s, lang)),
                html.Td(s.get("family", "")),
                html.Td(_value(s.get("temperature_c"), "°C"), className="num"),
                html.Td(_value(s.get("humidity_pct"), "%RH"), className="num"),
                html.Td(_ago(s.get("last_seen", 0), lang)),
                html.Td("–" if s.get("battery") is None else f"{s['battery']:.0f} %", className="num"),
                html.Td(_sensor_state(s, lang)),
                html.Td(str(s.get("rejected", 0)), className="num"),
            ]
        )
        for s in sensors
    ]
    sensor_table = html.Table(
        [html.Thead(html.Tr([html.Th(t(k, lang), scope="col") for k in head])), html.Tbody(rows)],
        className="data-table",
    )
    rejects = list(reversed(entry.get("rejects", ())))
    reject_rows = [
        html.Tr(
            [
                html.Td(local_time(r["at"]).strftime("%H:%M:%S")),
                html.Td(html.Code(r["where"])),
                html.Td(t(r["reason"], lang) + (f" ({r['detail']})" if r.get("detail") else "")),
                html.Td(html.Code(r.get("excerpt", "")), className="excerpt"),
            ]
        )
        for r in rejects
    ]
    reject_head = ("sources.r.at", "sources.r.where", "sources.r.reason", "sources.r.excerpt")
    sensors_title = t("sources.sensors", lang, n=len(sensors))
    rejects_title = t("sources.rejects", lang, n=entry.get("status", {}).get("rejected", 0))
    return [
        html.H3(sensors_title),
        scroll_box(sensor_table, sensors_title) if rows else html.P(t("sources.no_sensors", lang)),
        html.H3(rejects_title),
        scroll_box(
            html.Table(
                [html.Thead(html.Tr([html.Th(t(k, lang), scope="col") for k in reject_head])), html.Tbody(reject_rows)],
                className="data-table",
            ),
            rejects_title,
        )
        if reject_rows
        else html.P(t("sources.no_rejects", lang)),
    ]


def _sensor_name(sensor: dict[str, Any], lang: str) -> Any:
    """Its name, a link to watch it on Live (unless it is not read), and its own id when that differs."""
    name: Any = sensor["name"]
    if not sensor.get("unsupported"):
        name = dcc.Link(name, href=f"/live?stations={quote(sensor['key'])}", title=t("sources.s.watch", lang))
    if sensor["sensor_id"] == sensor["name"]:
        return name
    return [name, html.Br(), html.Code(sensor["sensor_id"])]


def _sensor_state(sensor: dict[str, Any], lang: str) -> Any:
    if sensor.get("unsupported"):
        return [t("sources.s.unsupported", lang), html.Br(), html.Code(sensor["unsupported"])]
    if sensor.get("available") is False:
        return t("sources.s.offline", lang)
    if not sensor.get("last_seen"):
        return t("sources.s.no_reading", lang)
    silent = time.time() - (sensor.get("last_seen") or 0) > 3 * float(sensor.get("period_s") or 60)
    return t("sources.s.silent" if silent else "sources.s.online", lang)
