"""Views of a real film's cut-outs against labels made by eye (issue #12 / #13): ``pose_subclusters``' view of every
identified cut-out scored right / wrong (of them far: two turns off, front for back) / none per true view, as
bench/kenney_views.py scores the Kenney films, whose held-out eight have no front and no profile.

The labels are a CSV (``#`` lines are comments) of ``instance_id,view,note``; ``view`` is front / three_quarter /
profile / back in the Kenney bench's sense (three-quarter: the face turned so it sits off the head's middle, one
ear shows; profile: one eye, the nose's outline; back: no face) or ``unclear`` (a cut-out too partial or ambiguous
to say), counted apart with the views the stage said of them. Instance ids are the cut-outs of the commit the CSV's
header names: a labelled cut-out the home does not identify is ``not_identified``, an identified one the CSV does not
hold ``unlabelled`` (both counted, neither scored), so a home cut by other code shows how far its ids still land.
``bench/data/penny_chip_views_s53.csv`` labels Penny & Chip (``penny_and_chip_26shots_480p.mp4``, ``--film pc``).

Usage: .venv/bin/python bench/labelled_views.py HOME FILM LABELS.csv [--rows] [--sure-only]
       (HOME: a materialised home with ``pose_subclusters``)
"""

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from kenney_views import tally, verdict  # noqa: E402  (bench/ on the path above)

LABELLED_VIEWS = ("front", "three_quarter", "profile", "back")
UNCLEAR = "unclear"


def read_labels(path: Path, sure_only: bool = False) -> dict[str, str]:
    """instance_id -> labelled view (one of LABELLED_VIEWS or ``unclear``); an unknown view is an error. With
    ``sure_only`` the labels whose note says ``doubtful`` (a close call) are left out."""
    lines = [line for line in Path(path).read_text().splitlines() if line.strip() and not line.startswith("#")]
    labels = {}
    for row in csv.DictReader(lines):
        view = row["view"].strip()
        if view not in (*LABELLED_VIEWS, UNCLEAR):
            raise ValueError(f"{path}: {row['instance_id']} has view {view!r}, not one of "
                             f"{(*LABELLED_VIEWS, UNCLEAR)}")
        if row["instance_id"] in labels:
            raise ValueError(f"{path}: {row['instance_id']} is labelled twice")
        if not (sure_only and "doubtful" in (row.get("note") or "")):
            labels[row["instance_id"]] = view
    return labels


def score(poses: list[dict], labels: dict[str, str]) -> dict:
    """Score ``poses`` (dicts with instance_id, view, view_source: the stage's rows) against ``labels``: the Kenney
    bench's tally over the labelled views, plus the unclear ones (the views said of them), the identified cut-outs
    without a label and the labelled ones the home does not identify. Returns the figures and the scored rows."""
    identified = {r["instance_id"] for r in poses}
    rows, unclear, unlabelled = [], Counter(), 0
    for pose in poses:
        truth = labels.get(pose["instance_id"])
        if truth is None:
            unlabelled += 1
        elif truth == UNCLEAR:
            unclear[pose["view"]] += 1
        else:
            rows.append({"instance_id": pose["instance_id"], "true_view": truth, "view": pose["view"],
                         "source": pose["view_source"], "verdict": verdict(pose["view"], truth)})
    figures = {**tally(rows, LABELLED_VIEWS), "unclear": {"n": sum(unclear.values()), "said": dict(unclear)},
               "unlabelled": unlabelled, "not_identified": sum(i not in identified for i in labels)}
    return {"figures": figures, "rows": rows}


def home_poses(home: Path, film: str) -> list[dict]:
    """The stage's view and view source of every identified cut-out of ``film`` in ``home``."""
    import os

    from resources.storage import FilmWorkspace

    os.environ["CASTFORGE_HOME"] = str(home)
    table = FilmWorkspace(film, Path(home)).read_table("poses")
    return table.select("instance_id", "view", "view_source").to_dicts()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("film")
    parser.add_argument("labels", type=Path)
    parser.add_argument("--rows", action="store_true", help="also print every scored cut-out")
    parser.add_argument("--sure-only", action="store_true",
                        help="leave out the labels whose note says doubtful (they count as unlabelled)")
    args = parser.parse_args()
    scored = score(home_poses(args.home, args.film), read_labels(args.labels, args.sure_only))
    print(json.dumps({**scored["figures"], **({"rows": scored["rows"]} if args.rows else {})}, indent=1))


if __name__ == "__main__":
    main()
