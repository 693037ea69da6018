"""The sources file: which sources run, and how to reach them (TOML, ``Settings.sources_path``).

No file means the embedded default: the simulator alone. The Sources page writes the
file (atomically, under a lock, mode 0600: it holds passwords and tokens) and the
collector notices the change and applies it without a restart. Every value is checked
here (``check``), so a file the page wrote is always one the collector can run; a file
edited by hand that is wrong is reported, and the collector keeps what it runs.

Secrets (``SECRETS``) are kept in the file and nowhere else: ``public`` is what a page
or a log may see, and saving a source with a secret left blank keeps the one stored.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from services.core.errors import SourceInputError
from services.sources.model import KINDS

SECRETS = ("password", "token")
ADDRESS = ("host", "port", "url")  # where a secret is sent: changing it needs the secret again
MAX_SOURCES = 20
MAX_LIST = 50  # places, topics
MAX_TEXT = 300
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise SourceInputError("sources.err.option", option=name)
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise SourceInputError("sources.err.too_long", option=name, limit=MAX_TEXT)
    return text


def _port(value: Any, name: str) -> int:
    text = _text(value, name)
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise SourceInputError("sources.err.port", option=name)
    return int(text)


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise SourceInputError("sources.err.option", option=name)


def _lines(value: Any, name: str) -> list[str]:
    """A list, or text with one item per line or comma (places may hold "lat,lon": lines only then)."""
    if isinstance(value, str):
        items = value.splitlines() if "\n" in value or name == "places" else value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise SourceInputError("sources.err.option", option=name)
    out = [_text(v, name) for v in items]
    out = [v for v in out if v]
    if len(out) > MAX_LIST:
        raise SourceInputError("sources.err.too_many", option=name, limit=MAX_LIST)
    return out


def _topics(value: Any, name: str) -> list[str]:
    """MQTT topic filters: ``#`` only as a whole last level, ``+`` only as a whole level."""
    topics = _lines(value, name)
    for topic in topics:
        levels = topic.split("/")
        bad = "\0" in topic or any(
            ("#" in level and (level != "#" or i != len(levels) - 1)) or ("+" in level and level != "+")
            for i, level in enumerate(levels)
        )
        if bad:
            raise SourceInputError("sources.err.topic", topic=topic[:100])
    return topics


def _period(value: Any, name: str) -> float:
    try:
        number = float(_text(value, name))
    except ValueError:
        raise SourceInputError("sources.err.option", option=name) from None
    if not 60 <= number <= 86400:
        raise SourceInputError("sources.err.period", option=name)
    return number


def _url(value: Any, name: str) -> str:
    text = _text(value, name).rstrip("/")
    if not re.match(r"^https?://[^\s/@]+(/|$)", text):  # no user:password@ in it: it would be shown
        raise SourceInputError("sources.err.url", option=name)
    return text


def _language(value: Any, name: str) -> str:
    text = _text(value, name)
    if text not in ("en", "zh"):
        raise SourceInputError("sources.err.option", option=name)
    return text


_Check = Callable[[Any, str], Any]
# kind → option → (check, default; None: required)
OPTIONS: dict[str, dict[str, tuple[_Check, Any]]] = {
    "simulator": {},
    "mqtt": {
        "host": (_text, "127.0.0.1"),
        "port": (_port, 1883),
        "username": (_text, ""),
        "password": (_text, ""),
        "tls": (_flag, False),
        "topics": (_topics, []),
    },
    "openmeteo": {"places": (_lines, None), "language": (_language, "en"), "period_s": (_period, 900.0)},
    "homeassistant": {"url": (_url, None), "token": (_text, None)},
}


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict, repr=False)  # holds secrets: never in a repr

    def public(self) -> dict[str, Any]:
        """What a page may show: secrets replaced by whether one is set."""
        shown = {k: v for k, v in self.options.items() if k not in SECRETS}
        shown |= {f"has_{k}": bool(self.options.get(k)) for k in SECRETS if k in OPTIONS[self.kind]}
        return {"name": self.name, "kind": self.kind, "enabled": self.enabled, "options": shown}

    def as_toml(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "enabled": self.enabled, **self.options}


DEFAULT = (SourceConfig("simulator", "simulator"),)


