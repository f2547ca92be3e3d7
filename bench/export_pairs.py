"""Export items holding two characters on Kenney films (issue #13, docs/datasets.md session 45): of each head home's
identified instances, through the export's screening (``datasets.core.screen_candidates``: unreadable cut-outs,
``holds_another_character``, near-duplicates), how many the export keeps and how many of those hold two characters,
with the test off (``other_character_share -1``) and at ``--share``; and what the test skipped: holding two, unfit
(holding two, or >= 5% of its pixels another character's, or showing only a character other than its identity's
majority) and clean. Truth from the film's (``bench/kenney_film.py``): a cut holds two when it covers >= 30% of two
characters' visible pixels. Prints JSON.

Usage: .venv/bin/python bench/export_pairs.py HOME FILMDIR [HOME FILMDIR ...] [--share 0.04]
"""

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

# the repository first, the bench folder last (its datasets.py must not shadow Hugging Face's, as kenney_film.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

COVER = 0.3        # a cut holds a character when it covers this share of its visible pixels
PART = 0.05        # ... and holds part of another when that other's pixels are this share of the cut


def instance_truth(home: Path, filmdir: Path) -> dict[str, dict]:
    """instance_id -> {kind: merged | one | none, main: the character most of it shows, part: second share}."""
    import kenney_film_scores as scores
    from kenney_film import FilmTruth
    from resources.storage import FilmWorkspace

    truth, workspace = FilmTruth(filmdir), FilmWorkspace("kf", home)
    shape = (truth.meta["height"], truth.meta["width"])
    frames = workspace.read_table("frames").filter(pl.col("kept"))
    kept = workspace.read_table("filtered_instances").filter(pl.col("kept"))
    out = {}
    for frame in frames.iter_rows(named=True):
        characters = [(c[0], c[1] > 0.5) for c in truth.characters(frame["frame_index"])]
        for row in kept.filter(pl.col("frame_id") == frame["frame_id"]).iter_rows(named=True):
            mask = scores.read_mask(workspace.absolute(row["mask_path"]), shape)
            covers = [n for n, a in characters if a.sum() and (mask & a).sum() / a.sum() >= COVER]
            owned = sorted(((mask & a).sum() / max(mask.sum(), 1), n) for n, a in characters)[::-1] + [(0, None)] * 2
            out[row["instance_id"]] = {"kind": "merged" if len(covers) >= 2 else ("one" if covers else "none"),
                                       "main": owned[0][1], "part": float(owned[1][0])}
    return out


def film_counts(home: Path, filmdir: Path, share: float) -> dict[str, dict]:
    from assets.datasets.core import screen_candidates
    from assets.datasets.params import DatasetParams
    from assets.pose.selection import read_identified_instances
    from resources.storage import FilmWorkspace

    os.environ["CASTFORGE_HOME"] = str(home)
    workspace = FilmWorkspace("kf", home)
    candidates = read_identified_instances(workspace)
    truth = instance_truth(home, filmdir)
    majority = {}
    for identity, group in candidates.group_by("identity"):
        mains = Counter(truth.get(i, {}).get("main") for i in group["instance_id"])
        majority[identity[0]] = mains.most_common(1)[0][0]

    def unfit(row: dict) -> bool:
        t = truth.get(row["instance_id"], {"kind": "none", "main": None, "part": 0.0})
        return t["kind"] == "merged" or t["part"] >= PART or t["main"] != majority[row["identity"]]

    out = {}
    for name, value in (("off", -1.0), ("on", share)):
        kept, skipped = screen_candidates(candidates, DatasetParams(other_character_share=value),
                                          workspace.absolute, workers=1)
        held = {d["instance_id"] for d in skipped if d["rule"] == "holds_another_character"}
        rows = {r["instance_id"]: r for r in candidates.iter_rows(named=True)}
        two = [truth.get(i, {}).get("kind") == "merged" for i in kept["instance_id"]]
        out[name] = {"kept": kept.height, "kept_holding_two": int(np.sum(two)),
                     "kept_unfit": int(sum(unfit(r) for r in kept.iter_rows(named=True))),
                     "skipped": len(held),
                     "skipped_holding_two": sum(truth.get(i, {}).get("kind") == "merged" for i in held),
                     "skipped_unfit": sum(unfit(rows[i]) for i in held)}
        out[name]["skipped_clean"] = out[name]["skipped"] - out[name]["skipped_unfit"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="+", metavar="HOME FILMDIR", help="a head home and its built film, repeated")
    parser.add_argument("--share", type=float, default=0.04, help="other_character_share with the test on")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("HOME and FILMDIR come in pairs")
    films = {Path(f).name: film_counts(Path(h), Path(f), args.share) for h, f in zip(args.pairs[::2], args.pairs[1::2])}
    total = {k: {m: sum(f[k][m] for f in films.values()) for m in films[next(iter(films))][k]} for k in ("off", "on")}
    for counts in total.values():
        counts["share_holding_two"] = round(counts["kept_holding_two"] / max(counts["kept"], 1), 3)
        counts["share_unfit"] = round(counts["kept_unfit"] / max(counts["kept"], 1), 3)
    print(json.dumps({"share": args.share, "total": total, "films": films}, indent=1))


if __name__ == "__main__":
    main()
