"""Markup for the Query page's result: the reading with provenance, or a human message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dash import html

from services.core.i18n import t
from services.sensors.stations import BY_ID, STATIONS

RETRYABLE = {
    "error.sensor_timeout",
    "error.sensor_unavailable",
    "error.sensor_server_error",
    "error.sensor_bad_payload",
    "error.cancelled",
    "error.internal",
    "guard.busy",
}


def _station_name(station_id: str | None, lang: str, name: str = "") -> str:
    station = BY_ID.get(station_id or "")
    return station.name(lang) if station else (name or station_id or "")


def _sentence(result: dict[str, Any], lang: str) -> str:
    temp, hum = result["temperature_c"], result["humidity_pct"]
    if temp is None:
        return t("query.sentence_hum", lang, humidity=hum)
    if hum is None:
        return t("query.sentence_temp", lang, temperature=temp)
    return t("query.sentence", lang, temperature=temp, humidity=hum)


def _outcome(result: dict[str, Any], lang: str) -> html.Div:
    observed = datetime.fromtimestamp(result["observed_ts"], tz=UTC)
    rows = [
        ("prov.web_pid", str(result["web_pid"]), "web-pid"),
        ("prov.worker_pid", str(result["worker_pid"]), "worker-pid"),
        ("prov.engine", result["engine"], "engine"),
        ("prov.attempts", str(result["attempts"]), "attempts"),
        ("prov.latency", f"{result['latency_ms']:.0f} ms", "latency"),
    ]
    return html.Div(
        className="result result-ok",
        children=[
            html.P(_sentence(result, lang), className="sentence"),
            html.P(
                t(
                    "query.observed",
                    lang,
                    station=_station_name(result["station_id"], lang, result.get("name", "")),
                    time=observed.strftime("%Y-%m-%d %H:%M:%S UTC"),
                ),
                className="observed",
            ),
            html.Dl(
                className="provenance",
                children=[
                    part for key, value, cls in rows for part in (html.Dt(t(key, lang)), html.Dd(value, className=cls))
                ],
            ),
        ],
    )


def _failure(result: dict[str, Any], lang: str) -> html.Div:
    code = result.get("code", "error.internal")
    params = result.get("params") or {}
    lines = [html.P(t(code, lang, **params), className="message")]
    if code == "error.unknown_station":
        suggestions = [s["name_zh" if lang == "zh" else "name_en"] for s in params.get("suggestions", [])]
        if suggestions:
            lines.append(html.P(t("error.suggest", lang, names=", ".join(suggestions)), className="hint"))
        else:
            names = ", ".join(s.name(lang) for s in STATIONS[:6])
            lines.append(html.P(t("error.known", lang, names=names), className="hint"))
    return html.Div(lines, className=f"result result-error error-{code.rsplit('.', 1)[-1]}", role="alert")


def make_result(result: dict[str, Any] | None, lang: str) -> tuple[Any, bool]:
    """The result area's children, and whether a Retry button makes sense."""
    if not result:
        return None, False
    if result.get("ok"):
        return _outcome(result, lang), False
    return _failure(result, lang), result.get("code") in RETRYABLE
