"""Identity quality where the truth is labelled by hand. Prints JSON.

1. A film already taken through ``filtered_instances`` and ``faces`` (default: the Sintel trailer) against
   ``bench/data/sintel_trailer_identities.csv``: one row per labelled kept instance (``timestamp_s, x, y, identity``:
   the key frame's time and a point inside the instance's box, so the labels survive changes of instance ids;
   labelled from the cut-outs by eye; ``background`` marks fragments that are no character;
   ``bench/data/sintel_cut_14_36_identities.csv`` labels the held-out 14-36 s cut at 640x272 the same way, ``other``
   marking cut-outs that hold two characters). identity_clusters'
   own ``assign_identities`` runs with and without tracks; purity, coverage and BCubed are reported on the
   labelled instances with a face and on all labelled instances, plus identities made mostly of background.
2. A second film labelled by instance id (default ``pc``: the 26 Penny & Chip clips, 2D, taken through
   ``face_embeddings``; bench/data/penny_and_chip_instances.csv), scored apart on the labelled instances before
   ``--held-out-split-s`` (looked at while tuning) and after it (held out), with the identities parameters of its
   last identity_clusters run (the thresholds set for the face model its faces were embedded with).
3. BCubed F on real photographs of people never tuned on: ../shared/media/faces/knn_examples (train/<person>/ and
   the single-person test photos), faces found and embedded by the offline face analyzer.

    CASTFORGE_HOME=... .venv/bin/python bench/identities.py [--film sintel_trailer_480x204] [--labels CSV]
        [--preset 3d] [--knn ../shared/media/faces/knn_examples] [--min-cluster-size N]
        [--held-out-home HOME --held-out-film pc --held-out-labels CSV --held-out-preset recorded|PRESET]
"""

import argparse
import json
import os
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.faces.core import embedding_matrix  # noqa: E402
from assets.identities.assignment import assign_identities  # noqa: E402
from assets.identities.core import NOISE, IdentityParams  # noqa: E402
from assets.identities.evaluate import scores  # noqa: E402
from assets.identities.prototypes import best_faces  # noqa: E402

HERE = Path(__file__).resolve().parent
SINGLE_PERSON_TEST = {"alex_lacamoire1.jpg": "alex_lacamoire", "johnsnow_test1.jpg": "kit_harington",
                      "obama1.jpg": "obama"}