def check(raw: dict[str, Any], previous: SourceConfig | None = None) -> SourceConfig:
    """A source's settings from a form or the file, every value checked; a secret left
    blank keeps ``previous``'s."""
    name = _text(raw.get("name", ""), "name")
    if not NAME.match(name):
        raise SourceInputError("sources.err.name")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SourceInputError("sources.err.kind", kind=str(kind)[:40])
    options: dict[str, Any] = {}
    kept = previous if previous is not None and previous.kind == kind else None
    for option, (checker, default) in OPTIONS[kind].items():
        value = raw.get(option)
        if option in SECRETS and not value and kept is not None and kept.options.get(option):
            if _moved(raw, kept):
                raise SourceInputError("sources.err.secret_again", option=option)
            value = kept.options.get(option)
        if value is None or value == "":
            if default is None:
                raise SourceInputError("sources.err.required", option=option)
            options[option] = default
            continue
        options[option] = checker(value, option)
    if kind == "openmeteo" and not options["places"]:
        raise SourceInputError("sources.err.required", option="places")
    enabled = raw.get("enabled", True)
    return SourceConfig(name, str(kind), _flag(enabled, "enabled"), options)


def _moved(raw: dict[str, Any], previous: SourceConfig) -> bool:
    """Whether the form sends the stored secret somewhere else (a blank field keeps its default)."""
    for option in ADDRESS:
        if option in previous.options:
            checker, default = OPTIONS[previous.kind][option]
            given = raw.get(option)
            value = default if given is None or given == "" else checker(given, option)
            if value != previous.options[option]:
                return True
    return False


def load(path: Path) -> list[SourceConfig]:
    """The sources in the file (the default when there is none); SourceInputError if unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return list(DEFAULT)
    except (OSError, UnicodeDecodeError) as err:
        raise SourceInputError("sources.err.file", detail=str(err)[:200]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SourceInputError("sources.err.file", detail=str(err)[:200]) from None
    entries = data.get("source", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SourceInputError("sources.err.file", detail="[[source]] tables expected")
    configs = [check(entry) for entry in entries]
    _unique(configs)
    return configs


def _unique(configs: list[SourceConfig]) -> None:
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise SourceInputError("sources.err.taken", name=next(n for n in names if names.count(n) > 1))
    if len(configs) > MAX_SOURCES:
        raise SourceInputError("sources.err.too_many_sources", limit=MAX_SOURCES)


def save(path: Path, configs: list[SourceConfig]) -> None:
    """Write the file atomically, readable by its owner only."""
    _unique(configs)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "# looplens sources (written by the Sources page; see sources.example.toml)\n\n"
    body += tomli_w.dumps({"source": [c.as_toml() for c in configs]})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(body)
    os.replace(tmp, path)


@contextlib.contextmanager
def editing(path: Path) -> Iterator[list[SourceConfig]]:
    """``with editing(path) as configs: ...`` — read, change in place, written on exit; one
    editor at a time (every web worker may edit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        configs = load(path)
        yield configs
        save(path, configs)


def put(path: Path, raw: dict[str, Any], replacing: str | None = None) -> SourceConfig:
    """Add a source, or replace the one named ``replacing`` (its secrets kept when left blank)."""
    with editing(path) as configs:
        names = [c.name for c in configs]
        previous = configs[names.index(replacing)] if replacing in names else None
        if replacing is not None and previous is None:
            raise SourceInputError("sources.err.unknown", name=replacing)
        config = check(raw, previous)
        if config.name in names and config.name != replacing:
            raise SourceInputError("sources.err.taken", name=config.name)
        if previous is None:
            configs.append(config)
        else:
            configs[names.index(previous.name)] = config
    return config


def remove(path: Path, name: str) -> None:
    with editing(path) as configs:
        kept = [c for c in configs if c.name != name]
        if len(kept) == len(configs):
            raise SourceInputError("sources.err.unknown", name=name)
        configs[:] = kept


def toggle(path: Path, name: str) -> bool:
    """Enable the source if it is disabled, else disable it (under the lock: two clicks, two
    flips); whether it is enabled now."""
    with editing(path) as configs:
        for i, config in enumerate(configs):
            if config.name == name:
                configs[i] = SourceConfig(config.name, config.kind, not config.enabled, config.options)
                return not config.enabled
        raise SourceInputError("sources.err.unknown", name=name)
