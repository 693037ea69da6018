/* A cap on Dash's undo history. Dash's page keeps, for its undo button (hidden here), the
   previous value of every prop that is some callback's input each time it changes other than
   as a callback's output, and never forgets one: every value the streams push to a store a
   clientside callback reads (the Live cards'), and every tick of an interval. On Live with
   50 stations that was about 600 entries a minute, each holding the store's previous value,
   and every change copied the growing list (plotly/dash#727, open since 2019). Dash itself
   only ever goes one step back (when a component fails to draw), so the newest KEPT are
   kept; window.looplensHistoryDropped counts the rest. */
(function () {
  "use strict";
  const KEPT = 10, EVERY_MS = 1000;
  window.looplensHistoryDropped = 0;
  setInterval(function () {
    (window.dash_stores || []).forEach(function (store) {
      const history = store.getState().history;
      const past = history && history.past;
      if (Array.isArray(past) && past.length > KEPT) {
        window.looplensHistoryDropped += past.length - KEPT;
        past.splice(0, past.length - KEPT);  // in place, as Dash sets history.present: nothing draws from it
      }
    });
  }, EVERY_MS);
})();
