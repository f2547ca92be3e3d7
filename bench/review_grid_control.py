"""The review grid against its control, alternating in one headless Chromium: where dropped frames come from.

On a machine shared with other jobs one run's dropped frames spread from 5 to 30% for the same code, so one run
of bench/review_browser.py cannot tell a change from the load. This repeats, ``--runs`` times and in turn, the same
wheel scroll (traced, bench/frame_trace.py) over: the instance grid with the UI's JS and CSS as at each git
revision given (``HEAD`` or ``now``: the working tree), and the control, the same virtual grid of plain coloured
boxes (review_browser.box_grid_page). It prints each page's per-run figures and their medians.

Usage: .venv/bin/python bench/review_grid_control.py --home DIR (a film built by bench/review_browser.py --home DIR)
       [--revisions now,899f882] [--runs 4] [--speed slow|fast|reading] [--viewport 1920x1080]
(prints JSON; needs /usr/bin/chromium)
"""

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import review_browser as rb  # noqa: E402

FIGURES = ("compositor_frames_dropped_pct", "vsyncs_waiting_on_main_pct", "main_frame_cpu_ms_p95",
           "work_cpu_ms_per_vsync_p95", "image_decode_cpu_ms", "main_ms_per_frame_by_phase")


def grid_page(browser, url: str, viewport: dict, revision: str):
    page = browser.new_page(viewport=viewport)
    if revision != "now":
        rb.serve_static_from(page, revision)
    page.goto(f"{url}/films/{rb.FILM}/instances")
    page.evaluate(rb.VISIBLE_IMAGES_DONE, "#grid .item img")
    return page


def one_run(browser, page, scroll: tuple) -> dict:
    """The scroll up (frame times), then down under tracing, from 70% of the page."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight * 0.7)")
    page.wait_for_timeout(500)
    page.mouse.move(700, 500)
    label, *steps = scroll
    figures = rb.wheel_frames(page, "s", *steps)
    traced = rb.traced_wheel(browser, page, "s", *steps)
    page.close()
    return {"frames_over_25ms_pct": figures["s_frames_over_25ms_pct"],
            **{name: traced[f"s_trace_{name}"] for name in FIGURES}}


def _median(values) -> float | dict:
    """The median of numbers, or per key of dicts (the main thread's CPU per frame by phase: a phase missing from a
    run counts 0 there)."""
    values = list(values)
    if isinstance(values[0], dict):
        keys = sorted({key for value in values for key in value}, key=lambda key: -values[0].get(key, 0))
        return {key: round(statistics.median(value.get(key, 0) for value in values), 2) for key in keys}
    return round(statistics.median(values), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--revisions", default="now", help="comma-separated git revisions of the UI, or now")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--speed", default="slow", choices=[s[0] for s in rb.SCROLLS])
    parser.add_argument("--viewport", default="1920x1080")
    args = parser.parse_args()
    if rb.built_big_ids(args.home) is None:
        raise SystemExit(f"no bench film in {args.home}: build it once with bench/review_browser.py --home {args.home}")
    from playwright.sync_api import sync_playwright

    width, height = (int(x) for x in args.viewport.split("x"))
    viewport = {"width": width, "height": height}
    scroll = next(s for s in rb.SCROLLS if s[0] == args.speed)
    pages = [f"grid@{revision}" for revision in args.revisions.split(",")] + ["box_grid"]
    runs: dict = {name: [] for name in pages}
    process, url = rb.serve(args.home, Path(tempfile.gettempdir()) / "review_grid_control_server.log")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=rb.CHROMIUM, args=rb.CHROMIUM_ARGS)
            for _ in range(args.runs):
                for name in pages:
                    page = (rb.box_grid_page(browser, viewport, 10_000) if name == "box_grid"
                            else grid_page(browser, url, viewport, name.split("@", 1)[1]))
                    runs[name].append(one_run(browser, page, scroll))
            browser.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    medians = {name: {key: _median(run[key] for run in results) for key in results[0]} for name, results in runs.items()}
    print(json.dumps({"speed": args.speed, "viewport": args.viewport, "runs": args.runs,
                      "load_average_1min": round(os.getloadavg()[0], 1), "median": medians, "each_run": runs},
                     indent=2))


if __name__ == "__main__":
    main()
