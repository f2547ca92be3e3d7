"""Review UI in a real browser (headless Debian Chromium through Playwright) on a film of thousands of real cut-outs.

The film: crops of Big Buck Bunny frames (shared media) written as real RGBA PNG files, one identity holding
``--big`` of them and the rest spread over ``--identities`` others, face embeddings around per-identity centres.
The server is `castforge review --no-dagster` in its own process. Figures (ms, from the page's own clock):
first grid paint (navigation to the first screen of thumbnails decoded), jumping to the end of the grid until the last
screen's thumbnails are decoded, frame times (requestAnimationFrame deltas, median and p95, with the share of frames
over 25 ms: dropped at 60 Hz) while wheel-scrolling the virtualised grid fast (2,000 px a notch), slowly (300 px a
notch, 16 ms apart) and at reading speed (100 px a notch, 50 ms apart: thumbnails load and decode on the way) with
the grid's own work per frame; the same scrolls over the same virtual grid of plain coloured boxes (``box_grid_*``:
no pictures, no text, no per-card script: the control for what the cards cost); a keep key press until it shows and
until it is saved, near the start and deep in the grid, the identities page (first members painted),
"show more" and "show all" on the big identity, and moving an item loaded late.

A requestAnimationFrame interval cannot be under one vsync (16.7 ms at 60 Hz): it says whether frames were dropped.
Each scroll is then repeated downwards under CDP tracing (bench/frame_trace.py): the rendering work of each frame,
main thread (script, style, layout, paint, commit) and raster workers, as wall time and as CPU time (``_trace_*``),
and the compositor's own count of dropped frames and of frames shown with content missing.
While scrolling, the Long Animation Frames API (frames whose main-thread work took over 50 ms) splits the slow frames
into script, style + layout and rendering (style, layout, paint, commit): where a dropped frame went. The same wheel
scroll over a blank page as tall (``blank_page_*``) is the floor the machine and browser set: frames dropped there
are not the grid's.

Usage: .venv/bin/python bench/review_browser.py [--instances 10000] [--big 3000] [--identities 20] [--presses 20]
       [--parts grid,keys,identities] [--home DIR (keep the built film there and reuse it: building takes minutes)]
       [--viewport 1440x900] [--static-from GIT_REVISION (the UI's JS and CSS as they were then: before / after)]
(prints JSON; needs /usr/bin/chromium)
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
VIDEO = "video/big_buck_bunny_0_30.webm"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FILM = "bench_film"


def build(home: Path, n: int, big: int, k: int) -> list[str]:
    """Write the film (real PNG cut-outs + tables); returns the big identity's instance ids."""
    from resources.catalog import Catalog
    from resources.paths import shared_dir
    from resources.storage import FilmWorkspace

    video = shared_dir() / "media" / VIDEO
    Catalog(home).insert_rows("films", [{"film": FILM, "source_path": str(video), "content_hash": "bench",
                                         "kind": "video", "ingested_at": datetime(2026, 1, 1)}])
    ws = FilmWorkspace(FILM, home)
    out = ws.root / "instances"
    out.mkdir(parents=True)
    capture = cv2.VideoCapture(str(video))
    frames = []
    while len(frames) < 120:
        ok, frame = capture.read()
        if not ok:
            break
        if int(capture.get(cv2.CAP_PROP_POS_FRAMES)) % 6 == 0:
            frames.append(frame)
    rng = np.random.default_rng(0)
    paths, frame_ids = [], []
    for i in range(n):
        f = i * len(frames) // n
        frame = frames[f]
        h, w = int(rng.integers(120, 420)), int(rng.integers(100, 360))
        y, x = int(rng.integers(0, frame.shape[0] - h)), int(rng.integers(0, frame.shape[1] - w))
        crop = cv2.cvtColor(frame[y:y + h, x:x + w], cv2.COLOR_BGR2BGRA)
        mask = np.zeros((h, w), np.uint8)
        cv2.ellipse(mask, (w // 2, h // 2), (w // 2 - 2, h // 2 - 2), 0, 0, 360, 255, -1)
        crop[:, :, 3] = mask
        path = out / f"{i:06d}.png"
        cv2.imwrite(str(path), crop, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        paths.append(ws.relative(path))
        frame_ids.append(f"frame{f:06d}")
    ids = [f"{i:016x}" for i in range(n)]
    ws.write_table("filtered_instances", pl.DataFrame({
        "instance_id": ids, "frame_id": frame_ids, "shot": [i // 40 for i in range(n)], "path": paths,
        "area": rng.uniform(1e3, 1e5, n), "score": rng.uniform(0, 1, n), "kept": rng.uniform(0, 1, n) > 0.2,
        "reason": [None] * n, "decided_by": ["auto"] * n}))
    order = rng.permutation(n)
    identity = [""] * n
    for rank, i in enumerate(order):
        identity[i] = "identity_000" if rank < big else f"identity_{1 + rank % k:03d}"
    ws.write_table("instance_identities", pl.DataFrame({"instance_id": ids, "identity": identity,
                                                        "source": ["auto"] * n, "confidence": rng.uniform(0, 1, n)}))
    centres = rng.normal(size=(k + 1, 128))
    ws.write_table("faces", pl.DataFrame({
        "face_id": ids, "instance_id": ids, "face_size": rng.uniform(20, 200, n),
        "embedding": [(centres[int(identity[i][-3:])] + 0.6 * rng.normal(size=128)).astype(np.float32).tolist()
                      for i in range(n)],
        "crop_path": paths}))
    return [ids[i] for i in range(n) if identity[i] == "identity_000"]


def built_big_ids(home: Path) -> list[str] | None:
    """The big identity's instance ids of a film built before in ``home`` (None when there is none)."""
    from resources.storage import FilmWorkspace

    workspace = FilmWorkspace(FILM, home)
    if not workspace.has_table("instance_identities"):
        return None
    table = workspace.read_table("instance_identities")
    return table.filter(pl.col("identity") == "identity_000")["instance_id"].to_list()


def serve(home: Path, log: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CASTFORGE_HOME": str(home), "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "review", "--no-dagster", "--port",
                                str(port)], cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    import httpx
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the review server did not answer within 60 s")


# resolves once the images on screen (found by hit-testing a grid of points, which does not force the layout of
# thousands of off-screen content-visibility:auto cards) have been requested and have decoded (or failed)
VISIBLE_IMAGES_DONE = """(selector) => new Promise(resolve => {
  const check = () => {
    const found = new Set();
    for (let x = 20; x < innerWidth; x += 60) for (let y = 80; y < innerHeight; y += 60)
      for (const node of document.elementsFromPoint(x, y)) if (node.matches(selector)) found.add(node);
    const imgs = [...found];
    if (imgs.length && imgs.every(img => img.getAttribute('src') && img.complete))
      requestAnimationFrame(() => resolve(performance.now()));
    else setTimeout(check, 10);
  };
  check();
})"""

# one key press dispatched as the browser would, timed until the card shows the verdict (next frame painted) and
# until the status line says it is saved
KEY_PRESS = """async (key) => {
  const before = Review.revision;
  const card = document.querySelector('#grid .item.focus');
  const t0 = performance.now();
  document.body.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  const shown = card.classList.contains('kept') ? performance.now() - t0 : null;
  while (!document.getElementById('status').textContent.includes(`revision ${before + 1})`))
    await new Promise(r => setTimeout(r, 2));
  return {shown, saved: performance.now() - t0};
}"""


def median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def p95(values: list[float]) -> float:
    return round(sorted(values)[min(len(values) - 1, int(0.95 * len(values)))], 1)


# long animation frames (main-thread work over 50 ms) split into script, style + layout and the rest
LONG_FRAMES_START = """() => { window.__long = [];
  window.__longObserver = new PerformanceObserver(list => window.__long.push(...list.getEntries()));
  window.__longObserver.observe({type: 'long-animation-frame', buffered: false}); }"""
LONG_FRAMES_STOP = """() => { window.__longObserver.disconnect();
  return window.__long.map(f => { const script = f.scripts.reduce((s, x) => s + x.duration, 0);
    const layout = f.styleAndLayoutStart ? f.startTime + f.duration - f.styleAndLayoutStart : 0;
    return {duration: f.duration, blocking: f.blockingDuration, script, render_start: f.renderStart
      ? f.startTime + f.duration - f.renderStart : 0, style_layout: layout}; }); }"""


# notches of the wheel, pixels a notch, ms between notches: a flick (125 px/ms), a quick scroll (19 px/ms: the grid
# passes too fast for pictures to be asked for) and reading speed (2 px/ms: thumbnails load and decode on the way)
SCROLLS = (("fast", 60, 2000, 16), ("slow", 100, 300, 16), ("reading", 60, 100, 50))


# the trace figures reported per scroll (frame_trace.frame_work has more)
TRACE_FIGURES = ("main_frame_wall_ms_p95", "main_frame_cpu_ms_median", "main_frame_cpu_ms_p95",
                 "main_cpu_ms_per_vsync_p95", "raster_cpu_ms_per_vsync_p95", "work_cpu_ms_per_vsync_p95",
                 "vsyncs_over_16ms_cpu_work_pct", "work_wall_ms_per_vsync_p95", "compositor_frames_dropped_pct",
                 "compositor_frames_partial_pct", "compositor_frames_missing_content_pct",
                 "display_cpu_ms_per_vsync_p95", "vsyncs_waiting_on_main_pct", "vsyncs_no_damage_pct",
                 "image_requests", "image_decode_cpu_ms",
                 "main_ms_per_frame_by_phase")


def traced_wheel(browser, page, label: str, notches: int, step: int, every_ms: int) -> dict:
    """The same wheel scroll, down this time, under CDP tracing: the rendering work of each frame."""
    from frame_trace import CATEGORIES, frame_work

    browser.start_tracing(page=page, categories=CATEGORIES)
    for _ in range(notches):
        page.mouse.wheel(0, step)
        page.wait_for_timeout(every_ms)
    work = frame_work(browser.stop_tracing())
    return {f"{label}_trace_{name}": work[name] for name in TRACE_FIGURES}


def wheel_frames(page, label: str, notches: int, step: int, every_ms: int) -> dict:
    """Frame times (requestAnimationFrame deltas) while the wheel scrolls ``page`` up, and its long frames."""
    page.evaluate("""() => { window.__frames = []; let last = performance.now(); window.__ticking = true;
      const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__ticking) requestAnimationFrame(tick); };
      requestAnimationFrame(tick); }""")
    page.evaluate(LONG_FRAMES_START)
    for _ in range(notches):
        page.mouse.wheel(0, -step)
        page.wait_for_timeout(every_ms)
    frames = page.evaluate("window.__ticking = false; window.__frames.slice(1)")
    # a frame over 1.5 vsync intervals (60 Hz) is a dropped frame
    return {f"{label}_frames": len(frames), f"{label}_frame_ms_median": median(frames),
            f"{label}_frame_ms_p95": p95(frames),
            f"{label}_frames_over_25ms_pct": round(100 * sum(f > 25 for f in frames) / max(1, len(frames)), 1),
            **long_frame_figures(label, page.evaluate(LONG_FRAMES_STOP))}


def long_frame_figures(label: str, frames: list[dict]) -> dict:
    if not frames:
        return {f"{label}_long_frames": 0}
    total = sum(f["duration"] for f in frames)
    share = lambda key: round(sum(f[key] for f in frames) / total, 2)  # noqa: E731
    return {f"{label}_long_frames": len(frames),
            f"{label}_long_frame_ms_median": median([f["duration"] for f in frames]),
            f"{label}_long_frame_script_share": share("script"),
            f"{label}_long_frame_style_layout_share": share("style_layout"),
            f"{label}_long_frame_rendering_share": share("render_start")}


def static_file(name: str, revision: str | None = None) -> bytes:
    """One of the review UI's static files (JS, CSS), as it is now or as it was at git ``revision``."""
    if revision is None:
        return (REPO / "orchestration" / "review" / "static" / name).read_bytes()
    return subprocess.run(["git", "-C", str(REPO), "show", f"{revision}:orchestration/review/static/{name}"],
                          capture_output=True, check=True).stdout


def serve_static_from(page, revision: str) -> None:
    """The page gets the review UI's static files (JS, CSS) as they were at git ``revision``: the same film, server
    and browser measure the code before a change and after it."""
    def answer(route) -> None:
        name = route.request.url.split("/static/", 1)[1].split("?")[0]
        route.fulfill(body=static_file(name, revision),
                      content_type="text/css" if name.endswith(".css") else "text/javascript")
    page.route("**/static/*", answer)


# the control for the grid: the same virtual grid (virtual_grid.js, review.css: cell size, pool, transforms,
# contained cards) over as many items, each card a plain coloured box: no picture, no text, no per-card script
BOX_GRID = """(count) => {
  window.vgrid = new VirtualGrid(document.getElementById('grid'), {
    make: () => Object.assign(document.createElement('figure'), {className: 'item', image: new Image()}),
    fill: (node, index) => { node.style.backgroundColor = `hsl(${(index * 37) % 360} 35% 30%)`; }});
  vgrid.setCount(count); }"""


def box_grid_page(browser, viewport: dict, count: int, revision: str | None = None):
    """A page with the grid's geometry and recycling but plain coloured boxes: frames it drops are not the cards'."""
    page = browser.new_page(viewport=viewport)
    page.set_content(f"<html><head><style>{static_file('review.css', revision).decode()}</style></head>"
                     "<body><main><div id='grid' class='grid'></div></main></body></html>")
    page.add_script_tag(content=static_file("virtual_grid.js", revision).decode())
    page.evaluate(BOX_GRID, count)
    return page


def control_scrolls(browser, page, label: str) -> dict:
    """The grid's wheel scrolls over a control page (then closed): frame times and traced rendering work."""
    figures: dict = {}
    page.mouse.move(700, 500)
    for speed, *scroll in SCROLLS:
        figures.update(wheel_frames(page, f"{label}_wheel_scroll_{speed}", *scroll))
        figures.update(traced_wheel(browser, page, f"{label}_wheel_scroll_{speed}", *scroll))
    page.close()
    return figures


def measure(url: str, big_ids: list[str], presses: int, parts: set[str], viewport: dict,
            static_from: str | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    figures: dict = {}

    def note(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=viewport)
        if static_from:
            serve_static_from(page, static_from)
        # -- instances: cold (thumbnails made on the fly) then warm (cached thumbnails) first paint
        for label in ("cold", "warm"):
            page.goto(f"{url}/films/{FILM}/instances")
            painted = page.evaluate(VISIBLE_IMAGES_DONE, "#grid .item img")
            figures[f"grid_first_paint_ms_{label}"] = round(painted, 1)
        figures["grid_items"] = page.evaluate("state.items.length")
        note("grid first paint done")
        figures["grid_cards_in_dom"] = page.evaluate("document.querySelectorAll('#grid .item:not([hidden])').length")
        # -- jump to the end (the scroll bar dragged down): until the last screen's thumbnails are decoded
        started = page.evaluate("performance.now()")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        done = page.evaluate(VISIBLE_IMAGES_DONE, "#grid .item img")
        figures["grid_scroll_to_end_ms"] = round(done - started, 1)
        figures["grid_last_card_shown"] = page.evaluate(
            "document.querySelector(`#grid .item[data-index='${state.shown.length - 1}']`) !== null")
        note("scrolled to the end")
        # frame times while wheel-scrolling back up: fast (cards fly past, thumbnails not asked for), then slowly
        page.mouse.move(700, 500)
        # the grid's own work in a scroll frame (placing and filling the cards that enter), separate from the vsync
        page.evaluate("""() => { const update = vgrid.update.bind(vgrid); window.__work = [];
          vgrid.update = (force) => { const t = performance.now(); update(force); window.__work.push(performance.now() - t); }; }""")
        for label, *scroll in SCROLLS:
            figures.update(wheel_frames(page, f"grid_wheel_scroll_{label}", *scroll))
            work = page.evaluate("window.__work.splice(0)")
            figures[f"grid_wheel_scroll_{label}_update_ms_p95"] = p95(work) if work else None
            figures.update(traced_wheel(browser, page, f"grid_wheel_scroll_{label}", *scroll))
        figures["grid_cards_in_dom_after_scrolling"] = page.evaluate(
            "document.querySelectorAll('#grid .item:not([hidden])').length")
        note("wheel scroll done")
        # the same grid of plain coloured boxes, scrolled the same way from the same place (the end, upwards)
        boxes = box_grid_page(browser, viewport, figures["grid_items"], static_from)
        boxes.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        figures.update(control_scrolls(browser, boxes, "box_grid"))
        # the floor this machine sets: the same wheel scroll over a page as tall with nothing to lay out or decode
        blank = browser.new_page(viewport=viewport)
        blank.set_content("<body style='margin:0'><div style='height:400000px;background:repeating-linear-gradient("
                          "#222 0 100px, #333 100px 200px)'></div></body>")
        blank.evaluate("window.scrollTo(0, 200000)")
        figures.update(control_scrolls(browser, blank, "blank_page"))
        if "keys" not in parts and "identities" not in parts:
            browser.close()
            return figures
        # -- key presses: near the start, then deep in the grid (focus moved 90% of the way in)
        page.goto(f"{url}/films/{FILM}/instances")
        page.wait_for_selector("#grid .item img")
        for position in ("start", "deep") if "keys" in parts else ():
            if position == "deep":
                target = min(int(0.9 * figures["grid_items"]), figures["grid_items"] - presses - 1)
                page.evaluate(f"setFocus({target})")
            timings = [page.evaluate(KEY_PRESS, "k") for _ in range(presses)]
            shown = [t["shown"] for t in timings if t["shown"] is not None]
            figures[f"keep_key_{position}_shown_ms_median"] = median(shown) if shown else None
            figures[f"keep_key_{position}_saved_ms_median"] = median([t["saved"] for t in timings])
            figures[f"keep_key_{position}_saved_ms_p95"] = p95([t["saved"] for t in timings])
        note("key presses done")
        if "identities" not in parts:
            browser.close()
            return figures
        # -- identities with a big identity
        started = time.perf_counter()
        page.goto(f"{url}/films/{FILM}/identities")
        page.evaluate(VISIBLE_IMAGES_DONE, "figure.member img")
        figures["identities_first_paint_ms"] = round(1000 * (time.perf_counter() - started), 1)
        section = "section.identity[data-identity='identity_000']"
        figures["big_identity_size"] = int(page.locator(f"{section} span.size").text_content().split()[0])
        started = time.perf_counter()
        page.click(f"{section} button.show-more")
        page.wait_for_selector(f"{section}[data-shown='144']", state="attached")
        figures["show_more_96_ms"] = round(1000 * (time.perf_counter() - started), 1)
        started = time.perf_counter()
        page.click(f"{section} button.show-all")
        page.wait_for_selector(f"{section}[data-shown='{len(big_ids)}']", state="attached")
        page.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
        figures["show_all_ms"] = round(1000 * (time.perf_counter() - started), 1)
        note("identities paged")
        # -- select the last item of the big identity and move it: saved, and the view reloads with all shown
        last = page.locator(f"{section} figure.member").last
        last_id = last.get_attribute("data-id")
        last.click()
        page.select_option("#move-target", "identity_001")
        started = time.perf_counter()
        page.click("#move")
        page.wait_for_function("document.getElementById('status').textContent.startsWith('Saved')")
        figures["move_late_item_saved_ms"] = round(1000 * (time.perf_counter() - started), 1)
        page.wait_for_selector(f"section.identity[data-identity='identity_001'] figure.member[data-id='{last_id}']",
                               state="attached")
        page.wait_for_selector(f"{section}[data-shown='{len(big_ids) - 1}']", state="attached")
        figures["move_late_item_reloaded_ms"] = round(1000 * (time.perf_counter() - started), 1)
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=10000)
    parser.add_argument("--big", type=int, default=3000)
    parser.add_argument("--identities", type=int, default=20)
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--parts", default="grid,keys,identities",
                        help="what to measure after the grid: keys (key presses), identities (the identities page)")
    parser.add_argument("--viewport", default="1440x900", help="the browser window, WIDTHxHEIGHT")
    parser.add_argument("--static-from", help="serve the UI's JS and CSS as at this git revision (a before/after pair)")
    parser.add_argument("--home", type=Path, help="build the film here once and reuse it (default: a temporary folder)")
    parser.add_argument("--server-log", type=Path, default=Path(tempfile.gettempdir()) / "review_browser_server.log")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp)
        started = time.perf_counter()
        big_ids = built_big_ids(home) if args.home else None
        if big_ids is not None:  # the same start as a fresh build: thumbnails are made again
            shutil.rmtree(home / "films" / FILM / ".review_cache", ignore_errors=True)
        if big_ids is None:
            big_ids = build(home, args.instances, args.big, args.identities)
        build_s = time.perf_counter() - started
        process, url = serve(home, args.server_log)
        try:
            width, height = (int(x) for x in args.viewport.split("x"))
            figures = measure(url, big_ids, args.presses, set(args.parts.split(",")),
                              {"width": width, "height": height}, args.static_from)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
    print(json.dumps({"instances": args.instances, "big_identity": args.big, "identities": args.identities + 1,
                      "viewport": args.viewport, "static_from": args.static_from,
                      "load_average_1min": round(os.getloadavg()[0], 1), "film_build_s": round(build_s, 1),
                      **figures}, indent=2))


if __name__ == "__main__":
    main()
