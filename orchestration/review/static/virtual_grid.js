// A virtualised grid of fixed-size cells scrolled with the page. A fixed pool of card nodes covers the rows in and
// near the viewport (the container is as tall as every row); item ``index`` is always shown by pool node
// ``index % pool.length``, so a scroll that brings one row in re-fills exactly that row's nodes: nothing is created,
// removed or re-ordered in the DOM, and a node is moved with a transform (no layout). With 10,000 cut-outs the
// browser lays out and paints ~70 cards instead of 10,000, so a scroll frame costs the same at any size.
// A flick (the rows on screen share none with the rows filled, while the page keeps moving) fills nothing: the
// compositor scrolls the empty page with no main-thread work, and the cards are filled once the page has not moved
// for ``landMs``.
// The page's state (focus, selection) lives in JS: a node only shows an item for a while.
"use strict";
class VirtualGrid {
  // make(): a new empty cell node whose thumbnail <img> is ``node.image``; fill(node, index, sketch): show item
  // ``index``; with ``sketch`` (the grid moves faster than ``thumbMaxSpeed``) only what is cheap to draw (its class,
  // not its text: the caption waits, hidden, like the picture), marking the node ``node.sketch``; such nodes are
  // filled again without it once the grid slows down, with the pictures
  constructor(container, {make, fill, minWidth = 170, rowHeight = 200, gap = 8, overscanRows = 2, thumbEveryMs = 100,
                          thumbMaxSpeed = 3, budgetMs = 4, landMs = 60}) {
    Object.assign(this, {container, make, fill, minWidth, rowHeight, gap, overscanRows, thumbEveryMs, thumbMaxSpeed,
                         budgetMs, landMs});
    [this.scrollAt, this.scrolledBefore] = [-Infinity, -Infinity];  // the last two scroll events (a flick or a jump)
    this.landTimer = null;
    this.positions = [];     // [when, the container's top] at the updates of the last ``thumbEveryMs`` (and one before)
    this.behind = false;     // overscan rows left for the next frame
    this.landing = false;    // a flick ended: the screen is being filled
    this.count = 0;
    this.columns = 1;
    this.width = -1;
    this.pool = [];          // node k shows the item with index % pool.length === k (node.index; -1: hidden)
    this.range = [0, 0];
    this.frameRequested = false;
    this.thumbsDue = false;
    this.thumbTimer = null;
    this.thumbsAt = 0;
    addEventListener("scroll", () => {
      [this.scrolledBefore, this.scrollAt] = [this.scrollAt, performance.now()];
      this.schedule();
    }, {passive: true});
    addEventListener("resize", () => { this.measure(); this.schedule(); }, {passive: true});
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
    // the most rows visibleRows() can span: the viewport's rows, one cut in half, the overscan on both sides
    const windowRows = Math.ceil(innerHeight / this.rowHeight) + 1 + 2 * this.overscanRows;
    this.resizePool(Math.min(this.count, windowRows * this.columns));
  }

  resizePool(size) {
    if (size === this.pool.length) return;
    while (this.pool.length < size) {
      const node = this.make();
      this.hide(node);
      this.pool.push(node);
      this.container.append(node);
    }
    for (const node of this.pool.splice(size)) node.remove();
    for (const node of this.pool) this.hide(node);  // the index -> node mapping changed: every node is re-filled
    this.range = [-1, -1];
  }

