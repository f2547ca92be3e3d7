"""Why two drawn characters are cut as one (issue #13): the composites of bench/composites.py through the real
``instances`` core and the automatic filter; for every character lost as ``merged`` (its best KEPT cut-out under IoU
0.8 with at least a tenth of it on another character) the cues its frame held on it. Prints JSON.

Per merged character: ``partner`` (the other character the cut holds most of) and ``area_vs_partner`` (its visible
pixels over the partner's); ``stands`` (``in_front``: it hides part of the partner, ``behind``: the partner hides part
of it, ``beside``: neither); ``face`` and ``weak_face`` (the best trusted and weak YuNet / AnimeFace score whose box's
centre lies on it, None when none does); ``own_box`` (the best IoU of a person, toy or object box with its own box,
among the boxes that fit it better than the box round it and its partner) and ``pair_box`` (the best IoU of a box
with that box round both); ``tops_cut`` (the share of its columns where the cut's topmost pixel is its own: its head
on the cut's silhouette, 0 when the partner covers it from above). ``counts``: how many merged characters have each
cue (a trusted face, a weak face from 0.2, a box of their own at IoU 0.5, their head topping the cut over half their
columns), how many none of them, and how many stand in front, behind or beside.

Usage: .venv/bin/python bench/merged_pairs.py [--scenes 32] [--seed 29] [--split tune] [--characters kenney]
       [--preset anime]
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

# the repository first (castforge's packages), the bench folder last: composites.py is found, and the bench's
# datasets.py never shadows Hugging Face's `datasets` (as bench/kenney_film.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from resources.paths import shared_dir  # noqa: E402

MIN_WEAK = 0.2  # a weak face from this score up counts as a cue (the weak faces' seeding floor, session 29)
OWN_BOX = 0.5  # a box at this IoU with the character's own box is its own


def box_of(mask) -> list[float]:
    import numpy as np

    ys, xs = np.nonzero(mask)
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


def box_iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def best_score_on(boxes, truth) -> float | None:
    """The best score (column 4) of ``boxes`` whose centre lies on ``truth`` (bool), None when none does."""
    height, width = truth.shape
    scores = [float(b[4]) for b in boxes
              if truth[min(height - 1, int((b[1] + b[3]) / 2)), min(width - 1, int((b[0] + b[2]) / 2))]]
    return round(max(scores), 3) if scores else None


def tops_cut(cut, truth) -> float:
    """Share of the columns where the cut holds ``truth`` in which the cut's topmost pixel is the character's."""
    import numpy as np

    columns = np.flatnonzero((cut & truth).any(axis=0))
    if columns.size == 0:
        return 0.0
    tops = cut[:, columns].argmax(axis=0)
    return round(float(truth[tops, columns].mean()), 3)


def stands(character, partner) -> str:
    """``in_front`` where ``character`` hides part of ``partner``, ``behind`` where the partner hides part of it."""
    if ((partner.full_alpha >= 0.5) & character.mask).any():
        return "in_front"
    if ((character.full_alpha >= 0.5) & partner.mask).any():
        return "behind"
    return "beside"


def merged_facts(scene, row: dict, cut, cues) -> dict:
    """The cues the frame held on one merged character (``row``: composites' scored row; ``cut`` its best kept mask)."""
    import numpy as np

    character = next(c for c in scene.characters if c.name == row["character"] and c.mask.sum() == row["visible_px"])
    others = [c for c in scene.characters if c is not character and c.mask.any()]
    partner = max(others, key=lambda c: int((c.mask & cut).sum()))
    truth = character.mask
    boxes = [[float(v) for v in b[:4]] for b in list(cues.bodies) + list(cues.toys) + list(cues.objects)]
    own, pair = box_of(truth), box_of(truth | partner.mask)
    return {"scene": row["scene"], "character": row["character"], "iou": row["iou"], "on_others": row["on_others"],
            "partner": partner.name, "area_vs_partner": round(float(truth.sum()) / max(1, int(partner.mask.sum())), 3),
            "stands": stands(character, partner), "face": best_score_on(cues.faces, truth),
            "weak_face": best_score_on(cues.weak_faces, truth),
            "own_box": round(max((box_iou(own, b) for b in boxes if box_iou(own, b) > box_iou(pair, b)),
                                 default=0.0), 3),
            "pair_box": round(max((box_iou(pair, b) for b in boxes), default=0.0), 3),
            "tops_cut": tops_cut(cut, truth), "occluded_fraction": row["occluded_fraction"],
            "visible_px": int(np.count_nonzero(truth))}


def counts(rows: list[dict]) -> dict:
    cue = {"face": lambda r: r["face"] is not None,
           "weak_face": lambda r: (r["weak_face"] or 0.0) >= MIN_WEAK,
           "own_box": lambda r: r["own_box"] >= OWN_BOX,
           "tops_cut": lambda r: r["tops_cut"] >= 0.5}
    out = {"merged": len(rows), **{name: sum(map(test, rows)) for name, test in cue.items()},
           "no_cue": sum(1 for r in rows if not any(test(r) for test in cue.values()))}
    out.update({f"stands_{s}": sum(1 for r in rows if r["stands"] == s) for s in ("in_front", "behind", "beside")})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=32)
    parser.add_argument("--seed", type=int, default=29)
    parser.add_argument("--split", default="tune", choices=["tune", "held_out"])
    parser.add_argument("--characters", default="kenney", choices=["shared", "kenney"])
    parser.add_argument("--preset", default="anime")
    args = parser.parse_args()
    if shared_dir() is None:
        sys.exit("../shared (or CASTFORGE_SHARED) with media/characters_rgba and the videos is needed")
    os.environ.setdefault("CASTFORGE_MODELS", str(shared_dir() / "models"))
    import cv2

    from assets.instances.composites import loss_cause, score_scene
    from resources.segmenter import SegmenterResource

    import composites as bench  # bench/composites.py, a sibling script

    scenes, shots = bench.build_scenes(args.split, args.scenes, args.seed, character_set=args.characters)
    preset = bench.preset_sections(args.preset)
    anime_faces = bool(preset.get("instances", {}).get("anime_faces"))
    cue_models = SegmenterResource(backend="characters", anime_faces=anime_faces).cue_models()
    read = lambda p: cv2.cvtColor(cv2.imread(p, cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)  # noqa: E731
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        _, decided, _, _ = bench.cut_frames([s.rgb for s in scenes], shots, Path(tmp), "characters", preset,
                                            anime_faces)
        for n, scene in enumerate(scenes):
            masks, alphas, any_masks, _ = bench.frame_masks(decided, f"scene{n:04d}", scene.rgb.shape[:2], read)
            scored = [(row, best["iou"]) for row, best in zip(score_scene(scene, masks, alphas),
                                                               score_scene(scene, any_masks))]
            lost = [row for row, iou_any in scored if loss_cause(row, iou_any) == "merged"]
            cues = cue_models(scene.rgb, anime_faces) if lost else None
            rows += [merged_facts(scene, {**row, "scene": n}, masks[row["match"]], cues) for row in lost]
    print(json.dumps({"seed": args.seed, "scenes": args.scenes, "split": args.split, "characters": args.characters,
                      "preset": args.preset, "counts": counts(rows), "merged": rows}, indent=2,
                     default=lambda value: value.item()))  # numpy scalars


if __name__ == "__main__":
    main()
