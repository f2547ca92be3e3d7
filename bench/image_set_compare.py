"""Two runs of one image set (bench/anime_image_set.py build), compared on the characters both runs found: the
labelled BCubed of each run over the (image, character) pairs both cut out, then the pairs only one found.

``anime_image_set.py eval`` scores the instances a run's cut-outs label, so its labelled F moves when a change finds
a character more (a row in noise lowers recall, a row in a merged identity precision) as well as when the identity
step places a row differently; "every pasted" F counts a missed character as noise and moves with both too. Session
28 (h1) found a README figure apart from a fresh run's by that mix alone (docs/anime_2d.md); this reads the two
apart: the figure on the common pairs moves only with the identities, the pairs only one run found are the finding.

``image_set_compare.py HOME_A FILM_A HOME_B FILM_B DIR``: the homes after ``castforge ingest DIR --film FILM`` and
``castforge materialize FILM --select identity_clusters``, each made by the tree to compare (a worktree per commit).
"""

import argparse
import json
import sys
from pathlib import Path

import polars as pl

sys.path.append(str(Path(__file__).resolve().parent))   # last: bench/datasets.py never shadows Hugging Face's
from anime_image_set import bcubed, kenney_masks, label  # noqa: E402


def labelled_pairs(home: str, film: str, folder: str) -> dict[tuple[str, str], str]:
    """(image, character) -> the identity of the one kept instance labelled that character in that image ('noise:'
    and the instance id for noise, a cluster of its own as eval counts it); pairs labelled twice are left out."""
    truth = json.load(open(folder.rstrip("/") + ".truth.json"))
    tables = Path(home) / "films" / film / "tables"
    frames = pl.read_parquet(tables / "frames.parquet")
    instances = pl.read_parquet(tables / "filtered_instances.parquet")
    identity = dict(pl.read_parquet(tables / "identity_clusters.parquet").select("instance_id", "identity").iter_rows())
    source = dict(frames.select("frame_id", "source").iter_rows())
    masks = (kenney_masks(home, film, folder, truth, frames)
             if any(len(c) == 3 for t in truth.values() for c in t["chars"]) else None)
    found: dict[tuple[str, str], list[str]] = {}
    for row in instances.filter(pl.col("kept")).iter_rows(named=True):
        image = source[row["frame_id"]]
        character = label(truth, row, image, masks)
        if character:
            ident = identity.get(row["instance_id"])
            found.setdefault((image, character), []).append(
                ident if ident not in (None, "noise") else "noise:" + row["instance_id"])
    return {pair: ids[0] for pair, ids in found.items() if len(ids) == 1}


def compare(a: dict[tuple[str, str], str], b: dict[tuple[str, str], str]) -> dict:
    """Each run's labelled P / R / F over all its pairs and over the pairs both found, and the pairs only one found."""
    common = sorted(set(a) & set(b))

    def scores(rows: dict, pairs: list) -> list[float]:
        return [round(v, 3) for v in bcubed([(pair[1], rows[pair]) for pair in pairs])] if pairs else []

    return {"labelled": {"a": len(a), "b": len(b), "common": len(common)},
            "a": {"all": scores(a, sorted(a)), "common": scores(a, common)},
            "b": {"all": scores(b, sorted(b)), "common": scores(b, common)},
            "only_a": [[*pair, a[pair].split(":")[0]] for pair in sorted(set(a) - set(b))],
            "only_b": [[*pair, b[pair].split(":")[0]] for pair in sorted(set(b) - set(a))]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home_a"); parser.add_argument("film_a")
    parser.add_argument("home_b"); parser.add_argument("film_b")
    parser.add_argument("folder", help="the set, as bench/anime_image_set.py build wrote it (DIR.truth.json beside it)")
    args = parser.parse_args()
    print(json.dumps(compare(labelled_pairs(args.home_a, args.film_a, args.folder),
                             labelled_pairs(args.home_b, args.film_b, args.folder))))
