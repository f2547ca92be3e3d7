// Identities: sample grids and face crops, rename, merge, split, move, noise; merge suggestions.
"use strict";
const view = {identities: [], selected: new Map(),  // selected: instance_id -> identity it sits in
              wanted: new Map(),  // identity -> how many items the person has asked to see (kept across reloads)
              refocus: null};     // where the keyboard focus goes after the next render (see refocus())
const E = Review.el.bind(Review);
// items shown at first and fetched per "show more" (?first=N&page=N in the URL change them)
const PARAMS = new URLSearchParams(location.search);
const FIRST = Math.min(10000, Math.max(0, parseInt(PARAMS.get("first"), 10) || 48));
const PAGE = Math.max(1, parseInt(PARAMS.get("page"), 10) || 96);

function nameOf(id) {
  const found = view.identities.find(i => i.identity === id);
  return found ? found.name : id;
}

function identityOptions(select, exclude) {
  select.replaceChildren(E("option", {value: "", text: "choose…"}));
  for (const i of view.identities) {
    if (i.identity !== exclude) select.append(E("option", {value: i.identity, text: `${i.name} (${i.size})`}));
  }
}

function selectionChanged() {
  document.getElementById("selection-count").textContent = view.selected.size ? `${view.selected.size} selected` : "";
  for (const node of document.querySelectorAll(".member")) node.classList.toggle("selected", view.selected.has(node.dataset.id));
}

function identityCard(identity) {
  const nameInput = E("input", {class: "name", value: identity.name, "aria-label": `name of ${identity.identity}`,
                                maxlength: "120"});
  const mergeSelect = E("select", {class: "merge-target", "aria-label": `merge ${identity.identity} into`});
  identityOptions(mergeSelect, identity.identity);
  const rename = async () => {
    const name = nameInput.value.trim();
    if (!name || name === identity.name) return;
    if (await Review.decide([{kind: "rename", item_id: identity.identity, from_value: identity.name, to_value: name}],
                            `${identity.identity} renamed to ${name}`)) await load();
  };
  nameInput.addEventListener("keydown", (event) => { if (event.key === "Enter") rename(); });
  const members = E("div", {class: "members"});
  appendMembers(identity, identity.members, members);
  // the identity's tracks within shots: a click selects the whole track (to move or split it at once)
  const strip = E("div", {class: "tracks", "aria-label": "tracks"});
  for (const track of identity.tracks || []) {
    strip.append(E("button", {class: "track", title: `track ${track.track_id}: ${track.size} item(s); click to select them`,
                              dataset: {track: track.track_id}, onclick: () => {
        for (const id of track.members) view.selected.set(id, identity.identity);
        selectionChanged();
      }},
      track.thumb ? E("img", {src: track.thumb, alt: track.track_id, width: "40", height: "40", loading: "lazy"}) : null,
      E("span", {text: `${track.track_id} · ${track.size}`})));
  }
  const faces = E("div", {class: "faces"});
  for (const src of identity.faces) faces.append(E("img", {src, loading: "lazy", alt: "face crop", width: "56", height: "56"}));
  return E("section", {class: "identity" + (identity.noise ? " noise" : ""), dataset: {identity: identity.identity,
                                                                                   shown: String(identity.members.length)}},
    E("header", {},
      nameInput,
      E("button", {class: "rename", onclick: rename, text: "Rename"}),
      E("small", {class: "idcode", text: identity.identity}),
      E("span", {class: "size", text: `${identity.size} items`}),
      E("label", {}, "Merge into ", mergeSelect),
      E("button", {class: "merge", text: "Merge", onclick: async () => {
        const target = mergeSelect.value;
        if (!target) return Review.status("Choose the identity to merge into", "error");
        if (await Review.decide([{kind: "merge", item_id: identity.identity, to_value: target}],
                                `${identity.name} merged into ${nameOf(target)}`)) await load();
      }}),
      identity.identity === "noise" ? null : E("button", {class: "noise-toggle",
        text: identity.noise ? "Not noise" : "Mark as noise", onclick: async () => {
          if (await Review.decide([{kind: "noise", item_id: identity.identity, to_value: !identity.noise}],
                                  `${identity.name} ${identity.noise ? "is no longer" : "marked as"} noise`)) await load();
        }})),
    identity.faces.length ? faces : null,
    strip.childElementCount ? strip : null,
    members,
    moreControls(identity));
}

