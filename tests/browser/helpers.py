"""What the browser journeys share: what a user must never see, counting and waiting on
the page, where downloads go, and the Live figure's traces as the browser has them."""

from __future__ import annotations

import re
import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException


def assert_clean(dash_duo) -> None:
    """What a user must never see: a Dash error (dev tools on in tests) or a console error."""
    assert count(dash_duo, ".dash-fe-error__title, .dash-debug-menu__button--error") == 0
    assert dash_duo.get_logs() == []


def count(dash_duo, selector: str) -> int:
    """How many elements match, answered at once (find_elements waits when there are none)."""
    return dash_duo.driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


def downloads_to(dash_duo, folder: Path) -> Path:
    """Make the browser save downloads in ``folder``/downloads, without asking; that folder."""
    downloads = folder / "downloads"
    downloads.mkdir()
    dash_duo.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return downloads


def wait_until(predicate, timeout: float = 10, what: str = "condition", seen=None):
    """Poll until truthy. An element re-rendered between its find and its read counts as not yet.
    On a timeout, say what was last seen: the predicate's value, or ``seen()`` when given."""
    deadline, value = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        time.sleep(0.1)
    last = seen() if seen is not None else value
    raise AssertionError(f"timed out waiting for {what} (last seen: {str(last)[:400]})")


# Run in the page: console warnings are kept in window.looplensWarnings (get_logs sees errors only).
KEEP_WARNINGS = """
window.looplensWarnings = [];
const warn = console.warn;
console.warn = (...args) => { window.looplensWarnings.push(args.map(String).join(' ')); warn(...args); };
"""


SHOWN = """
const gd = document.querySelector('#live-graph .js-plotly-plot');
if (!gd || !gd.data || !gd.data.length) return null;
return gd.data.map(t => ({name: t.name, x: t.x || [], y: t.y || []}));
"""


def click_text(duo, selector: str, text: str | None = None, timeout: float = 5) -> None:
    """Click the first element ``selector`` finds (with exactly ``text`` when given), found
    again when it was re-rendered between its find and the click."""

    def once() -> bool:
        for element in duo.find_elements(selector):
            if text is None or element.text == text:
                element.click()
                return True
        return False

    wait_until(once, timeout, f"{selector} {text or ''} to click")


def shown(duo) -> list[dict] | None:
    return duo.driver.execute_script(SHOWN)


def line_points(traces: list[dict] | None, group: int = 0) -> list[str]:
    """The x of every temperature point of a station with a line of its own (``group``'s
    temperature trace)."""
    if not traces or len(traces) <= 2 * group:
        return []
    return list(traces[2 * group]["x"])


AXE = Path(__file__).with_name("vendor") / "axe.min.js"  # axe-core 4.14.1 (MPL-2.0), from npm
AXE_RUN = """
const done = arguments[0];
const devTools = [['.dash-debug-menu__outer'], ['.dash-debug-menu']];
axe.run({exclude: devTools}, {resultTypes: ['violations']}).then(r => done(r.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)));
"""


def axe_findings(duo) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (not in Dash's dev
    tools, which the tests turn on and a user never sees)."""
    if not duo.driver.execute_script("return !!window.axe"):
        duo.driver.execute_script(AXE.read_text(encoding="utf-8"))
    duo.driver.set_script_timeout(60)
    return duo.driver.execute_async_script(AXE_RUN)


def assert_accessible(duo) -> None:
    findings = axe_findings(duo)
    assert findings == [], "\n".join(findings)


# Whether Dash has no callback waiting, running or answered but not yet applied (a stream's
# long-running callback is "watched" all along, so it does not count).
CALLBACKS_DONE = """
const state = window.store && window.store.getState();
if (!state || state.isLoading) return false;
const c = state.callbacks;
return ['requested', 'prioritized', 'blocked', 'executing', 'executed'].every(k => !(c[k] || []).length);
"""
# Resolves after a few frames: a page's resize handlers (Plotly's graphs among them) have run.
NEXT_FRAMES = """
const done = arguments[0];
let left = 3;
const frame = () => (--left ? requestAnimationFrame(frame) : setTimeout(done, 50));
requestAnimationFrame(frame);
"""


def switch_language(duo, lang: str) -> None:
    """Click EN / 中文 and wait until the page says it is in that language."""
    duo.find_element(f"#lang input[value='{lang}']").click()
    expected = "zh-CN" if lang == "zh" else "en"
    wait_until(lambda: duo.driver.execute_script("return document.documentElement.lang") == expected, 5, "lang")
    wait_until(lambda: duo.driver.execute_script(CALLBACKS_DONE), 5, "the texts' own callbacks, after <html lang>")


def lay_out_at(duo, width: int) -> None:
    """Lay the page out as on a screen ``width`` px wide (390: a phone)."""
    duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 844 if width < 600 else 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    duo.driver.execute_async_script(NEXT_FRAMES)  # the page laid out and its charts resized


VISIBLE_TEXT = """
const texts = [document.title];
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (!el || el.closest('script, style, code, kbd, .sr-only, [class*="dash-debug"]')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || !el.getClientRects().length) continue;
    texts.push(walk.currentNode.textContent);
}
const attributes = ['placeholder', 'title', 'aria-label', 'data-title'];
for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], [data-title]')) {
    if (!el.getClientRects().length || el.closest('[class*="dash-debug"]')) continue;
    texts.push(...attributes.map(a => el.getAttribute(a) || ''));
}
return texts.join('\\n');
"""


def latin_words(duo, allowed: set[str]) -> list[str]:
    """Words in Latin letters (two or more: "a–z" and "°C" are no English) shown on the page
    (its text, titles, labels, tooltips) that are neither on ``allowed`` nor code: an
    identifier with ``_``, ``.``, ``(`` or lower-case dashes (call_soon, loop.call_later,
    poll-beijing), or asyncio's own name for a task (Task-45), names a thing in a program."""
    text = duo.driver.execute_script(VISIBLE_TEXT)
    words = {w.rstrip(".'-)") for w in re.findall(r"[A-Za-z][A-Za-z0-9_.'()-]*", text)}
    code = re.compile(r".*[_.(].*|[a-z0-9]+(-[a-z0-9]+)+-?|Task-\d+")
    return sorted(w for w in words if len(w) > 1 and w not in allowed and not code.fullmatch(w))
