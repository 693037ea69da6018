/* The Fleet table's sparkline: the last hour's twelve 5-minute mean temperatures (null: no
   reading in that bucket) drawn as a small line, with its range as the screen reader's name;
   and the grid's periodic fresh draw (looplensFleetTidy, below). */
(function () {
  "use strict";
  const funcs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
  const W = 96, H = 24, PAD = 2;

  // AG Grid's own words (its overlays, its ARIA) in the page's language, asked each time it
  // draws one: the language switch sets <html lang>, and the grid is not made anew for it.
  (window.dashAgGridFunctions = window.dashAgGridFunctions || {}).FleetLocale = function (params) {
    const lang = (document.documentElement.lang || "").indexOf("zh") === 0 ? "zh" : "en";
    const words = ((params.context || {}).words || {})[lang] || {};
    return Object.prototype.hasOwnProperty.call(words, params.key) ? words[params.key] : params.defaultValue;
  };

  funcs.FleetSpark = function (props) {
    const values = Array.isArray(props.value) ? props.value : [];
    const known = values.filter(function (v) { return typeof v === "number"; });
    const React = window.React;
    if (!known.length) return React.createElement("span", {className: "fleet-spark-none"}, "–");
    const lo = Math.min.apply(null, known), hi = Math.max.apply(null, known);
    const span = hi - lo || 1, step = (W - 2 * PAD) / Math.max(values.length - 1, 1);
    const parts = [];
    let run = [];
    values.forEach(function (v, i) {
      if (typeof v !== "number") { if (run.length) parts.push(run); run = []; return; }
      run.push((PAD + i * step).toFixed(1) + "," + (H - PAD - ((v - lo) / span) * (H - 2 * PAD)).toFixed(1));
    });
    if (run.length) parts.push(run);
    const lines = parts.map(function (points, i) {
      return points.length === 1
        ? React.createElement("circle", {key: i, cx: points[0].split(",")[0], cy: points[0].split(",")[1], r: 1.5})
        : React.createElement("polyline", {key: i, points: points.join(" ")});
    });
    return React.createElement("svg", {
      className: "fleet-spark", width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": known[0].toFixed(1) + " → " + known[known.length - 1].toFixed(1) + " °C",
    }, lines);
  };

  /* AG Grid's React rows and cells set their React state on every row update, mostly to the
     value it already has (the row's id and key, its styles, the grid body's heights). React
     keeps each such update in the component's hook queue until the component draws again
     (facebook/react#21692), and a row that stays on screen without moving never does: with a
     push a second, ~120 updates a second piled up (heap snapshots: 65,000 after 9 minutes,
     the JS heap +0.45 MB a minute). So the rows on screen are drawn afresh (the queues go with
     the old ones) and the grid body draws once (enableCellTextSelection there and back: the
     body keeps its class in React state; animateRows would not do, as ensureDomOrder turns
     row animation off), at most every EVERY_MS, not while the grid is in use (focus or pointer in
     it: a click or a screen reader's place is not disturbed), and at the latest after
     MAX_DEFER_MS: what piles up meanwhile is bounded. ``tidy`` counts what it did. */
  const EVERY_MS = 60000, MAX_DEFER_MS = 300000;
  const tidy = (window.looplensFleetTidied = {redraws: 0, deferred: 0, at: Date.now(), next: Date.now() + EVERY_MS});
  window.looplensFleetTidy = function (api, gridId) {
    const now = Date.now();
    if (now < tidy.next) return;
    const grid = document.getElementById(gridId);
    const busy = !!grid && (grid.contains(document.activeElement) || grid.matches(":hover"));
    if (busy && now - tidy.at < MAX_DEFER_MS) {
      tidy.deferred += 1;
      tidy.next = now + 5000;  // look again in a few seconds
      return;
    }
    Object.assign(tidy, {at: now, next: now + EVERY_MS, redraws: tidy.redraws + 1});
    api.redrawRows();
    const selectable = !!api.getGridOption("enableCellTextSelection");
    api.setGridOption("enableCellTextSelection", !selectable);
    api.setGridOption("enableCellTextSelection", selectable);
  };
})();