function memberFigure(identity, member) {
  return E("figure", {class: "member" + (view.selected.has(member.instance_id) ? " selected" : ""), tabindex: "0",
                      title: `${member.instance_id} · distance ${member.distance}`,
                      dataset: {id: member.instance_id, identity: identity.identity},
                      onclick: () => toggle(member.instance_id, identity.identity),
                      onkeydown: (event) => {  // keyboard only: Tab to an item, Space or Enter selects it
                        if (event.key !== " " && event.key !== "Enter") return;
                        event.preventDefault();
                        toggle(member.instance_id, identity.identity);
                      }},
    Review.lazyImage(E("img", {decoding: "async", alt: member.instance_id, width: "120", height: "120"}), member.thumb),
    member.face ? Review.lazyImage(E("img", {class: "face", decoding: "async", alt: "face", width: "40", height: "40"}),
                                   member.face) : null,
    E("figcaption", {text: `${member.distance.toFixed(2)}${member.source === "review" ? " · moved" : ""}`}));
}

function toggle(id, identity) {
  view.selected.has(id) ? view.selected.delete(id) : view.selected.set(id, identity);
  selectionChanged();
}

function appendMembers(identity, list, container) {
  const fragment = document.createDocumentFragment();
  for (const member of list) fragment.append(memberFigure(identity, member));
  container.append(fragment);
}

// "Show more": the next page of items (nearer the prototype), fetched when asked for, so an identity of thousands
// of items costs only what is shown; items loaded later can be selected, moved and split like the first ones.
function moreControls(identity) {
  const box = E("p", {class: "more", dataset: {identity: identity.identity}});
  const update = () => {
    box.replaceChildren();
    if (!identity.more) return;
    box.append(E("span", {class: "more-count", text: `${identity.members.length} of ${identity.size} shown · ${identity.more} more (nearer the prototype) `}),
      E("button", {class: "show-more", text: `Show ${Math.min(PAGE, identity.more)} more`,
                   onclick: () => showMore(identity, PAGE, update)}),
      E("button", {class: "show-all", text: `Show all ${identity.size}`,
                   onclick: () => showMore(identity, identity.more, update)}));
  };
  update();
  return box;
}

async function fetchMembers(identity, count) {
  // pages of at most 1000 (the API's limit), in order; a page saved at another revision means the state changed
  const fetched = [];
  while (fetched.length < count) {
    const offset = identity.members.length + fetched.length;
    const limit = Math.min(1000, count - fetched.length);
    const page = await Review.getJSON(`identities/${encodeURIComponent(identity.identity)}/members?offset=${offset}&limit=${limit}`);
    if (page.revision !== Review.revision) return null;
    fetched.push(...page.members);
    if (!page.members.length) break;
  }
  return fetched;
}

async function showMore(identity, count, update) {
  const section = document.querySelector(`section.identity[data-identity="${CSS.escape(identity.identity)}"]`);
  const fetched = await fetchMembers(identity, count).catch(error => {
    Review.status("Could not load more items: " + error.message, "error");
    return undefined;
  });
  if (fetched === undefined) return;
  if (fetched === null) {
    Review.status("The review changed in another tab: reloaded the current state.", "error");
    return load();
  }
  appendMembers(identity, fetched, section.querySelector(".members"));
  identity.members.push(...fetched);
  identity.more = Math.max(0, identity.size - identity.members.length);
  view.wanted.set(identity.identity, identity.members.length);
  update();
  section.dataset.shown = String(identity.members.length);  // tests and the benchmark wait on it
}