  // a node put away stops fetching its picture (nobody will see it): a jump past the window hides the nodes it does
  // not re-fill in that frame, and they must not keep a screen of fetches and decodes going
  hide(node) {
    this.cancelThumbnail(node);
    node.index = -1;
    node.hidden = true;
    node.className = "item";  // a hidden node keeps no state of the item it showed (selection, focus)
    delete node.dataset.index;
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

  // ``top``: the container's top in the viewport, read once per update before anything is written (a read after a
  // write would force a synchronous layout in the middle of the frame)
  visibleRows(top, overscan) {
    const first = Math.max(0, Math.floor(-top / this.rowHeight) - overscan);
    const last = Math.min(this.rows, Math.ceil((innerHeight - top) / this.rowHeight) + overscan);
    return [first, Math.max(first, last)];
  }

  // force: every cell is filled again (new items, new columns); otherwise only cells entering the window are.
  // The rows on screen are filled first; the overscan rows (filled before they scroll in) only while the frame has
  // ``budgetMs`` left, the rest in the next frame: a flick past thousands of cards fills only what is seen. A
  // forced update (new items) fills every row at once: what a script or a test reads next is all there.
  update(force = false) {
    const started = performance.now();
    const top = this.container.getBoundingClientRect().top;  // layout is clean at the start of a frame: cheap
    const [first, last] = this.visibleRows(top, this.overscanRows);
    const start = first * this.columns, end = Math.min(this.count, last * this.columns);
    if (!force && this.flying(top, started)) return;
    // a quick scroll re-fills a row or two a frame: the cards' text (style, layout and paint of a dozen captions) made
    // those frames 10 ms of CPU where plain boxes took 3, and the compositor waited for them
    this.fast = !force && this.speed(top, started) >= this.thumbMaxSpeed;
    if (force || this.behind || start !== this.range[0] || end !== this.range[1]) {
      this.range = [start, end];
      if (force) for (const node of this.pool) node.index = -1;
      const [shownFirst, shownLast] = this.visibleRows(top, 0);
      const shown = [shownFirst * this.columns, Math.min(end, shownLast * this.columns)];
      this.behind = false;
      // after a flick the screen is filled one row a frame: a whole screen of cards filled in one frame was a frame
      // of 20 ms CPU (80 ms on a busy machine); one row is what a scroll brings in anyway
      const landing = this.landing && !force;
      for (let index = shown[0], placed = 0; index < shown[1]; index++) {
        if (landing && placed >= this.columns && this.node(index) === undefined) {
          this.behind = true;
          break;
        }
        if (this.node(index) === undefined) placed++;
        this.place(index);
      }
      this.landing = landing && this.behind;
      // then outwards from the screen: the rows about to scroll in first
      for (let below = shown[1], above = shown[0] - 1; !this.behind && (below < end || above >= start);
           below++, above--) {
        if (!force && performance.now() - started > this.budgetMs) { this.behind = true; break; }
        if (below < end) this.place(below);
        if (above >= start) this.place(above);
      }
      // the nodes left outside the window are put away, but not while a landing fills the screen: they are off
      // screen (where the flick started) and most are re-filled a row later; hiding 60 of them at once was a frame
      if (!this.landing) {
        for (const node of this.pool) if ((node.index < start || node.index >= end) && !node.hidden) this.hide(node);
      }
      if (this.behind) this.schedule();
    }
    this.thumbnails(top, force);
  }

  // A flick: the page moved a screen or more past the cards filled and is still moving (two scroll events less than
  // ``landMs`` apart, the latest less than ``landMs`` ago). Filling a screen of cards every frame is what dropped
  // frames, and nobody reads cards flying past: the empty page shows instead, and the cards are filled when
  // the page has not moved for ``landMs`` (a timer). A single jump (scroll bar, End, a key) is filled at once.
  flying(top, now) {
    const [shownFirst, shownLast] = this.visibleRows(top, 0);
    const seen = this.range[1] > this.range[0] &&
      shownLast * this.columns > this.range[0] && shownFirst * this.columns < this.range[1];
    const moving = now - this.scrollAt < this.landMs && this.scrollAt - this.scrolledBefore < this.landMs;
    if (seen || !moving) return false;
    this.landing = true;
    clearTimeout(this.landTimer);
    this.landTimer = setTimeout(() => { this.landTimer = null; this.schedule(); }, this.landMs);
    this.speed(top, now);  // the scroll speed the thumbnails see stays current
    return true;
  }

  place(index) {
    const node = this.pool[index % this.pool.length];
    if (node.index === index) return;
    node.index = index;
    node.style.transform =
      `translate(${(index % this.columns) * this.cellStep}px, ${Math.floor(index / this.columns) * this.rowHeight}px)`;
    this.fill(node, index, this.fast);
    if (node.hidden) node.hidden = false;
  }

  // px per ms over the last ``thumbEveryMs``: how far the page is from where it was ``thumbEveryMs`` ago (the last
  // position seen at or before then: updates follow scroll events, so the page stood there until the next one). The
  // distance since the previous update alone is too noisy (a frame that only finished the overscan between two
  // wheel notches saw 0), and dividing by the time since an old sample is wrong: a scroll starting after the page
  // stood still for 2 s read as 0.15 px/ms, and each start, or a pause of the wheel, asked for a screen of pictures
  // (80 fetched and decoded in one frame, mostly for cards re-filled a few frames later).
  speed(top, at) {
    this.positions.push([at, top]);
    while (this.positions.length > 1 && this.positions[1][0] <= at - this.thumbEveryMs) this.positions.shift();
    return Math.abs(top - this.positions[0][1]) / this.thumbEveryMs;
  }

  // Thumbnails of the cells on screen (and a row either side) are requested at most every ``thumbEveryMs`` while
  // scrolling: cards flown past are re-filled before their thumbnail is asked for, and re-filling a node drops a
  // pending request (its src is removed), so a fast scroll leaves no queue of thumbnails that the ones on screen
  // wait behind. They are asked for inside a frame's update, with its layout read: never a forced layout.
  thumbnails(top, now) {
    const at = performance.now();
    const speed = this.speed(top, at);
    const wait = this.thumbsAt + this.thumbEveryMs - at;
    // while the grid flies past faster than ``thumbMaxSpeed`` no picture is asked for: decoding a dozen cut-outs a
    // frame is what dropped frames, and none of them would be looked at; they come once the scroll slows down
    if (!now && (wait > 0 && !this.thumbsDue || speed >= this.thumbMaxSpeed)) {
      this.thumbsDue = this.thumbsDue || wait <= 0;
      if (!this.thumbTimer) this.thumbTimer = setTimeout(() => {
        this.thumbTimer = null;
        this.thumbsDue = true;
        this.schedule();
      }, Math.max(wait, this.thumbEveryMs / 2));
      return;
    }
    this.thumbsDue = false;
    this.thumbsAt = performance.now();
    const [first, last] = this.visibleRows(top, 1);
    for (const node of this.pool) {
      const row = Math.floor(node.index / this.columns), image = node.image;
      if (node.index < 0 || row < first || row >= last) continue;
      if (node.sketch) this.fill(node, node.index, false);
      if (image.dataset.src && image.getAttribute("src") !== image.dataset.src) this.load(image);
    }
  }

  // The picture is fetched and decoded off the page (Image.decode()) and put in the card once decoded: the frame
  // that shows it only draws it, instead of decoding a dozen PNGs in its raster tasks. A node re-filled meanwhile
  // (another item) cancels the fetch (see showThumbnail), so a picture nobody will see is not decoded.
  load(image) {
    const {src, alt} = image.dataset;
    if (image.fetching === src) return;  // (not ``loading``: <img> has that attribute)
    image.fetching = src;
    const loader = image.loader = new Image();
    loader.src = src;
    const show = () => {
      if (image.loader === loader) image.loader = null;
      if (image.fetching === src) image.fetching = null;
      if (image.dataset.src === src) Object.assign(image, {src, alt});
    };
    loader.decode().then(show, show);  // a picture that fails is shown failing (its alt text)
  }

  // called by fill(): a reused node forgets the previous item's picture: one still being fetched is cancelled (its
  // loader loses its src) and not put in. The alt text comes with the picture: an <img> with an alt and no src is
  // drawn as that text, laid out and painted for every card that scrolls in while thumbnails wait.
  showThumbnail(node, src, alt = "") {
    if (node.image.dataset.src === src) return;
    Object.assign(node.image.dataset, {src: src || "", alt});
    this.cancelThumbnail(node);
    node.image.removeAttribute("src");
    node.image.alt = "";
  }

  cancelThumbnail(node) {
    if (node.image.loader) {
      node.image.loader.removeAttribute("src");
      node.image.loader = null;
    }
    node.image.fetching = null;
  }

  // Scrolls the least that shows item ``index`` below ``obscuredTop`` (the sticky bars) and lays the window out now.
  reveal(index, obscuredTop = 0) {
    const top = this.container.getBoundingClientRect().top + Math.floor(index / this.columns) * this.rowHeight;
    const bottom = top + this.rowHeight - this.gap;
    if (top < obscuredTop) scrollBy(0, top - obscuredTop - this.gap);
    else if (bottom > innerHeight) scrollBy(0, bottom - innerHeight + this.gap);
    this.update();
  }

  node(index) {
    const node = this.pool.length ? this.pool[index % this.pool.length] : undefined;
    return node && node.index === index ? node : undefined;
  }

  forEachShown(callback) { for (const node of this.pool) if (node.index >= 0) callback(node, node.index); }
}
