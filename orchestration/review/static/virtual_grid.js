// A virtualised grid of fixed-size cells scrolled with the page: only the rows in and near the viewport exist in the
// DOM (absolutely placed in a container as tall as every row), and cells scrolled out are reused for the ones
// scrolled in. With 10,000 cut-outs the browser lays out and paints ~100 cards instead of 10,000, so a scroll frame
// costs the same at any size. The page's state (focus, selection) lives in JS: a node only shows an item for a while.
"use strict";
class VirtualGrid {
  // make(): a new empty cell node whose thumbnail <img> is ``node.image``; fill(node, index): show item ``index``
  constructor(container, {make, fill, minWidth = 170, rowHeight = 200, gap = 8, overscanRows = 2}) {
    Object.assign(this, {container, make, fill, minWidth, rowHeight, gap, overscanRows});
    this.count = 0;
    this.columns = 1;
    this.width = -1;
    this.nodes = new Map();  // item index -> the node showing it
    this.free = [];          // nodes scrolled out, detached, kept for reuse
    this.range = [0, 0];
    this.frameRequested = false;
    this.thumbTimer = null;
    addEventListener("scroll", () => this.schedule(), {passive: true});
    addEventListener("resize", () => this.schedule());
    new ResizeObserver(() => {
      if (this.container.clientWidth !== this.width) { this.measure(); this.update(true); }
    }).observe(container);
  }

  measure() {
    // the same columns as `repeat(auto-fill, minmax(minWidth, 1fr))` would give
    this.width = this.container.clientWidth;
    this.columns = Math.max(1, Math.floor((this.width + this.gap) / (this.minWidth + this.gap)));
    const cell = (this.width - (this.columns - 1) * this.gap) / this.columns;
    this.container.style.setProperty("--cell-width", `${cell}px`);
    this.cellStep = cell + this.gap;
    this.container.style.height = `${Math.max(0, this.rows * this.rowHeight - this.gap)}px`;
  }

  get rows() { return Math.ceil(this.count / this.columns); }

  setCount(count) {
    this.count = count;
    this.measure();
    this.update(true);
  }

  schedule() {
    // at most one update per frame, however many scroll events arrive
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => { this.frameRequested = false; this.update(); });
  }

  visibleRows(overscan) {
    const top = this.container.getBoundingClientRect().top;  // layout is clean in a scroll frame: cheap
    const first = Math.max(0, Math.floor(-top / this.rowHeight) - overscan);
    const last = Math.min(this.rows, Math.ceil((innerHeight - top) / this.rowHeight) + overscan);
    return [first, Math.max(first, last)];
  }

  // force: every cell is filled again (new items, new columns); otherwise only cells entering the window are
  update(force = false) {
    const [first, last] = this.visibleRows(this.overscanRows);
    const start = first * this.columns, end = Math.min(this.count, last * this.columns);
    if (!force && start === this.range[0] && end === this.range[1]) return;
    this.range = [start, end];
    let kept = Infinity;  // the first index still shown
    for (const [index, node] of this.nodes) {
      if (force || index < start || index >= end) {
        this.nodes.delete(index);
        this.free.push(node);
        node.remove();  // out of the DOM: queries and the layout see only shown cells
      } else kept = Math.min(kept, index);
    }
    const above = [], below = [];
    for (let index = start; index < end; index++) {
      if (this.nodes.has(index)) continue;
      const node = this.free.pop() || this.make();
      node.style.left = `${(index % this.columns) * this.cellStep}px`;
      node.style.top = `${Math.floor(index / this.columns) * this.rowHeight}px`;
      this.fill(node, index);
      this.nodes.set(index, node);
      (index < kept ? above : below).push(node);
    }
    // the DOM keeps the items' order (reading and tab order, and what scripts see): cards entering above the ones
    // kept go first, those entering below go last
    if (above.length) this.container.prepend(...above);
    if (below.length) this.container.append(...below);
    if (force) this.loadThumbnails();
    else if (!this.thumbTimer) this.thumbTimer = setTimeout(() => { this.thumbTimer = null; this.loadThumbnails(); }, 100);
  }

  // Thumbnails of the cells on screen (and a row either side) are requested at most every 100 ms while scrolling:
  // cards flown past are reused before their thumbnail is asked for, and reusing a node drops a pending request
  // (its src is replaced), so a fast scroll leaves no queue of thumbnails that the ones on screen wait behind.
  loadThumbnails() {
    const [first, last] = this.visibleRows(1);
    for (const [index, node] of this.nodes) {
      const row = Math.floor(index / this.columns), image = node.image;
      if (row >= first && row < last && image.dataset.src && image.getAttribute("src") !== image.dataset.src)
        image.src = image.dataset.src;
    }
  }

  showThumbnail(node, src) {
    // called by fill(): a reused node forgets the previous item's picture (and its pending request)
    if (node.image.dataset.src === src) return;
    node.image.dataset.src = src || "";
    node.image.removeAttribute("src");
  }

  // Scrolls the least that shows item ``index`` below ``obscuredTop`` (the sticky bars) and lays the window out now.
  reveal(index, obscuredTop = 0) {
    const top = this.container.getBoundingClientRect().top + Math.floor(index / this.columns) * this.rowHeight;
    const bottom = top + this.rowHeight - this.gap;
    if (top < obscuredTop) scrollBy(0, top - obscuredTop - this.gap);
    else if (bottom > innerHeight) scrollBy(0, bottom - innerHeight + this.gap);
    this.update();
  }

  node(index) { return this.nodes.get(index); }

  forEachShown(callback) { for (const [index, node] of this.nodes) callback(node, index); }
}
