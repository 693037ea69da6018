"""Sources page: the table of sources and one source's sensors (refreshed every two
seconds from what the collector last wrote), the form that adds or edits a source, and
the actions on one (test, enable / disable, remove). Whatever changes the sources file
goes through the guard; the collector applies the file without a restart.

No secret is ever sent to the page: editing a source leaves its password or token
blank, and a blank one is kept when saved.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

import ids
from callbacks.guard import guarded, refusal
from callbacks.i18n import checked_lang
from services.core.errors import SourceInputError
from services.core.i18n import t
from services.core.settings import Settings
from services.live.meta import sources_snapshot
from services.ops.guard import Guard
from services.sources import config as files
from services.sources.manager import test_connection
from views import HIDDEN, SHOWN
from views.sources import FORM, form_values, kind_options, make_detail, make_table
from views.tracing import message

logger = logging.getLogger(__name__)

OPTIONS = ("name", *(option for option, *_ in FORM))  # the form's inputs, in layout order


def raw_of(kind: Any, values: list[Any]) -> dict[str, Any]:
    """The form as the settings ``config.check`` reads."""
    raw = dict(zip(OPTIONS, values, strict=False))
    raw["kind"] = kind
    raw["tls"] = "on" in (raw.get("tls") or [])
    return raw


def _entry(snapshot: dict[str, Any] | None, name: str | None) -> dict[str, Any] | None:
    for entry in (snapshot or {}).get("sources", ()):
        if entry["config"]["name"] == name:
            return dict(entry)
    return None


def merged(settings: Settings) -> dict[str, Any] | None:
    """The sources the file names (just saved ones as "starting"), with the state the
    collector last wrote of each; None until the collector has written once."""
    snapshot = sources_snapshot(settings)
    if snapshot is None:
        return None
    try:
        configs = files.load(settings.sources_path)
    except SourceInputError:
        return snapshot  # the collector says so in config_error
    reported = {e["config"]["name"]: e for e in snapshot["sources"]}
    fresh: dict[str, Any] = {"status": {"state": "starting"}, "sensors": [], "rejects": []}
    entries = [(reported.get(c.name) or fresh) | {"config": c.public()} for c in configs]
    for entry in entries:
        if not entry["config"]["enabled"]:
            entry["status"] = {"state": "disabled"}
    return snapshot | {"sources": entries}


async def refresh(settings: Settings, pick: str | None, lang: str | None) -> tuple[Any, Any, Any, Any]:
    """The table, the choice of sources, the chosen one and its details."""
    lang = checked_lang(lang)
    snapshot = await asyncio.to_thread(merged, settings)
    names = [e["config"]["name"] for e in (snapshot or {}).get("sources", ())]
    if pick not in names:
        pick = next((n for n in names if n != "simulator"), names[0] if names else None)
    options = [{"label": n, "value": n} for n in names]
    return make_table(snapshot, lang), options, pick, make_detail(_entry(snapshot, pick), lang)


def kind_shown(kind: Any, groups: list[dict[str, str]], lang: str | None) -> tuple[list[dict[str, str]], Any]:
    lang = checked_lang(lang)
    styles = [SHOWN if group["kind"] == kind else HIDDEN for group in groups]
    return styles, kind_options(lang)


def _failed(err: SourceInputError, lang: str) -> Any:
    return message(t(err.code, lang, **err.params), ok=False)


async def save(
    settings: Settings, kind: Any, values: list[Any], editing: str | None, lang: str
) -> tuple[Any, str | None, Any]:
    """(message, the saved source's name or None, the form's values after)."""
    try:
        saved = await asyncio.to_thread(files.put, settings.sources_path, raw_of(kind, values), editing)
    except SourceInputError as err:
        return _failed(err, lang), None, None
    except OSError as err:  # the data folder is full or not writable: said, nothing half-written
        logger.warning("sources file not written: %s", err)
        return message(t("sources.err.write", lang), ok=False), None, None
    logger.info("source %s (%s) saved from the Sources page", saved.name, saved.kind)
    return message(t("sources.saved", lang, name=saved.name)), saved.name, list(form_values(list(OPTIONS)).values())


async def check_form(settings: Settings, kind: Any, values: list[Any], editing: str | None, lang: str) -> Any:
    """Test the connection the form describes (a blank secret: the stored one)."""
    try:
        configs = await asyncio.to_thread(files.load, settings.sources_path)
        previous = next((c for c in configs if c.name == editing), None)
        config = files.check(raw_of(kind, values), previous)
    except SourceInputError as err:
        return _failed(err, lang)
    ok, key, params = await test_connection(config, settings.effective_sensor_url)
    return message(t(key, lang, **params), ok=ok)


async def edit(settings: Settings, pick: str | None, lang: str) -> tuple[Any, list[Any], Any, str]:
    """The picked source in the form (secrets left blank)."""
    configs = await asyncio.to_thread(files.load, settings.sources_path)
    found = next((c for c in configs if c.name == pick), None)
    if found is None:
        raise PreventUpdate
    public = found.public()
    values = form_values(list(OPTIONS)) | {"name": found.name}
    for option, value in public["options"].items():
        if option in values:
            values[option] = "\n".join(value) if isinstance(value, list) else value
    values["tls"] = ["on"] if public["options"].get("tls") else []
    values["period_s"] = str(values["period_s"]) if values.get("period_s") != "" else ""
    values["port"] = str(values["port"]) if values.get("port") != "" else ""
    return found.kind, list(values.values()), found.name, t("sources.form.edit", lang, name=found.name)


async def change(settings: Settings, action: str, pick: str | None, lang: str) -> Any:
    """Enable / disable or remove the picked source."""
    if not pick:
        raise PreventUpdate
    try:
        if action == "remove":
            await asyncio.to_thread(files.remove, settings.sources_path, pick)
            return message(t("sources.removed", lang, name=pick))
        enabled = await asyncio.to_thread(files.toggle, settings.sources_path, pick)
    except SourceInputError as err:
        return _failed(err, lang)
    return message(t("sources.enabled" if enabled else "sources.disabled", lang, name=pick))


def register(app: Dash, settings: Settings) -> None:
    guard = Guard(settings)
    option_values = State({"type": ids.SOURCES_OPTION, "option": ALL}, "value")
    _register_views(app, settings)
    _register_save(app, settings, guard, option_values)
    _register_actions(app, settings, guard, option_values)


def _register_views(app: Dash, settings: Settings) -> None:
    """The table and details every two seconds, the form's fields for its kind, its title."""

    async def show(_tick: Any, _changed: Any, pick: str | None, lang: str | None) -> tuple[Any, Any, Any, Any]:
        return await refresh(settings, pick, lang)

    app.callback(
        Output(ids.SOURCES_TABLE, "children"),
        Output(ids.SOURCES_PICK, "options"),
        Output(ids.SOURCES_PICK, "value"),
        Output(ids.SOURCES_DETAIL, "children"),
        Input(ids.SOURCES_TICK, "n_intervals"),
        Input(ids.SOURCES_CHANGED, "data"),
        Input(ids.SOURCES_PICK, "value"),
        Input(ids.LANG, "value"),
    )(show)

    async def on_kind(kind: Any, lang: str | None, groups: list[dict[str, str]]) -> tuple[Any, Any]:
        return kind_shown(kind, groups, lang)

    app.callback(
        Output({"type": ids.SOURCES_GROUP, "kind": ALL}, "style"),
        Output(ids.SOURCES_KIND, "options"),
        Input(ids.SOURCES_KIND, "value"),
        Input(ids.LANG, "value"),
        State({"type": ids.SOURCES_GROUP, "kind": ALL}, "id"),
    )(on_kind)

    async def title(lang: Any, editing: str | None) -> str:
        lang = checked_lang(lang)
        return t("sources.form.edit", lang, name=editing) if editing else t("sources.form.new", lang)

    app.callback(
        Output(ids.SOURCES_FORM_TITLE, "children", allow_duplicate=True),
        Input(ids.LANG, "value"),
        State(ids.SOURCES_EDITING, "data"),
        prevent_initial_call="initial_duplicate",
    )(title)


