/* The Fleet table's sparkline: the last hour's twelve 5-minute mean temperatures (null: no
   reading in that bucket) drawn as a small line, with its range as the screen reader's name. */
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
})();
