"""Rendering work per frame from a Chromium trace (CDP Tracing, the categories DevTools' performance panel records).

A requestAnimationFrame interval cannot be shorter than one vsync (16.7 ms at 60 Hz), so it says whether frames were
dropped, not how much of the frame the page used. This reads what the browser did in each frame instead:
- ``main``: the renderer main thread's tasks (script, style, layout, paint, commit, input, image loading) summed per
  vsync interval;
- ``raster``: raster and image-decode tasks on the worker threads, summed per vsync interval;
- ``main_frame``: one main-thread frame update (rAF callbacks, style, layout, paint, commit), per frame;
each as wall time (what the frame took, waiting for a core included) and as the threads' CPU time (the work itself:
on a machine shared with other jobs the two differ by several times);
- compositor frames (``PipelineReporter``): presented, partly presented (the main thread's update missed it) or
  dropped, and frames shown with content missing (checkerboard: raster had not caught up with the scroll);
- why the page's compositor produced no frame in a vsync (``DidNotProduceFrame``): it waited for the main thread's
  frame (``kWaitingOnMain``) or had nothing new to draw (``kNoDamage``: no scroll delta had arrived), per vsync;
- ``display``: the display compositor (the GPU process's ``VizCompositorThread``, drawing every frame in software
  under ``--disable-gpu``) in CPU time per vsync: work the page does not do but shares the cores with;
- pictures asked for (``ResourceSendRequest`` of images) and their decoding's CPU time on the raster workers.
Used by bench/review_browser.py; prints nothing itself.
"""

import json
import statistics
from collections import Counter, defaultdict

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline",
              "disabled-by-default-devtools.timeline.frame", "benchmark"]
VSYNC_MS = 1000 / 60
MAIN_THREAD = "CrRendererMain"
RASTER_EVENTS = {"RasterTask", "ImageDecodeTask"}
DISPLAY_THREAD = "VizCompositorThread"
# the main thread's frame phases, for where a frame's time went
PHASES = ("FireAnimationFrame", "UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize", "Commit", "HitTest",
          "Decode Image", "EventDispatch", "TimerFire")


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    return round(sorted(values)[min(len(values) - 1, int(share * len(values)))], 1)


def _thread_names(events: list[dict]) -> dict[tuple[int, int], str]:
    return {(e["pid"], e["tid"]): e["args"]["name"] for e in events
            if e.get("ph") == "M" and e.get("name") == "thread_name"}


def _renderer_pid(events: list[dict], names: dict[tuple[int, int], str]) -> int:
    """The renderer whose main thread did the most (the page scrolled; other renderers idle)."""
    busy: Counter = Counter()
    for e in events:
        if e.get("ph") == "X" and e.get("name") == "RunTask" and names.get((e["pid"], e["tid"])) == MAIN_THREAD:
            busy[e["pid"]] += e.get("dur", 0)
    if not busy:
        raise ValueError("the trace has no renderer main-thread tasks: was it recorded with frame_trace.CATEGORIES?")
    return busy.most_common(1)[0][0]


