// Instance grid: virtualised (virtual_grid.js), lazy thumbnails, keyboard keep/discard/next, batch select, tags.
// Focus and selection live here (indices into ``shown`` and instance ids), never in the recycled card nodes.
"use strict";
const state = {items: [], shown: [], focus: 0, selected: new Set(), anchor: null, cards: new Map()};
const grid = document.getElementById("grid");

function matches(item, filter) {
  switch (filter) {
    case "unreviewed": return item.kept === null;
    case "kept": return item.kept === true;
    case "discarded": return item.kept === false;
    case "auto-dropped": return item.auto_kept === false;
    case "character": case "object": case "background": return item.category === filter;
    default: return true;
  }
}

function verdictClass(item) {
  if (item.kept === true) return "kept";
  if (item.kept === false) return "discarded";
  return item.auto_kept === false ? "auto-dropped" : "unreviewed";
}

function makeCard() {
  const node = Review.el("figure", {class: "item", tabindex: "-1"},
    Review.el("img", {decoding: "async", width: "160", height: "160", alt: ""}),
    Review.el("figcaption", {},
      Review.el("span", {class: "verdict"}),
      Review.el("span", {class: "tag"}),
      Review.el("small", {class: "frame"}),
      Review.el("small", {class: "who"})));
  // the parts a fill changes, found once (a node is re-filled every time a row scrolls in)
  [node.image, node.verdict, node.tag, node.frame, node.who] = ["img", ".verdict", ".tag", ".frame", ".who"].map(
    selector => node.querySelector(selector));
  return node;
}

// sketch: the grid moves fast; the caption keeps the previous item's text, hidden (class sketch), until a fill
// without sketch writes it (virtual_grid.js)
function fillCard(node, index, sketch = false) {
  const item = state.shown[index];
  node.dataset.index = String(index);
  if (node.dataset.id !== item.instance_id) {
    node.dataset.id = item.instance_id;
    vgrid.showThumbnail(node, item.thumb, item.instance_id);
    node.sketch = true;
  }
  if (node.sketch && !sketch) {
    node.sketch = false;
    setText(node.frame, item.frame_id || "");
    setText(node.who, item.identity ? `${item.identity_name}${item.track_id ? " · " + item.track_id : ""}` : "");
  }
  state.cards.set(item.instance_id, node);
  paint(node, item);
}

const vgrid = new VirtualGrid(grid, {make: makeCard, fill: fillCard});

// Writes only what differs from what the node shows: an unchanged class or text invalidates nothing.
function paint(node, item) {
  const className = "item " + verdictClass(item) + (state.selected.has(item.instance_id) ? " selected" : "") +
    (state.shown[state.focus] === item ? " focus" : "") + (node.sketch ? " sketch" : "");
  if (node.className !== className) node.className = className;
  if (node.sketch) return;
  setText(node.verdict,
    item.kept === true ? "kept" : item.kept === false ? "discarded" : item.auto_kept === false ? `auto: ${item.reason || "dropped"}` : "");
  setText(node.tag, item.category || "");
}

function setText(element, text) { if (element.textContent !== text) element.textContent = text; }

const SORTS = {
  frame: null,
  identity: (a, b) => (a.identity_name || "~").localeCompare(b.identity_name || "~"),
  track: (a, b) => (a.track_id || "~").localeCompare(b.track_id || "~", undefined, {numeric: true}),
  score: (a, b) => (a.score ?? 2) - (b.score ?? 2),
  stability: (a, b) => (a.stability ?? 2) - (b.stability ?? 2),
};

function render() {
  const filter = document.getElementById("filter").value;
  const identity = document.getElementById("identity-filter").value;
  state.shown = state.items.filter(item => matches(item, filter) && (!identity || item.identity === identity));
  const order = SORTS[document.getElementById("sort").value];
  if (order) state.shown = state.shown.slice().sort(order);  // stable: frame order within equal keys
  state.cards.clear();
  state.focus = Math.min(state.focus, Math.max(0, state.shown.length - 1));
  vgrid.setCount(state.shown.length);
  document.getElementById("more").textContent = state.items.length
    ? `${state.shown.length} shown` : "No instances for this film yet: materialise instances and filtered_instances.";
  progress();
}

