/* Each page load gets a socket worker of its own. Dash 4 opens its WebSocket in a
   SharedWorker that every page of the site shares by name; a page loaded in a tab whose last
   page just left can attach to that page's worker while the browser is ending it, and then
   every callback and stream message it sends is lost without an error (the Live page stayed
   blank for 30 s and more in about one load in four). A name no page had before always
   starts a fresh worker. */
(function () {
  "use strict";
  const Shared = window.SharedWorker;
  if (!Shared) return;
  const own = "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  function PageWorker(url, options) {
    const opts = typeof options === "string" ? {name: options} : Object.assign({}, options || {});
    opts.name = (opts.name || "worker") + own;
    return new Shared(url, opts);
  }
  PageWorker.prototype = Shared.prototype;
  window.SharedWorker = PageWorker;
})();
