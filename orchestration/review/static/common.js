// Shared by the review pages: the film, its review revision, saving decisions, undo/redo, status messages.
"use strict";
const Review = {
  film: document.body.dataset.film,
  revision: 0,
  canRedo: false,
  onReload: null,

  el(tag, attrs = {}, ...children) {
    // Builds DOM nodes; text is always set as text, never parsed as HTML (names come from users).
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  },

  lazyImages: null,

  lazyImage(img, src, box = img) {
    // The image is requested when ``box`` (its card: the element whose size is known without laying out its
    // content) comes near the viewport, and the request is dropped if it is scrolled past before it loads: scrolling
    // fast through thousands of cut-outs does not leave a queue of thumbnails that the ones on screen wait behind
    // (the browser fetches only a few at a time from one server).
    if (!this.lazyImages) this.lazyImages = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const image = entry.target.lazyImage;
        if (entry.isIntersecting) { if (!image.getAttribute("src")) image.src = image.dataset.src; }
        else if (image.getAttribute("src") && !image.complete) image.removeAttribute("src");
      }
    }, {rootMargin: "600px 0px"});
    img.dataset.src = src;
    box.lazyImage = img;
    this.lazyImages.observe(box);
    return img;
  },

  status(message, kind = "info") {
    const box = document.getElementById("status");
    box.textContent = message;
    box.className = "status " + kind;
  },

  api(path) { return `/api/films/${encodeURIComponent(this.film)}/${path}`; },

  async getJSON(path) {
    const response = await fetch(this.api(path));
    if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
    return response.json();
  },

  queue: Promise.resolve(),

  post(path, body) {
    // One change at a time, each on the revision the previous one produced: fast key presses queue up
    // instead of racing each other into conflicts.
    const next = this.queue.then(() => this.send(path, body));
    this.queue = next.catch(() => null);
    return next;
  },

  async send(path, body) {
    const response = await fetch(this.api(path), {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({expected_revision: this.revision, ...body}),
    });
    const answer = await response.json().catch(() => ({detail: response.statusText}));
    if (response.status === 409) {
      this.status("Not saved: " + answer.detail + " Reloaded the current state.", "error");
      if (this.onReload) await this.onReload();
      return null;
    }
    if (!response.ok) {
      const detail = Array.isArray(answer.detail) ? answer.detail.map(d => d.msg).join("; ") : answer.detail;
      this.status("Not saved: " + detail, "error");
      if (this.onReload) await this.onReload();  // show what is really saved
      return null;
    }
    this.revision = answer.revision;
    this.canRedo = answer.can_redo;
    this.updateButtons();
    return answer;
  },

  async decide(decisions, message) {
    const answer = await this.post("decisions", {decisions});
    if (answer) this.status(`Saved (revision ${answer.revision}): ${message}`, "ok");
    return answer;
  },

  scope: null,  // "instances" | "identities": undo takes back the latest change of the page's kind

  async undo() {
    const answer = await this.post("undo", this.scope ? {scope: this.scope} : {});
    if (answer) {
      const what = answer.undone && answer.undone.length
        ? `: took back ${answer.undone.join("; ")} (revision ${answer.undone_revision})` : "";
      this.status(`Undone (revision ${answer.revision})${what}`, "ok");
      if (this.onReload) await this.onReload();
    }
  },

  async redo() {
    const answer = await this.post("redo", {});
    if (answer) { this.status(`Redone (revision ${answer.revision})`, "ok"); if (this.onReload) await this.onReload(); }
  },

  updateButtons() {
    const redo = document.getElementById("redo");
    if (redo) redo.disabled = !this.canRedo;
    const undo = document.getElementById("undo");
    if (undo) undo.disabled = this.revision === 0;
  },

  async refreshState() {
    const state = await this.getJSON("state");
    this.revision = state.revision;
    this.canRedo = state.can_redo;
    this.updateButtons();
    return state;
  },

  // "?" opens a list of the page's keys (``keys``: [key, what it does] pairs); Esc closes it.
  bindHelp(keys) {
    const dialog = this.el("dialog", {class: "keys", id: "keys-help"},
      this.el("h2", {text: "Keys"}),
      this.el("table", {}, ...[...keys, ["?", "this list"], ["Ctrl+Z / Ctrl+Shift+Z", "undo / redo"]].map(([key, what]) =>
        this.el("tr", {}, this.el("td", {}, this.el("kbd", {text: key})), this.el("td", {text: what})))),
      this.el("button", {text: "Close", onclick: () => dialog.close()}));
    document.body.append(dialog);
    document.addEventListener("keydown", (event) => {
      if (event.key !== "?" || event.target.matches("input, select, textarea")) return;
      event.preventDefault();
      dialog.open ? dialog.close() : dialog.showModal();
    });
  },

  bindUndoRedo() {
    document.getElementById("undo").addEventListener("click", () => this.undo());
    document.getElementById("redo").addEventListener("click", () => this.redo());
    document.addEventListener("keydown", (event) => {
      if (event.target.matches("input, select, textarea")) return;
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
        event.preventDefault();
        event.shiftKey ? this.redo() : this.undo();
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "y") {
        event.preventDefault();
        this.redo();
      }
    });
  },
};