function progress() {
  const total = state.items.length, reviewed = state.items.filter(i => i.kept !== null).length;
  const bar = document.getElementById("progress");
  bar.max = Math.max(total, 1); bar.value = reviewed;
  const kept = state.items.filter(i => i.kept === true).length;
  document.getElementById("progress-text").textContent =
    `${reviewed} / ${total} reviewed (${kept} kept, ${reviewed - kept} discarded) · revision ${Review.revision}`;
  document.getElementById("selection-count").textContent = state.selected.size ? `${state.selected.size} selected` : "";
  grid.dataset.revision = String(Review.revision);  // the state this view shows (tests wait on it)
}

function repaint(item) {
  const node = state.cards.get(item.instance_id);  // a node reused for another item since is not this item's,
  if (node && !node.hidden && node.dataset.id === item.instance_id) paint(node, item);  // nor a pool node put away
}

function repaintShown() { vgrid.forEachShown((node, index) => paint(node, state.shown[index])); }

// the sticky header and toolbar cover the top of the viewport: a focused card is scrolled to below them
const obscuredTop = () => document.querySelector(".toolbar").getBoundingClientRect().bottom;

function setFocus(index) {
  if (!state.shown.length) return;
  const previous = state.shown[state.focus];
  state.focus = Math.max(0, Math.min(state.shown.length - 1, index));
  if (previous) repaint(previous);
  vgrid.reveal(state.focus, obscuredTop());
  repaint(state.shown[state.focus]);
}

function select(index, event) {
  const item = state.shown[index];
  if (event.shiftKey && state.anchor !== null) {
    const [a, b] = [Math.min(state.anchor, index), Math.max(state.anchor, index)];
    for (let i = a; i <= b; i++) state.selected.add(state.shown[i].instance_id);
  } else if (event.ctrlKey || event.metaKey) {
    state.selected.has(item.instance_id) ? state.selected.delete(item.instance_id) : state.selected.add(item.instance_id);
  } else {
    state.selected.clear();
  }
  state.anchor = index;
  repaintShown();
  setFocus(index);
  progress();
}

function targets() {
  if (state.selected.size) return state.items.filter(i => state.selected.has(i.instance_id));
  return state.shown[state.focus] ? [state.shown[state.focus]] : [];
}

// Shown at once and saved in the background (queued in order); a save that fails reloads the saved state.
async function verdict(kept) {
  const items = targets();
  if (!items.length) return;
  const batch = state.selected.size > 0;
  for (const item of items) { item.kept = kept; repaint(item); }
  state.selected.clear();
  if (batch) repaintShown();
  else setFocus(state.focus + 1);
  await Review.decide(items.map(i => ({kind: kept ? "keep" : "discard", item_id: i.instance_id})),
    `${items.length} ${kept ? "kept" : "discarded"}`);
  progress();
}

async function tag(category) {
  const items = targets();
  if (!items.length) return;
  const value = category === "none" ? null : category;
  for (const item of items) { item.category = value; repaint(item); }
  await Review.decide(items.map(i => ({kind: "tag", item_id: i.instance_id, to_value: value})),
    `${items.length} tagged ${value || "(none)"}`);
  progress();
}

function identityOptions() {
  const select = document.getElementById("identity-filter"), chosen = select.value;
  const counts = new Map();
  for (const item of state.items) if (item.identity) counts.set(item.identity, [item.identity_name, (counts.get(item.identity)?.[1] || 0) + 1]);
  select.replaceChildren(Review.el("option", {value: "", text: "any"}),
    ...[...counts].sort((a, b) => b[1][1] - a[1][1]).map(([id, [name, n]]) => Review.el("option", {value: id, text: `${name} (${n})`})));
  select.value = counts.has(chosen) ? chosen : "";
}

