// Instance grid: lazy thumbnails rendered in chunks, keyboard keep/discard/next, batch select, category tags.
"use strict";
const CHUNK = 120;
const state = {items: [], shown: [], rendered: 0, focus: 0, selected: new Set(), anchor: null, cards: new Map()};
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

function card(item, index) {
  const node = Review.el("figure", {class: "item", tabindex: "-1", dataset: {id: item.instance_id, index: String(index)}},
    Review.el("img", {decoding: "async", alt: item.instance_id, width: "160", height: "160"}),
    Review.el("figcaption", {},
      Review.el("span", {class: "verdict"}),
      Review.el("span", {class: "tag"}),
      Review.el("small", {text: item.frame_id || ""})));
  Review.lazyImage(node.querySelector("img"), item.thumb, node);
  node.addEventListener("click", (event) => select(index, event));
  paint(node, item);
  return node;
}

function paint(node, item) {
  node.className = "item " + verdictClass(item);
  node.classList.toggle("selected", state.selected.has(item.instance_id));
  node.classList.toggle("focus", state.shown[state.focus] === item);
  node.querySelector(".verdict").textContent =
    item.kept === true ? "kept" : item.kept === false ? "discarded" : item.auto_kept === false ? `auto: ${item.reason || "dropped"}` : "";
  node.querySelector(".tag").textContent = item.category || "";
}

function renderMore() {
  const end = Math.min(state.shown.length, state.rendered + CHUNK);
  const fragment = document.createDocumentFragment();
  for (let i = state.rendered; i < end; i++) {
    const node = card(state.shown[i], i);
    state.cards.set(state.shown[i].instance_id, node);
    fragment.append(node);
  }
  grid.append(fragment);
  state.rendered = end;
  document.getElementById("more").textContent =
    state.rendered < state.shown.length ? `showing ${state.rendered} of ${state.shown.length}` : "";
}

function render() {
  const filter = document.getElementById("filter").value;
  state.shown = state.items.filter(item => matches(item, filter));
  state.rendered = 0;
  state.cards.clear();
  grid.replaceChildren();
  state.focus = Math.min(state.focus, Math.max(0, state.shown.length - 1));
  renderMore();
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
  const node = state.cards.get(item.instance_id);
  if (node) paint(node, item);
}

function setFocus(index) {
  if (!state.shown.length) return;
  const previous = state.shown[state.focus];
  state.focus = Math.max(0, Math.min(state.shown.length - 1, index));
  while (state.focus >= state.rendered) renderMore();
  if (previous) repaint(previous);
  const item = state.shown[state.focus];
  repaint(item);
  state.cards.get(item.instance_id).scrollIntoView({block: "nearest"});
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
  for (const shown of state.shown.slice(0, state.rendered)) repaint(shown);
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
  if (batch) for (const shown of state.shown.slice(0, state.rendered)) repaint(shown);
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

async function load() {
  const answer = await Review.getJSON("instances");
  state.items = answer.items;
  await Review.refreshState();
  state.selected.clear();
  render();
  if (!state.items.length) grid.append(Review.el("p", {class: "empty",
    text: "No instances for this film yet: materialise instances and filtered_instances."}));
}

Review.onReload = load;
Review.bindUndoRedo();
document.getElementById("filter").addEventListener("change", () => { state.focus = 0; render(); });
document.getElementById("keep").addEventListener("click", () => verdict(true));
document.getElementById("discard").addEventListener("click", () => verdict(false));
document.getElementById("category").addEventListener("change", (event) => {
  if (event.target.value) tag(event.target.value);
  event.target.value = "";
});
new IntersectionObserver((entries) => {
  if (entries.some(e => e.isIntersecting) && state.rendered < state.shown.length) renderMore();
}, {rootMargin: "800px"}).observe(document.getElementById("more"));
document.addEventListener("keydown", (event) => {
  if (event.target.matches("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
  const actions = {
    k: () => verdict(true), d: () => verdict(false), x: () => verdict(false),
    "1": () => tag("character"), "2": () => tag("object"), "3": () => tag("background"), "0": () => tag("none"),
    ArrowRight: () => setFocus(state.focus + 1), " ": () => setFocus(state.focus + 1), n: () => setFocus(state.focus + 1),
    ArrowLeft: () => setFocus(state.focus - 1), p: () => setFocus(state.focus - 1),
    a: () => { for (const i of state.shown) state.selected.add(i.instance_id); render(); },
    Escape: () => { state.selected.clear(); render(); },
  };
  const action = actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
  if (action) { event.preventDefault(); action(); }
});
load().catch(error => Review.status("Could not load instances: " + error.message, "error"));
