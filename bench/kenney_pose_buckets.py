"""Pose buckets of drawn characters against the truth (issue #13): per identity, how ``pose_subclusters``' buckets
group the poses the Kenney characters of a Kenney film (bench/kenney_film.py) truly hold.

Every identified cut-out that shows a character (its character of best mask IoU and that character's pose in that
film frame: bench/kenney_views.py's ``view_rows``) gets two truths: its pose **class** (idle, walk, jump, fall,
climb: the walk drawings are one walk, the two climb drawings one climb) and its **drawing** (the sprite: walk0,
walk2, ...; a mirrored drawing is the same drawing, as a walk to the left and one to the right are one pose). Per
identity (buckets are per identity) the buckets are scored against each truth: homogeneity / completeness /
V-measure (sklearn) and BCubed precision / recall / F, the noise cut-outs one bucket (the ``<label>_noise``
folder the stage writes beside ``<label>_pose_NNN``), beside the number of buckets and the noise share. Means over identities are weighted by their cut-outs;
``mixed`` is the same over the identities whose cut-outs hold two classes or more (one class scores homogeneity 1
whatever the buckets do), and ``one_bucket`` what a single bucket per identity would score (BCubed F: the bar a
bucketing must clear to mean anything).

Usage: .venv/bin/python bench/kenney_pose_buckets.py HOME FILM OUT [HOME FILM OUT ...]
       (HOME: a materialised home with ``pose_subclusters``; OUT: the film's folder holding truth/film.json)
"""

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

NOISE = "noise"
TRUTHS = ("class", "drawing")


def pose_class(pose: str) -> str:
    """idle / walk / jump / fall / climb of a Kenney pose name (walk0-7 and climb0-1 are one class each)."""
    return pose.rstrip("0123456789")


def bucket_rows(home: Path, film: str, out: Path) -> list[dict]:
    """``view_rows`` (one per identified cut-out showing a character) with its identity, pose bucket and truths."""
    from kenney_views import view_rows

    from resources.storage import FilmWorkspace

    rows = view_rows(home, film, out)
    poses = FilmWorkspace(film, Path(home)).read_table("poses")
    bucket = {i: (str(identity), b) for i, identity, b in
              zip(poses["instance_id"], poses["identity"], poses["pose_bucket"])}
    return [{**r, "identity": bucket[r["instance_id"]][0], "bucket": bucket[r["instance_id"]][1],
             "class": pose_class(r["pose"]), "drawing": r["pose"]} for r in rows]


def grouping(truth: list[str], buckets: list[str]) -> dict:
    """Homogeneity / completeness / V-measure and BCubed P / R / F of ``buckets`` against ``truth`` (the noise
    items one bucket, as the stage's noise folder holds them)."""
    from sklearn.metrics import homogeneity_completeness_v_measure

    from assets.faces.identity_eval import bcubed

    h, c, v = homogeneity_completeness_v_measure(truth, buckets)
    scores = bcubed(buckets, truth, noise=None)
    return {"homogeneity": round(h, 4), "completeness": round(c, 4), "v_measure": round(v, 4),
            "precision": scores["precision"], "recall": scores["recall"], "f": scores["f"],
            "one_bucket_f": bcubed(["one"] * len(truth), truth)["f"]}


def identity_scores(rows: list[dict]) -> dict:
    """One identity's cut-outs: counts, buckets, noise share and the grouping against each truth."""
    buckets = [r["bucket"] for r in rows]
    return {"items": len(rows), "buckets": len({b for b in buckets if b != NOISE}),
            "noise_share": round(buckets.count(NOISE) / len(rows), 4),
            "classes": dict(sorted(_count(r["class"] for r in rows).items())),
            **{truth: grouping([r[truth] for r in rows], buckets) for truth in TRUTHS}}


def _count(values) -> dict:
    counts: dict = defaultdict(int)
    for v in values:
        counts[v] += 1
    return dict(counts)


def weighted_means(identities: list[dict]) -> dict:
    """Item-weighted means of every figure over ``identities``, and how many identities and items they hold."""
    n = sum(i["items"] for i in identities)
    if not n:
        return {"identities": 0, "items": 0}

    def mean(get) -> float:
        return round(sum(get(i) * i["items"] for i in identities) / n, 4)

    return {"identities": len(identities), "items": n, "buckets": mean(lambda i: i["buckets"]),
            "noise_share": mean(lambda i: i["noise_share"]),
            **{truth: {k: mean(lambda i, k=k: i[truth][k]) for k in identities[0][truth]} for truth in TRUTHS}}


def summary(rows: list[dict]) -> dict:
    """Per identity scores and their weighted means, over all identities and over the ``mixed`` ones."""
    by_identity = defaultdict(list)
    for r in rows:
        by_identity[r["identity"]].append(r)
    identities = {k: identity_scores(v) for k, v in sorted(by_identity.items())}
    return {"all": weighted_means(list(identities.values())),
            "mixed": weighted_means([i for i in identities.values() if len(i["classes"]) >= 2]),
            "identities": identities}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="HOME FILM OUT",
                        help="one or more (home, film, film folder) triples")
    args = parser.parse_args()
    if len(args.runs) % 3:
        parser.error("give HOME FILM OUT triples")
    films, every = {}, []
    for home, film, out in zip(*[iter(args.runs)] * 3):
        scored = summary(bucket_rows(Path(home), film, Path(out)))
        films[str(home)] = scored
        every += [{**i, "film": str(home)} for i in scored["identities"].values()]
    print(json.dumps({"films": films,
                      "total": {"all": weighted_means(every),
                                "mixed": weighted_means([i for i in every if len(i["classes"]) >= 2])}}, indent=1))


if __name__ == "__main__":
    main()
