"""The Fleet page's filters as a user gives them: free text, a source, a status. Checked
here; a bad one raises ``FleetInputError`` whose code is the message the page shows."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from services.core.errors import FleetInputError

MAX_TEXT_CHARS = 60
STATUSES = ("ok", "alert", "offline", "never")
ANY = ""  # a dropdown cleared: no filter on it


@dataclass(frozen=True)
class FleetFilter:
    text: str = ""
    source: str = ANY
    status: str = ANY

    @classmethod
    def parse(cls, text: Any, source: Any, status: Any, sources: set[str]) -> FleetFilter:
        """From the page's boxes; ``sources``: the sources the fleet has now."""
        text = "" if text is None else text
        if not isinstance(text, str):
            raise FleetInputError("fleet.err.text")
        text = unicodedata.normalize("NFKC", text).strip()
        if len(text) > MAX_TEXT_CHARS:
            raise FleetInputError("fleet.err.text_long", limit=MAX_TEXT_CHARS)
        if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co"} for c in text):
            raise FleetInputError("fleet.err.text")
        source = source or ANY
        if source is not ANY and source not in sources:
            raise FleetInputError("fleet.err.source")
        status = status or ANY
        if status is not ANY and status not in STATUSES:
            raise FleetInputError("fleet.err.status")
        return cls(text, source, status)

    def filter_model(self) -> dict[str, Any]:
        """AG Grid's filter model for the source and status columns (the text is its quick filter)."""
        model: dict[str, Any] = {}
        if self.source:
            model["source"] = {"filterType": "text", "type": "equals", "filter": self.source}
        if self.status:
            model["status"] = {"filterType": "text", "type": "equals", "filter": self.status}
        return model