function render(answer) {
  const summary = `${answer.identities.length} identities · revision ${Review.revision}`;
  document.getElementById("summary").textContent = summary;
  identityOptions(document.getElementById("move-target"), null);
  const suggestions = document.getElementById("suggestions");
  suggestions.replaceChildren();
  const queue = answer.suggestions.filter(s => !rejected().has(`${s.a}|${s.b}`));
  view.queue = queue;
  if (queue.length) {
    suggestions.append(E("h2", {text: `Same character? ${queue.length} pair(s) from prototype similarity · ` +
                                      "Y: merge the first · N: not the same"}));
    queue.forEach((s, index) => {
      suggestions.append(E("div", {class: "suggestion" + (index ? "" : " current"), dataset: {a: s.a, b: s.b},
                                   "aria-current": index ? null : "true"},
        E("span", {text: `${s.a_name} + ${s.b_name} (similarity ${s.similarity.toFixed(2)})`}),
        E("button", {class: "same", text: `Merge ${s.b_name} into ${s.a_name}`, onclick: () => mergePair(s, "button.same")}),
        E("button", {class: "not-same", text: "Not the same", onclick: () => rejectPair(s, "button.not-same")})));
    });
  }
  renderEffects(answer.effects);
  const missing = document.getElementById("missing");
  missing.replaceChildren();
  if (answer.missing.length) {
    missing.append(E("h2", {text: "Decisions whose items no longer exist"}));
    const list = E("ul");
    for (const m of answer.missing) list.append(E("li", {text: m}));
    missing.append(list);
  }
  const container = document.getElementById("identities");
  container.replaceChildren(...answer.identities.map(identityCard));
  if (!answer.available) container.append(E("p", {class: "empty",
    text: "No identities for this film yet: materialise identity_clusters."}));
  selectionChanged();
  container.dataset.revision = String(Review.revision);  // the state this view shows (tests wait on it)
  refocus();
}

// A change re-renders the page; a keyboard user's focus goes on from where it was: the next change or pair of the
// list just worked on (``view.refocus``: a selector), else the list itself.
function refocus() {
  if (!view.refocus) return;
  const [selector, fallback] = [view.refocus, view.refocus.split(" ")[0]];
  view.refocus = null;
  const target = document.querySelector(selector) || document.querySelector(fallback);
  if (target) target.focus();
}

// What the dataset owes the review: decisions not yet applied by a run, and changes a re-run made to reviewed
// identities (accept lets one stand; undo moves the item back, which pins it).
function renderEffects(effects) {
  const box = document.getElementById("effects");
  box.replaceChildren();
  if (!effects) return;
  if (effects.pending.length || effects.behind.length) {
    const pending = effects.pending.length ? `${effects.pending.length} decision(s) are not in the dataset yet ` +
      `(made after identity_clusters last ran, at revision ${effects.run_revision}). ` : "";
    const behind = effects.behind.length ? `Not built from the review as it is now: ${effects.behind.join(", ")}. ` : "";
    box.append(E("p", {class: "pending", text: `${pending}${behind}Re-run: `}, E("code", {text: effects.rerun})));
  }
  const open = effects.changes.filter(c => c.status === "to review");
  if (!effects.changes.length) return;
  box.append(E("h2", {text: `Since your last review: ${open.length} item(s) moved`}));
  if (open.length > 1) box.append(E("button", {class: "accept-all", text: `Accept all ${open.length}`, onclick: async () => {
    view.refocus = "#effects";
    if (await Review.decide(open.map(c => ({kind: "accept", item_id: c.instance_id, to_value: c.to_identity})),
                            `${open.length} changes accepted`)) await load();
  }}));
  const list = E("ul", {class: "changes"});
  for (const c of effects.changes) {
    const undoable = c.status === "to review" && c.to_identity !== null;
    list.append(E("li", {class: "change", dataset: {id: c.instance_id}},
      c.thumb ? E("img", {src: c.thumb, alt: "moved item", width: "48", height: "48", loading: "lazy"}) : null,
      E("span", {text: `${c.from_name} → ${c.to_name} (${c.why}) · ${c.status}`}),
      c.status !== "to review" ? null : E("button", {class: "accept", text: "Accept", onclick: async () => {
        view.refocus = "#effects li.change button.accept";  // the next change still to review
        if (await Review.decide([{kind: "accept", item_id: c.instance_id, to_value: c.to_identity}],
                                `kept the move of ${c.instance_id} to ${c.to_name}`)) await load();
      }}),
      !undoable ? null : E("button", {class: "undo-change", text: `Undo: back to ${c.from_name}`, onclick: async () => {
        view.refocus = "#effects li.change button.accept";
        if (await Review.decide([{kind: "move", item_id: c.instance_id, from_value: c.to_identity,
                                  to_value: c.from_identity}], `${c.instance_id} moved back to ${c.from_name}`)) await load();
      }})));
  }
  box.append(list);
}

