"""``preset: auto``'s decisions on whole videos, film and shots, without running the graph (issue 12): the film's
style from ``resources/style.sample_frames`` (12 frames), then each shot's from three of its frames (10-90 % of it)
measured against the film's style, as measured_shot_styles does. Shots: a bench/kenney_film.py build's plan
(``truth/film.json`` beside the video) or PySceneDetect's ContentDetector. Prints JSON per video: the film's preset,
figures and reason, each shot's call (``A`` anime, ``3`` 3d, ``-`` too bare to tell) and cel-fill share, and the
CPU seconds the measures took.

    PYTHONPATH=$PWD .venv/bin/python bench/style_shots.py VIDEO [VIDEO ...]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from style_heights import frames_at, picks  # noqa: E402


def plan_picks(video: Path) -> list[list[int]] | None:
    """Three frame numbers a shot from a kenney_film build's plan, None without one."""
    plan = video.parent / "truth" / "film.json"
    if not plan.exists():
        return None
    shots, start = [], 0
    for shot in json.loads(plan.read_text())["shots"]:
        count = shot["frames"]
        shots.append(np.unique(np.linspace(start + count * 0.1, start + count * 0.9 - 1, 3).astype(int)).tolist())
        start += count
    return shots


def report(video: Path) -> dict:
    import inspect

    from resources import style

    shots = plan_picks(video) or picks(video)
    frames = frames_at(video, {i for shot in shots for i in shot})
    started = time.process_time()
    film = style.measure_style(style.sample_frames(video))
    shot_frames = [[frames[i] for i in shot if i in frames] for shot in shots]
    against = (film.preset,) * (2 if "film_style" in inspect.signature(style.shot_style).parameters else 1)
    decided = [style.shot_style(images, *against) for images in shot_frames]   # (a tree before session 24: 1)
    seconds = time.process_time() - started
    calls = [("A" if d.preset == "anime" else "3") if d.measured else "-" for d in decided]
    try:
        from resources.cel_fills import cel_fill_share
    except ImportError:
        cel_fill_share = None
    fills = [round(float(np.median([cel_fill_share(style._small(f)) for f in images])), 4)
             if images and cel_fill_share else None for images in shot_frames]
    return {"film": film.preset, "cel_fills": getattr(film, "cel_fills", None), "reason": film.reason, "shots": "".join(calls),
            "shots_anime": f"{calls.count('A')} of {len(calls) - calls.count('-')} told",
            "shot_cel_fills": fills, "cpu_s": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("videos", type=Path, nargs="+")
    args = parser.parse_args()
    print(json.dumps({str(v): report(v) for v in args.videos}, indent=1))


if __name__ == "__main__":
    main()
