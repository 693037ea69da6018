/* The Live page's station cards, drawn in the page from the cards store its stream fills
   (views.live.make_cards: every card; card_patch: the fields and classes that changed).
   A card is built when the stations, their names or colours, or the page's words change;
   otherwise only the texts and classes that changed are written. Plain DOM, not Dash
   components: at 50 stations the cards were 1,750 components, each streamed field was a
   set_props of its own (2 ms and more of the page's time), and each component kept alive
   the copy of Dash's state from its own last change (react-redux keeps a selector's last
   snapshot until its selection changes), so the heap grew with every reading.
   Texts go in as text, never as markup. */
(function () {
  "use strict";
  const ROWS = [["min", "t_min", "h_min"], ["max", "t_max", "h_max"], ["avg", "t_avg", "h_avg"]];

  function el(tag, className, children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function build(card, words) {
    const fields = {};
    function value(field, tag) {
      const node = el(tag || "span", "v v-" + field, [card.v[field] || ""]);
      node.id = card.id + "-" + field;  // ids.live_card_field
      fields[field] = node;
      return node;
    }
    function cell(field) {
      const when = field + "_at";
      return el("span", "cell", card.v[when] === undefined ? [value(field)] : [value(field), value(when, "small")]);
    }
    const swatch = el("span", "swatch");
    swatch.style.background = card.color;
    const grid = [];
    ROWS.forEach(function (row) { grid.push(el("span", "k", [words[row[0]]]), cell(row[1]), cell(row[2])); });
    const node = el("div", card["class"], [
      el("div", "card-head", [el("span", "card-name", [swatch, card.name]), el("span", "offline-tag", [words.offline])]),
      el("div", "card-now", [value("temp"), value("hum")]),
      el("div", "card-meta", [el("span", "k", [words.dew]), value("dew"), el("span", "k", [words.at]), value("at")]),
      el("div", "card-grid", grid),
    ]);
    node.id = card.id;
    return {node: node, fields: fields, shown: Object.assign({}, card.v), className: card["class"]};
  }

  // What, if it changes, asks for the cards to be built anew rather than written into.
  function shape(data) {
    return JSON.stringify([data.words, data.order.map(function (id) {
      const card = data.cards[id];
      return [card.id, card.name, card.color, Object.keys(card.v).sort()];
    })]);
  }

  window.looplensCards = function (data) {
    const root = document.getElementById("live-cards");
    if (!root) return;
    if (!data || !data.order) {
      root.replaceChildren();
      root.looplens = null;
      return;
    }
    const key = shape(data);
    let drawn = root.looplens;
    if (!drawn || drawn.key !== key || !root.firstChild) {
      drawn = root.looplens = {key: key, cards: {}};
      root.replaceChildren.apply(root, data.order.map(function (id) {
        drawn.cards[id] = build(data.cards[id], data.words);
        return drawn.cards[id].node;
      }));
      return;
    }
    data.order.forEach(function (id) {
      const card = data.cards[id], built = drawn.cards[id];
      if (built.className !== card["class"]) built.node.className = built.className = card["class"];
      Object.keys(card.v).forEach(function (field) {
        if (built.shown[field] !== card.v[field]) built.fields[field].textContent = built.shown[field] = card.v[field];
      });
    });
  };
})();