def label_by_point(instances: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """``instance_id, label``: for each label row, the instance of that key frame whose box holds the point
    (the nearest box centre when several do)."""
    rows = []
    for t, x, y, identity in labels.select("timestamp_s", "x", "y", "identity").iter_rows():
        found = instances.filter((pl.col("timestamp_s") - t).abs() < 0.02, pl.col("x0") <= x, pl.col("x1") >= x,
                                 pl.col("y0") <= y, pl.col("y1") >= y)
        if found.height:
            centre = ((found["x0"] + found["x1"]) / 2 - x) ** 2 + ((found["y0"] + found["y1"]) / 2 - y) ** 2
            rows.append((found["instance_id"][int(np.argmin(centre.to_numpy()))], identity))
    return pl.DataFrame(rows, schema={"instance_id": pl.String, "label": pl.String}, orient="row").unique(
        "instance_id", keep="first")


NOT_CHARACTERS = ("background", "other")  # fragments that are no character / none of the film's named characters


def read_truth(kept: pl.DataFrame, labels_csv: Path) -> pl.DataFrame:
    """``instance_id, label`` from either label format: ``timestamp_s, x, y, identity`` (a point in the instance's
    box; survives changes of instance ids) or ``instance_id, label[, face_label]`` (bench/faces_2d.py's film labels:
    an instance holding two characters takes the label of the face found in it, and is left out without one)."""
    labels = pl.read_csv(labels_csv)
    if "instance_id" not in labels.columns:
        return label_by_point(kept, labels)
    if "face_label" in labels.columns:
        labels = labels.with_columns(pl.coalesce("face_label", "label").alias("label"))
    return (labels.filter(pl.col("label") != "both").select("instance_id", "label")
            .join(kept.select("instance_id"), on="instance_id"))


def preset_params(preset: str | None, min_cluster_size: int | None) -> IdentityParams:
    """The identities parameters a film with ``preset`` runs with (defaults, then the preset's section)."""
    values: dict = {}
    if preset:
        import yaml

        values = (yaml.safe_load((HERE.parent / "configs" / "presets" / f"{preset}.yaml").read_text()) or {}).get(
            "identities", {})
    if min_cluster_size:
        values["min_cluster_size"] = min_cluster_size
    return IdentityParams.from_dict(values)


def recorded_params(home: Path, film: str) -> IdentityParams | None:
    """The identities parameters the film's last ``identity_clusters`` run used (its stage record), or None: a
    film whose faces were embedded by an earlier face model is judged with the thresholds set for that model."""
    record = home / "films" / film / "tables" / "identity_clusters.stage.json"
    if not record.exists():
        return None
    return IdentityParams.from_dict(json.loads(record.read_text()).get("params", {}))


def film_report(home: Path, film: str, labels_csv: Path, params: IdentityParams,
                windows: dict[str, tuple[float, float]] | None = None) -> dict:
    """Scores of ``assign_identities`` on the film's labelled instances; with ``windows`` (name -> (start, end)
    seconds), scored apart on the labelled instances of each window (the assignment always runs on the whole
    film), so one part can be tuned on and the other held out."""
    windows = windows or {"all": (0.0, float("inf"))}
    report: dict = {}
    for name, (start, end) in windows.items():
        report[name] = _film_window(home, film, labels_csv, params, start, end)
    return report if len(windows) > 1 else report[next(iter(windows))]


def _film_window(home: Path, film: str, labels_csv: Path, params: IdentityParams, start: float, end: float
                 ) -> dict:
    from resources.image_embedder import ImageEmbedderResource
    from resources.storage import FilmWorkspace

    from assets.identities.appearance import appearance_vectors

    workspace = FilmWorkspace(film, home)
    kept = workspace.read_table("filtered_instances").filter(pl.col("kept"))
    faces = workspace.read_table("faces")
    chosen = best_faces(faces, params)
    vectors = dict(zip(chosen["instance_id"].to_list(), embedding_matrix(chosen)))
    quality = dict(zip(chosen["instance_id"].to_list(), zip(chosen["quality"], chosen["gated"])))
    appearance = appearance_vectors(kept["path"].to_list(), ImageEmbedderResource().get(), workspace.absolute)
    times = kept.filter(pl.col("timestamp_s").is_between(start, end, closed="left"))["instance_id"]
    truth = read_truth(kept, labels_csv).filter(pl.col("instance_id").is_in(times.to_list()))
    ids = kept["instance_id"].to_list()
    report: dict = {"film": film, "window_s": [start, end if np.isfinite(end) else None], "kept_instances": kept.height, "labelled": truth.height,
                    "with_face": len(vectors), "gated_faces": int(chosen["gated"].sum())}
    for name, tracks in (("with_tracks", True), ("without_tracks", False)):
        result = assign_identities(ids, vectors, appearance, replace(params, tracks=tracks), quality, kept,
                                   face_detectors=dict(zip(chosen["instance_id"], chosen["detector"])))
        predicted = pl.DataFrame({"instance_id": ids,
                                  "identity": [f"g{v}" if v >= 0 else NOISE for v in result.labels],
                                  "by": result.by})
        pairs = truth.join(predicted, on="instance_id", how="left").with_columns(pl.col("identity").fill_null(NOISE))
        characters = pairs.filter(~pl.col("label").is_in(NOT_CHARACTERS))
        faced = characters.filter(pl.col("instance_id").is_in(list(vectors)))
        background_made = _background_identities(pairs)
        report[name] = {
            "faced_instances": _short(scores(faced)), "all_character_instances": _short(scores(characters)),
            "identities": len(result.groups), "identities_mostly_background": background_made,
            "stats": {k: v for k, v in result.stats.items() if isinstance(v, (int, float))},
            "by": dict(predicted.group_by("by").len().iter_rows()),
        }
    return report


def _background_identities(pairs: pl.DataFrame) -> int:
    counted = (pairs.filter(pl.col("identity") != NOISE).group_by("identity")
               .agg(pl.col("label").is_in(NOT_CHARACTERS).mean().alias("background")))
    return int(counted.filter(pl.col("background") > 0.5).height)


def _short(report: dict) -> dict:
    return {k: report[k] for k in ("labelled_instances", "purity", "coverage", "bcubed_precision", "bcubed_recall",
                                   "bcubed_f", "identities_predicted", "per_label") if k in report}


def photos_report(folder: Path, params: IdentityParams) -> dict:
    """One face per photo (the largest) from train/<person>/ and the single-person test photos."""
    from assets.faces.core import FaceParams, detect_faces
    from resources.face_analyzer import FaceAnalyzerResource

    photos = [(p, p.parent.name) for p in sorted((folder / "train").glob("*/*")) if p.is_file()]
    photos += [(folder / "test" / name, person) for name, person in SINGLE_PERSON_TEST.items()
               if (folder / "test" / name).exists()]
    import cv2

    frames, instances, truth = [], [], []
    for index, (path, person) in enumerate(photos):
        height, width = cv2.imread(str(path)).shape[:2]
        frame_id = f"photo{index:03d}"
        frames.append({"frame_id": frame_id, "path": str(path)})
        instances.append({"instance_id": frame_id, "frame_id": frame_id, "x0": 0, "y0": 0, "x1": width,
                          "y1": height})
        truth.append((frame_id, person))
    faces = detect_faces(pl.DataFrame(frames), pl.DataFrame(instances), FaceAnalyzerResource().get(),
                         FaceParams(), Path)
    chosen = best_faces(faces, params)
    vectors = dict(zip(chosen["instance_id"].to_list(), embedding_matrix(chosen)))
    quality = dict(zip(chosen["instance_id"].to_list(), zip(chosen["quality"], chosen["gated"])))
    ids = [i["instance_id"] for i in instances]
    result = assign_identities(ids, vectors, None, params, quality,
                               face_detectors=dict(zip(chosen["instance_id"], chosen["detector"])))
    pairs = pl.DataFrame({"instance_id": ids, "label": [t for _, t in truth],
                          "identity": [f"g{v}" if v >= 0 else NOISE for v in result.labels]})
    return {"folder": str(folder), "photos": len(ids), "people": len({t for _, t in truth}),
            "faces_found": len(vectors), **_short(scores(pairs))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("CASTFORGE_HOME", "~/.castforge")))
    parser.add_argument("--film", default="sintel_trailer_480x204")
    parser.add_argument("--labels", type=Path, default=HERE / "data" / "sintel_trailer_identities.csv")
    parser.add_argument("--preset", default=None, help="the film's preset (its identities section applies)")
    parser.add_argument("--held-out-home", type=Path, default=None, help="default: --home")
    parser.add_argument("--held-out-film", default="pc")
    parser.add_argument("--held-out-labels", type=Path, default=HERE / "data" / "penny_and_chip_instances.csv")
    parser.add_argument("--held-out-preset", default="recorded",
                        help="'recorded' (those of its last identity_clusters run, matching the face model its faces "
                             "were embedded with) or a preset name (that preset's identities parameters)")
    parser.add_argument("--held-out-split-s", type=float, default=104.0,
                        help="the held-out film's labels before this time were looked at while tuning; after it, not")
    parser.add_argument("--knn", type=Path, default=HERE.parent.parent / "shared" / "media" / "faces" / "knn_examples")
    parser.add_argument("--min-cluster-size", type=int, default=None, help="default: the preset's")
    args = parser.parse_args()
    out: dict = {"parameters": {"min_cluster_size": args.min_cluster_size, "preset": args.preset}}
    split = args.held_out_split_s
    runs = [("film", args.home, args.film, args.labels, args.preset, None),
            ("second_film", args.held_out_home or args.home, args.held_out_film, args.held_out_labels,
             args.held_out_preset, {"tuned_on": (0.0, split), "held_out": (split, float("inf"))})]
    for key, home, film, labels, preset, windows in runs:
        home = home.expanduser()
        params = recorded_params(home, film) if preset == "recorded" else preset_params(preset, args.min_cluster_size)
        if not (home / "films" / film).exists():
            out[key] = {"skipped": f"{film} not materialised under {home} (run frames..face_embeddings first)"}
        elif params is None:
            out[key] = {"skipped": f"{film} has no identity_clusters record: pass --held-out-preset PRESET"}
        else:
            out[key] = film_report(home, film, labels, params, windows)
            out[key]["parameters"] = {"source": preset or "defaults", **{
                k: v for k, v in asdict(params).items() if k in ("min_cluster_size", "max_distance",
                                                                 "prototype_threshold", "prototype_merge")}}
    if args.knn.exists():
        out["photos"] = photos_report(args.knn, IdentityParams(min_cluster_size=2))
    else:
        out["photos"] = {"skipped": f"{args.knn} not found"}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