def _register_save(app: Dash, settings: Settings, guard: Guard, option_values: State) -> None:
    async def on_save(
        n: int | None, kind: Any, values: list[Any], editing: str | None, changed: int, lang: Any, token: Any
    ) -> tuple[Any, ...]:
        lang = checked_lang(lang)
        if not n:
            raise PreventUpdate
        form_kept = [no_update] * len(values)  # a wildcard output takes a list, never one no_update
        if why := refusal(guard, "sources", token, lang):
            return message(why, ok=False), no_update, no_update, form_kept, no_update, no_update
        shown, saved, after = await save(settings, kind, values, editing, lang)
        if saved is None:
            return shown, no_update, no_update, form_kept, no_update, no_update
        return shown, (changed or 0) + 1, None, after, t("sources.form.new", lang), saved  # look at what was saved

    app.callback(
        Output(ids.SOURCES_MESSAGE, "children"),
        Output(ids.SOURCES_CHANGED, "data"),
        Output(ids.SOURCES_EDITING, "data"),
        Output({"type": ids.SOURCES_OPTION, "option": ALL}, "value"),
        Output(ids.SOURCES_FORM_TITLE, "children"),
        Output(ids.SOURCES_PICK, "value", allow_duplicate=True),
        Input(ids.SOURCES_SAVE, "n_clicks"),
        State(ids.SOURCES_KIND, "value"),
        option_values,
        State(ids.SOURCES_EDITING, "data"),
        State(ids.SOURCES_CHANGED, "data"),
        State(ids.LANG, "value"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(on_save)


def _register_actions(app: Dash, settings: Settings, guard: Guard, option_values: State) -> None:
    async def test_form(n: int | None, kind: Any, values: list[Any], editing: str | None, lang: Any) -> Any:
        if not n:
            raise PreventUpdate
        return await check_form(settings, kind, values, editing, checked_lang(lang))

    app.callback(
        Output(ids.SOURCES_MESSAGE, "children", allow_duplicate=True),
        Input(ids.SOURCES_TEST, "n_clicks"),
        State(ids.SOURCES_KIND, "value"),
        option_values,
        State(ids.SOURCES_EDITING, "data"),
        State(ids.LANG, "value"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(guarded(guard, "sources", test_form))

    async def on_edit(n_edit: int | None, n_new: int | None, pick: str | None, lang: Any) -> tuple[Any, ...]:
        lang = checked_lang(lang)
        if ctx.triggered_id == ids.SOURCES_NEW:
            return "mqtt", list(form_values(list(OPTIONS)).values()), None, t("sources.form.new", lang)
        return await edit(settings, pick, lang)

    app.callback(
        Output(ids.SOURCES_KIND, "value"),
        Output({"type": ids.SOURCES_OPTION, "option": ALL}, "value", allow_duplicate=True),
        Output(ids.SOURCES_EDITING, "data", allow_duplicate=True),
        Output(ids.SOURCES_FORM_TITLE, "children", allow_duplicate=True),
        Input(ids.SOURCES_EDIT, "n_clicks"),
        Input(ids.SOURCES_NEW, "n_clicks"),
        State(ids.SOURCES_PICK, "value"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )(on_edit)

    async def on_change(
        n_toggle: int | None, n_remove: int | None, pick: str | None, changed: int, lang: Any, token: Any
    ) -> tuple[Any, Any]:
        lang = checked_lang(lang)
        if not (n_toggle or n_remove):
            raise PreventUpdate
        if why := refusal(guard, "sources", token, lang):
            return message(why, ok=False), no_update
        action = "remove" if ctx.triggered_id == ids.SOURCES_REMOVE else "toggle"
        return await change(settings, action, pick, lang), (changed or 0) + 1

    app.callback(
        Output(ids.SOURCES_MESSAGE, "children", allow_duplicate=True),
        Output(ids.SOURCES_CHANGED, "data", allow_duplicate=True),
        Input(ids.SOURCES_TOGGLE, "n_clicks"),
        Input(ids.SOURCES_REMOVE, "n_clicks"),
        State(ids.SOURCES_PICK, "value"),
        State(ids.SOURCES_CHANGED, "data"),
        State(ids.LANG, "value"),
        State(ids.OPERATOR_TOKEN, "value"),
        prevent_initial_call=True,
    )(on_change)