async function load() {
  const answer = await Review.getJSON(`identities?members=${FIRST}`);
  view.identities = answer.identities;
  await Review.refreshState();
  if (answer.revision === Review.revision) {
    // items the person had opened stay open after a change (same order: far from the prototype first)
    for (const identity of answer.identities) {
      const more = Math.min(identity.more, (view.wanted.get(identity.identity) || 0) - identity.members.length);
      if (more <= 0) continue;
      const fetched = await fetchMembers(identity, more);
      if (fetched === null) return load();
      identity.members.push(...fetched);
      identity.more = Math.max(0, identity.size - identity.members.length);
    }
  }
  view.selected.clear();  // items may have moved: a selection never outlives a change
  render(answer);
}

function selectedIds() { return [...view.selected.keys()]; }

document.getElementById("move").addEventListener("click", async () => {
  const target = document.getElementById("move-target").value, ids = selectedIds();
  if (!target || !ids.length) return Review.status("Select items, then the identity to move them to", "error");
  if (await Review.decide(ids.map(id => ({kind: "move", item_id: id, from_value: view.selected.get(id), to_value: target})),
                          `${ids.length} moved to ${nameOf(target)}`)) await load();
});
document.getElementById("split").addEventListener("click", async () => {
  const ids = selectedIds();
  if (!ids.length) return Review.status("Select the items that form the new identity", "error");
  const source = view.selected.get(ids[0]);
  const name = window.prompt(`Name of the new identity made of ${ids.length} item(s) (leave empty to name it later)`, "");
  if (name === null) return Review.status("Split cancelled", "info");
  // "new": the server mints the new identity's id (ids become folder names, so only the server makes them)
  const answer = await Review.decide([{kind: "split", item_id: source, to_value: "new", payload: {instance_ids: ids}}],
                                     `${ids.length} items split into a new identity`);
  if (answer && name.trim() && answer.minted && answer.minted.length) {
    await Review.decide([{kind: "rename", item_id: answer.minted[0], to_value: name.trim()}],
                        `${ids.length} items split into ${name.trim()}`);
  }
  if (answer) await load();
});
document.getElementById("clear-selection").addEventListener("click", () => { view.selected.clear(); selectionChanged(); });
// "Not the same" answers are kept in this browser (per film): the pair leaves the queue, no decision is recorded.
function rejected() {
  try { return new Set(JSON.parse(localStorage.getItem(`castforge:${Review.film}:not-same`) || "[]")); }
  catch { return new Set(); }
}
function rejectPair(pair, focus = null) {
  const seen = rejected();
  seen.add(`${pair.a}|${pair.b}`);
  localStorage.setItem(`castforge:${Review.film}:not-same`, JSON.stringify([...seen]));
  Review.status(`${pair.a_name} and ${pair.b_name} kept apart`, "ok");
  view.refocus = focus && `#suggestions .suggestion ${focus}`;
  return load();
}
async function mergePair(pair, focus = null) {
  view.refocus = focus && `#suggestions .suggestion ${focus}`;
  if (await Review.decide([{kind: "merge", item_id: pair.b, to_value: pair.a}], `${pair.b_name} merged into ${pair.a_name}`))
    await load();
}
// Y / N answer the first pair of the queue; one answer at a time (a key held down or pressed twice while the merge
// is saved must not merge the next pair unseen), never while a dialog is open
let answering = false;
document.addEventListener("keydown", async (event) => {
  if (event.target.matches("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key.toLowerCase(), first = (view.queue || [])[0];
  if ((key !== "y" && key !== "n") || !first || document.querySelector("dialog[open]")) return;
  event.preventDefault();
  if (answering || event.repeat) return;
  answering = true;
  try { await (key === "y" ? mergePair(first) : rejectPair(first)); } finally { answering = false; }
});
Review.onReload = () => load();
Review.scope = "identities";  // undo here takes back this page's kind of decision
Review.bindUndoRedo();
Review.bindHelp([["Y", "same character: merge the first suggested pair (marked)"], ["N", "not the same: drop the first pair"],
  ["Tab / Shift+Tab", "the next / previous item, button or name"], ["Space / Enter (on an item)", "select it or not"],
  ["Enter (in a name)", "rename"], ["Enter (on Accept / Undo)", "answer one change; the focus goes to the next"],
  ["click", "select an item"]]);
load().catch(error => Review.status("Could not load identities: " + error.message, "error"));
