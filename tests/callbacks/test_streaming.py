"""A page's push stream, driven by a stand-in for the page's end of the socket."""

import asyncio
from typing import Any

import pytest

from callbacks import streaming
from callbacks.streaming import FRESH_S, Beat, PageStream


class SlowPicture(PageStream):
    """Waits for news before each ask, like the Live stream; its first turn draws a picture that
    takes longer than ``FRESH_S``, so it is held for the next acknowledgement. ``events`` is the
    order things happened in, the page's side included."""

    def __init__(self, asks: int) -> None:
        self._outbox, self.events, self.left, self.is_shutdown = [], [], asks, False

    def current(self, data: dict[str, Any] | None) -> bool:
        return True

    async def ready(self) -> None:
        self.events.append("wait for news")

    async def turn(self, data: dict[str, Any] | None) -> None:
        if "draw" not in self.events:
            self.events.append("draw")
            await asyncio.sleep(FRESH_S + 0.05)
            self.push("graph", {"figure": "the picture"})

    async def get_prop(self, component_id: str, prop: str) -> Any:  # the page, answering an ask
        self.events.append("ask")
        self.left -= 1
        self.is_shutdown = self.left <= 0
        return {"view": "shown"}


def test_a_picture_held_for_the_next_acknowledgement_is_asked_for_without_waiting_for_news(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = SlowPicture(asks=3)
    monkeypatch.setattr(streaming, "set_props", lambda component_id, props: stream.events.append(component_id))
    asyncio.run(stream._turns(stream, "view", Beat("beat", 1)))
    drawn = stream.events.index("draw")
    assert stream.events[drawn:drawn + 3] == ["draw", "ask", "graph"]  # fmt: skip