// The focused item large: its cut-out, the key frame it came from with its box, and the segmentation overlay.
function openLarge() {
  const item = state.shown[state.focus];
  if (!item) return;
  const dialog = document.getElementById("large"), body = dialog.querySelector(".large-body");
  const frame = Review.el("div", {class: "frame-box"});
  if (item.frame) {
    const image = Review.el("img", {src: item.frame, alt: `frame ${item.frame_id}`});
    frame.append(image);
    if (item.box) image.addEventListener("load", () => {
      const [x0, y0, x1, y1] = item.box, sx = image.clientWidth / image.naturalWidth, sy = image.clientHeight / image.naturalHeight;
      frame.append(Review.el("div", {class: "box", style: `left:${x0 * sx}px;top:${y0 * sy}px;width:${(x1 - x0) * sx}px;height:${(y1 - y0) * sy}px`}));
    });
  }
  body.replaceChildren(
    Review.el("figure", {}, Review.el("img", {src: item.image, alt: item.instance_id}), Review.el("figcaption", {text: "cut-out"})),
    Review.el("figure", {}, frame, Review.el("figcaption", {text: `key frame ${item.frame_id || ""} · shot ${item.shot ?? "?"}`})),
    item.overlay ? Review.el("figure", {}, Review.el("img", {src: item.overlay, alt: "overlay"}), Review.el("figcaption", {text: "segmentation overlay"})) : null,
    Review.el("p", {text: `${item.identity_name || "no identity"}${item.track_id ? " · track " + item.track_id : ""}` +
      `${item.by ? " · placed by " + item.by : ""}${item.stability != null ? " · stability " + item.stability : ""}` +
      ` · score ${item.score ?? "?"}${item.why ? " · noise: " + item.why : ""}`}));
  dialog.showModal();
}

function rowStep(direction) {
  setFocus(state.focus + direction * vgrid.columns);
}

async function load() {
  const answer = await Review.getJSON("instances");
  state.items = answer.items;
  identityOptions();
  await Review.refreshState();
  state.selected.clear();
  render();
}

Review.onReload = load;
Review.scope = "instances";  // undo here takes back this page's kind of decision
Review.bindUndoRedo();
Review.bindHelp([["K", "keep"], ["D / X", "discard"], ["1 / 2 / 3", "tag character / object / background"],
  ["0", "clear the tag"], ["→ / Space / N", "next"], ["← / P", "previous"], ["↓ / ↑", "the item below / above"],
  ["O / Enter / double-click", "open large with its key frame and overlay"], ["A", "select everything shown"],
  ["Esc", "clear the selection"], ["Shift / Ctrl + click", "select a range / one more"]]);
document.getElementById("filter").addEventListener("change", () => { state.focus = 0; render(); });
document.getElementById("identity-filter").addEventListener("change", () => { state.focus = 0; render(); });
document.getElementById("sort").addEventListener("change", () => { state.focus = 0; render(); });
document.querySelector("#large .close").addEventListener("click", () => document.getElementById("large").close());
grid.addEventListener("click", (event) => {
  const node = event.target.closest("figure.item");
  if (node) select(Number(node.dataset.index), event);
});
grid.addEventListener("dblclick", (event) => { if (event.target.closest("figure.item")) openLarge(); });
document.getElementById("keep").addEventListener("click", () => verdict(true));
document.getElementById("discard").addEventListener("click", () => verdict(false));
document.getElementById("category").addEventListener("change", (event) => {
  if (event.target.value) tag(event.target.value);
  event.target.value = "";
});
document.addEventListener("keydown", (event) => {
  if (event.target.matches("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.getElementById("large").open) return;  // the dialog handles Esc itself
  const actions = {
    k: () => verdict(true), d: () => verdict(false), x: () => verdict(false),
    "1": () => tag("character"), "2": () => tag("object"), "3": () => tag("background"), "0": () => tag("none"),
    ArrowRight: () => setFocus(state.focus + 1), " ": () => setFocus(state.focus + 1), n: () => setFocus(state.focus + 1),
    ArrowLeft: () => setFocus(state.focus - 1), p: () => setFocus(state.focus - 1),
    ArrowDown: () => rowStep(1), ArrowUp: () => rowStep(-1), o: openLarge, Enter: openLarge,
    a: () => { for (const i of state.shown) state.selected.add(i.instance_id); repaintShown(); progress(); },
    Escape: () => { state.selected.clear(); repaintShown(); progress(); },
  };
  const action = actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
  if (action) { event.preventDefault(); action(); }
});
load().catch(error => Review.status("Could not load instances: " + error.message, "error"));
