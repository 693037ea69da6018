"""The Fleet page's push stream: one WebSocket callback per page visit (see
``callbacks.streaming``). A rebuild (another language, other thresholds) sends the whole
table and the heat strip: the grid keeps its sort, filters and ticked rows, as its rows
are keyed by sensor; then, at most once a second, the rows that changed (a transaction
the page applies to the rows its grid has), within the outbox's byte budget: rows whose
status changed first, then the rows on screen (the page reports them), then those
waiting longest."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import ids
from callbacks.i18n import checked_lang
from callbacks.streaming import PageStream
from services.core.i18n import DEFAULT_LANG, t
from services.core.settings import Settings
from services.fleet.board import FleetBoard
from services.fleet.heat import heat_strip
from services.fleet.outbox import Outbox
from services.live.meta import heartbeat, polled_stations
from services.live.store import ReadingStore
from services.live.view import Thresholds
from views.fleet import heat_graph, make_heat_figure

logger = logging.getLogger(__name__)

PAGE_PATH = "/fleet"
PUSH_S = 1.0  # at most one update a second
STATUS_EVERY_S = 2.0
META_EVERY_S = 5.0  # batteries, availability, and sensors a source found meanwhile
HEAT_EVERY_S = 300.0  # a new hourly mean at most this often matters to the strip
VIEW_WAIT_S = 0.02
DRAWN_WAIT_S = 0.05  # while the heat strip waits for the table, the page is asked this often
MAX_SHOWN = 200  # rows a page may say it shows (a tall screen shows ~60)


def view_of(data: dict[str, Any] | None) -> tuple[str, Thresholds, list[str]]:
    """(language, thresholds, rows on screen) from the page's view store, checked."""
    data = data or {}
    limits = data.get("thresholds") or {}
    try:
        thresholds = Thresholds(**{k: _number(limits.get(k)) for k in Thresholds().as_dict()})
    except TypeError:
        thresholds = Thresholds()
    shown = data.get("shown")
    shown = [s for s in shown[:MAX_SHOWN] if isinstance(s, str)] if isinstance(shown, list) else []
    return checked_lang(data.get("lang")), thresholds, shown


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class FleetStream(PageStream):
    page = "fleet"
    path = PAGE_PATH

    def __init__(self, settings: Settings, store: ReadingStore, number: int) -> None:
        self.settings, self.store, self.number = settings, store, number
        self.board: FleetBoard | None = None
        self.outbox = Outbox(max_rows=1)
        self.lang, self.thresholds = "", Thresholds()
        self._pushed_at = self._status_at = self._meta_at = self._heat_at = 0.0
        self._status_text = ""
        self._sent = 0  # pushes of changed rows
        self._page_rows = True  # the page's grid came with its rows (default language): send only what differs
        self._heat_placed = False  # whether the page has the heat strip's graph (views.fleet.heat_graph)
        self._heat_held: tuple[Any, str] | None = None  # its first figure and lead, until the table is drawn

    def current(self, data: dict[str, Any] | None) -> bool:
        return data is not None and data.get("stream") == self.number

    async def turn(self, data: dict[str, Any] | None) -> None:
        if self._heat_held is not None:  # the page's table is being drawn, the heat strip waits for it
            if (data or {}).get("drawn") is True:
                figure, lead = self._heat_held  # (the newest: a rebuild made it anew)
                self._heat_held, self._heat_placed = None, True
                self.push(ids.FLEET_HEAT_BOX, {"children": heat_graph(figure, self.lang)})
                self.push(ids.FLEET_HEAT_LEAD, {"children": lead})
                return
            if time.monotonic() < self._pushed_at + PUSH_S:  # nothing else due yet: ask the page again soon
                await asyncio.sleep(DRAWN_WAIT_S)
                return
        await self._step(data)

    async def _step(self, data: dict[str, Any] | None) -> None:
        if "lang" not in (data or {}):
            await asyncio.sleep(VIEW_WAIT_S)  # the page has not yet said its language
            return
        lang, thresholds, shown = view_of(data)
        if self.board is None or (lang, thresholds) != (self.lang, self.thresholds):
            self._page_rows = self._page_rows and lang == DEFAULT_LANG and thresholds == Thresholds()
            self.lang, self.thresholds = lang, thresholds
            await self.rebuild()
            return
        if (wait := self._pushed_at + PUSH_S - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        self._pushed_at = time.monotonic()
        updates = await asyncio.to_thread(self.follow, shown)
        if updates is None:
            await self.rebuild()
            return
        for component_id, props in updates:
            self.push(component_id, props)
        self.push_status()

    async def failed(self, err: Exception, data: dict[str, Any] | None) -> None:
        logger.exception("fleet stream step failed; rebuilding")
        self.push(ids.FLEET_STATUS, {"children": t("fleet.err.stream", view_of(data)[0])})
        self.board = None
        await asyncio.sleep(1.0)

    async def rebuild(self) -> None:
        """The whole table, or, for rows as the page drew them (in the default language,
        with no thresholds), nothing at once: every row is then offered to the outbox, which
        sends the ones on screen first."""
        rows, figure, lead = await asyncio.to_thread(self._build)
        if self._page_rows:
            self._page_rows = False
            self.outbox.offer(rows)
        else:
            self.push(ids.FLEET_GRID, {"rowData": rows})
        for component_id, props in self._heat_updates(figure, lead):
            self.push(component_id, props)
        self._pushed_at = time.monotonic()
        self.push_status(force=True)

    def _build(self) -> tuple[list[dict[str, Any]], Any, str]:
        stations = polled_stations(self.settings)
        board = FleetBoard(
            self.store,
            stations,
            period_s=self.settings.collector_period_s,
            offline_periods=self.settings.live_offline_periods,
            thresholds=self.thresholds,
        )
        now = time.time()
        board.rebuild(now)
        self.board, self._meta_at = board, time.monotonic()
        self.outbox = Outbox(max_rows=len(board.keys))
        rows = board.rows(self.lang, now)
        self.outbox.reset([] if self._page_rows else rows)
        figure, lead = self._heat(now)
        return rows, figure, lead

    def _heat(self, now: float) -> tuple[Any, str]:
        assert self.board is not None
        strip = heat_strip(self.store, self.board.keys, now)
        self._heat_at = time.monotonic()
        stations = {k: s.station for k, s in self.board.sensors.items()}
        if not strip.keys:
            return make_heat_figure(strip, stations, self.lang), t("fleet.heat.empty", self.lang)
        lead = t("fleet.heat.lead", self.lang, n=len(strip.keys), total=strip.sensors)
        return make_heat_figure(strip, stations, self.lang), lead

    def follow(self, shown: list[str]) -> list[tuple[str, dict[str, Any]]] | None:
        """One push's worth, run in a thread (it reads the store): the updates to push,
        or None when the page must be rebuilt instead."""
        board = self.board
        assert board is not None
        now = time.time()
        if time.monotonic() - self._meta_at >= META_EVERY_S:
            self._meta_at = time.monotonic()
            if set(polled_stations(self.settings)) != set(board.keys):
                return None  # a source found or lost sensors
            board.read_meta()
        step = board.advance(self.store.since(board.cursor, board.keys), now)
        if step.rebuild:
            return None
        self.outbox.offer(board.row(key, self.lang, now) for key in step.changed)
        updates: list[tuple[str, dict[str, Any]]] = []
        if rows := self.outbox.take(first=step.status, shown=shown):
            # The rows go into a store no callback takes as Input, then a push number that one does:
            # Dash's undo history keeps every value a pushed Input had, which would be every row.
            self._sent += 1
            updates += [(ids.FLEET_ROWS, {"data": rows}), (ids.FLEET_ROWS_SENT, {"data": self._sent})]
        if time.monotonic() - self._heat_at >= HEAT_EVERY_S:
            updates += self._heat_updates(*self._heat(now))
        return updates

    def _heat_updates(self, figure: Any, lead: str) -> list[tuple[str, dict[str, Any]]]:
        """The heat strip's new figure and lead, or, while the page has no graph for it yet,
        nothing: they are held, and go with the graph once the page says its table is drawn
        (``turn``, which asks every ``DRAWN_WAIT_S`` meanwhile; the clientside callback that
        reports the rows on screen says so, once the grid has its rows). A new
        stream on the same page puts a graph in again, with its locale (``heat_graph``)."""
        if not self._heat_placed:
            self._heat_held = (figure, lead)
            return []
        return [(ids.FLEET_HEAT, {"figure": figure}), (ids.FLEET_HEAT_LEAD, {"children": lead})]

    def push_status(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._status_at < STATUS_EVERY_S:
            return
        self._status_at = time.monotonic()
        assert self.board is not None
        if heartbeat(self.store, self.settings) is None:
            text = t("live.status.no_collector", self.lang)
        else:
            counts = self.board.statistics()
            text = t("fleet.streaming", self.lang, n=counts.pop("sensors"), **counts)
        if force or text != self._status_text:
            self._status_text = text
            self.push(ids.FLEET_STATUS, {"children": text})

    def statistics(self) -> dict[str, int]:
        """The outbox's counters (what waits, what was superseded, deferred, dropped, pushed)."""
        return self.outbox.statistics()


async def stream(settings: Settings, number: int) -> None:
    with ReadingStore(settings.store_path) as store:
        await FleetStream(settings, store, number).run(ids.FLEET_VIEW, ids.FLEET_BEAT, number)