def _per_vsync(tasks: list[dict], start: float, count: int, cpu: bool) -> list[float]:
    """Milliseconds of ``tasks`` (trace events) falling into each vsync interval from ``start``: wall time, or with
    ``cpu`` the thread's CPU time (``tdur``) spread over the task's wall span. On a loaded machine a task's wall time
    includes waiting for a core; its CPU time is the work the page asked for."""
    bins = [0.0] * count
    width = VSYNC_MS * 1000
    for task in tasks:
        begin, end = task["ts"], task["ts"] + task["dur"]
        scale = min(1.0, task.get("tdur", task["dur"]) / task["dur"]) if cpu and task["dur"] else 1.0
        first, last = int((begin - start) // width), int((end - start) // width)
        for index in range(max(0, first), min(count - 1, last) + 1):
            low, high = start + index * width, start + (index + 1) * width
            bins[index] += scale * max(0.0, min(end, high) - max(begin, low)) / 1000
    return bins


def frame_work(trace: bytes | str | dict) -> dict:
    """Per-frame rendering work of the busiest renderer in ``trace`` (JSON, as Playwright's stop_tracing gives it)."""
    data = json.loads(trace) if isinstance(trace, (bytes, str)) else trace
    events = data["traceEvents"] if isinstance(data, dict) else data
    names = _thread_names(events)
    pid = _renderer_pid(events, names)
    mine = [e for e in events if e.get("pid") == pid]
    main_tasks = [e for e in mine if e.get("ph") == "X" and e.get("name") == "RunTask"
                  and names.get((pid, e["tid"])) == MAIN_THREAD]
    raster = [e for e in mine if e.get("ph") == "X" and e.get("name") in RASTER_EVENTS
              and names.get((pid, e["tid"]), "").startswith(("ThreadPool", "CompositorTileWorker"))]
    # the window: from the first to the last main-thread frame (BeginMainFrame) of the scroll, or, where the
    # compositor scrolled alone (a page with nothing to update), the main thread's first to last task
    frames = [e for e in mine if e.get("ph") == "X" and e.get("name") == "ProxyMain::BeginMainFrame"]
    bounds = frames or main_tasks
    start, end = bounds[0]["ts"], max(e["ts"] + e["dur"] for e in bounds)
    count = max(1, int((end - start) // (VSYNC_MS * 1000)) + 1)
    figures: dict = {"vsyncs": count}
    for clock in ("wall", "cpu"):
        main = _per_vsync(main_tasks, start, count, clock == "cpu")
        rastered = _per_vsync(raster, start, count, clock == "cpu")
        both = [m + r for m, r in zip(main, rastered)]
        frame_ms = [(e.get("tdur", e["dur"]) if clock == "cpu" else e["dur"]) / 1000 for e in frames] or [0.0]
        figures.update({
            f"main_{clock}_ms_per_vsync_median": round(statistics.median(main), 1),
            f"main_{clock}_ms_per_vsync_p95": _percentile(main, .95),
            f"raster_{clock}_ms_per_vsync_p95": _percentile(rastered, .95),
            f"work_{clock}_ms_per_vsync_p95": _percentile(both, .95),
            f"vsyncs_over_16ms_{clock}_work_pct": round(100 * sum(w > VSYNC_MS for w in both) / count, 1),
            f"main_frame_{clock}_ms_median": round(statistics.median(frame_ms), 1),
            f"main_frame_{clock}_ms_p95": _percentile(frame_ms, .95)})
    display = [e for e in events if e.get("ph") == "X" and e.get("name") == "RunTask"
               and names.get((e["pid"], e["tid"])) == DISPLAY_THREAD]
    drawn = _per_vsync(display, start, count, True)
    figures["display_cpu_ms_per_vsync_median"] = round(statistics.median(drawn), 1)
    figures["display_cpu_ms_per_vsync_p95"] = _percentile(drawn, .95)
    skipped = Counter(e.get("args", {}).get("FrameSkippedReason") for e in mine
                      if e.get("name") == "LayerTreeHostImpl::DidNotProduceFrame" and start <= e["ts"] <= end)
    figures["vsyncs_waiting_on_main_pct"] = round(100 * skipped["kWaitingOnMain"] / count, 1)
    figures["vsyncs_no_damage_pct"] = round(100 * skipped["kNoDamage"] / count, 1)
    # pictures asked for during the scroll and the CPU their decoding took (raster workers)
    figures["image_requests"] = sum(
        1 for e in mine if e.get("name") == "ResourceSendRequest" and start <= e["ts"] <= end
        and e.get("args", {}).get("data", {}).get("initiator", {}).get("fetchType") == "img")
    figures["image_decode_cpu_ms"] = round(sum(
        e.get("tdur", e["dur"]) for e in raster if e["name"] == "ImageDecodeTask" and start <= e["ts"] <= end) / 1000, 1)
    phases: defaultdict = defaultdict(float)
    for e in mine:
        if e.get("ph") == "X" and e.get("name") in PHASES and names.get((pid, e["tid"])) == MAIN_THREAD:
            phases[e["name"]] += e.get("tdur", e["dur"]) / 1000  # CPU time
    # one report per compositor frame (a frame the main thread's update forked from is reported twice)
    begun = (e["args"]["frame_reporter"] for e in mine if e.get("name") == "PipelineReporter" and e.get("ph") == "b"
             and "frame_reporter" in e.get("args", {}) and start <= e["ts"] <= end)
    reports = list({(r.get("frame_source"), r.get("frame_sequence")): r for r in begun
                     if r.get("frame_type") != "FORKED"}.values())
    states = Counter(r.get("state") for r in reports if r.get("state") != "STATE_NO_UPDATE_DESIRED")
    shown = sum(states.values())
    return {**figures, "main_frames": len(frames), "compositor_frames": shown,
            "compositor_frames_dropped_pct": round(100 * states["STATE_DROPPED"] / max(1, shown), 1),
            "compositor_frames_partial_pct": round(100 * states["STATE_PRESENTED_PARTIAL"] / max(1, shown), 1),
            "compositor_frames_missing_content_pct": round(
                100 * sum(bool(r.get("has_missing_content") or r.get("checkerboarded_needs_raster")) for r in reports
                          if r.get("state") != "STATE_NO_UPDATE_DESIRED") / max(1, shown), 1),
            "main_ms_per_frame_by_phase": {name: round(ms / max(1, len(frames)), 2) for name, ms in
                                           sorted(phases.items(), key=lambda item: -item[1])}}
