"""Views of drawn characters against the truth (issue #13): ``pose_subclusters``' view of every identified cut-out
of a Kenney film (bench/kenney_film.py) scored right / wrong / none per true view.

Each Kenney pose shows one view, labelled once by eye on the sprites (the wheel's 13 poses of each of the six
characters look alike): ``idle`` faces the camera (front); ``jump``, ``fall`` and the walk cycle turn the head and
body a quarter towards the side they move to (three_quarter: one ear shows, the face sits off the head's middle);
``climb0`` / ``climb1`` show the back of the head (back). No pose is a profile. A mirrored character shows the
same view. A cut-out is the character of best mask IoU (bench/kenney_film_scores.py's ``instance_labels``, from
IoU 0.2 on), and its true view the pose that character holds in that film frame (a walk drawing is held
kenney_film.WALK_DRAWING_FRAMES frames). "none" is the stage's ``unknown``: no view said, which is not wrong.

Usage: .venv/bin/python bench/kenney_views.py HOME FILM OUT [HOME FILM OUT ...]
       (HOME: a materialised home with ``pose_subclusters``; OUT: the film's folder holding truth/film.json)
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

VIEW_OF_POSE = {"idle": "front", "jump": "three_quarter", "fall": "three_quarter",
                **{f"walk{k}": "three_quarter" for k in range(8)}, "climb0": "back", "climb1": "back"}
TRUE_VIEWS = ("front", "three_quarter", "back")
UNKNOWN = "unknown"


def pose_at(shot: dict, character: str, frame_index: int) -> str:
    """The pose ``character`` holds at film frame ``frame_index`` of ``shot`` (kenney_film.render_shot's cycle)."""
    from kenney_film import WALK_DRAWING_FRAMES

    local = frame_index - shot["start_frame"]
    poses = next(c["poses"] for c in shot["characters"] if c["character"] == character)
    return poses[(local // WALK_DRAWING_FRAMES) % len(poses)]


def verdict(said: str, truth: str) -> str:
    """right / wrong / none of one said view against the true one."""
    if said in (UNKNOWN, None):
        return "none"
    return "right" if said == truth else "wrong"


def far(said: str, truth: str) -> bool:
    """A wrong view two or more turns away (front for back, back for three_quarter): the views run front,
    three_quarter, profile, back, and a neighbour (front for a slight three-quarter turn) is the lesser error."""
    order = ("front", "three_quarter", "profile", "back")
    return said in order and abs(order.index(said) - order.index(truth)) >= 2


def tally(rows: list[dict], true_views: tuple[str, ...] = TRUE_VIEWS) -> dict:
    """right / wrong (of them far: two or more turns off) / none counts and shares per true view (``true_views``) and
    over all; the confusion (true -> said) and the same counts per view source (face / keypoints / none)."""
    def counts(subset: list[dict]) -> dict:
        found = Counter(r["verdict"] for r in subset)
        n = len(subset)
        said = n - found["none"]
        return {"n": n, "right": found["right"], "wrong": found["wrong"], "none": found["none"],
                "wrong_far": sum(far(r["view"], r["true_view"]) for r in subset),
                "right_share": round(found["right"] / n, 3) if n else None,
                "wrong_of_said": round(found["wrong"] / said, 3) if said else None}

    return {"all": counts(rows),
            "by_true_view": {v: counts([r for r in rows if r["true_view"] == v]) for v in true_views},
            "by_source": {s: counts([r for r in rows if r["source"] == s])
                          for s in sorted({r["source"] for r in rows})},
            "confusion": {v: dict(Counter(r["view"] for r in rows if r["true_view"] == v).most_common())
                          for v in true_views}}


def view_rows(home: Path, film: str, out: Path) -> list[dict]:
    """One row per identified cut-out that shows a character: its character, pose, true view, said view, source."""
    import os

    import polars as pl

    from kenney_film import FilmTruth
    from kenney_film_scores import instance_labels, read_mask
    from resources.storage import FilmWorkspace

    os.environ["CASTFORGE_HOME"] = str(home)
    truth = FilmTruth(out)
    workspace = FilmWorkspace(film, Path(home))
    poses = workspace.read_table("poses").select("instance_id", "frame_id", "view", "view_source")
    instances = workspace.read_table("filtered_instances").select("instance_id", "frame_id", "mask_path")
    frames = workspace.read_table("frames").select("frame_id", "frame_index")
    table = poses.join(instances.drop("frame_id"), on="instance_id").join(frames, on="frame_id")
    shape = (truth.meta["height"], truth.meta["width"])
    rows = []
    for (index,), group in table.sort("frame_index", "instance_id").group_by(["frame_index"], maintain_order=True):
        shot = truth.shot_of(index)
        characters = [(name, mask) for name, mask, _, _ in truth.characters(index)]
        masks = [read_mask(workspace.absolute(p), shape) for p in group["mask_path"]]
        for row, (name, iou) in zip(group.iter_rows(named=True), instance_labels(masks, characters)):
            if name is None:
                continue
            pose = pose_at(shot, name, index)
            rows.append({"instance_id": row["instance_id"], "frame_index": index, "character": name, "pose": pose,
                         "iou": iou, "true_view": VIEW_OF_POSE[pose], "view": row["view"],
                         "source": row["view_source"], "verdict": verdict(row["view"], VIEW_OF_POSE[pose])})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="HOME FILM OUT",
                        help="one or more (home, film, film folder) triples")
    parser.add_argument("--rows", action="store_true", help="also print every scored cut-out")
    args = parser.parse_args()
    if len(args.runs) % 3:
        parser.error("give HOME FILM OUT triples")
    films, every = {}, []
    for home, film, out in zip(*[iter(args.runs)] * 3):
        rows = view_rows(Path(home), film, Path(out))
        films[str(home)] = {**tally(rows), **({"rows": rows} if args.rows else {})}
        every += rows
    print(json.dumps({"films": films, "total": tally(every)}, indent=1))


if __name__ == "__main__":
    main()
