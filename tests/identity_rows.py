"""The identity step replayed on rows saved from a real run (tests/data/*.npz): each kept cut-out's face embedding,
detector, gate and face box where it has a face, its image embedding, colours, silhouette and (where saved) colour
layout, the image it came from and the character it shows. An image folder's rows: each image its own shot and
frame."""

from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from assets.identities.assignment import assign_identities
from assets.identities.core import IdentityParams, normalise

ROOT = Path(__file__).resolve().parents[1]


def anime_params(**overrides) -> IdentityParams:
    """The anime preset's identity settings with ``overrides``."""
    anime = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]
    return IdentityParams.from_dict({**anime, **overrides})


def assign_stored(stored: dict, **overrides):
    """``assign_identities`` on the ``stored`` rows (a dict of the file's arrays), the anime preset with
    ``overrides``."""
    ids = [str(k) for k in range(len(stored["image"]))]
    images = [str(i) for i in stored["image"]]
    faced = np.flatnonzero(stored["has_face"])
    shot_of = {image: number for number, image in enumerate(dict.fromkeys(images))}
    box = stored["box"]
    boxes = pl.DataFrame({"instance_id": ids, "shot": [shot_of[i] for i in images], "frame_id": images,
                          "timestamp_s": [0.0] * len(ids),
                          "x0": box[:, 0], "y0": box[:, 1], "x1": box[:, 2], "y1": box[:, 3]})
    layouts = stored["layout"].astype(np.float32) if "layout" in stored else None
    return assign_identities(
        ids, {ids[k]: stored["face"][k].astype(np.float32) for k in faced},
        normalise(stored["appearance"].astype(np.float32)), anime_params(**overrides),
        face_quality={ids[k]: (float(stored["quality"][k]), bool(stored["gated"][k])) for k in faced},
        boxes=boxes, face_detectors={ids[k]: str(stored["detector"][k]) for k in faced},
        colours=stored["colour"].astype(np.float32), shapes=stored["shape"].astype(np.float32),
        face_boxes={ids[k]: tuple(float(v) for v in stored["face_box"][k]) for k in faced
                    if not np.isnan(stored["face_box"][k]).any()},
        layouts=layouts)


def assign_film_rows(path: Path, **overrides):
    """``assign_identities`` on a film's stored rows (tests/data/kenney_film_tune_*_rows.npz: each row's shot, key
    frame, time, area and box; the faced rows' embeddings in row order), the anime preset with ``overrides``;
    returns (each row's character, its shot, the result)."""
    stored = np.load(path)
    ids = [f"row{k}" for k in range(len(stored["character"]))]
    faced = np.flatnonzero(stored["has_face"])
    boxes = pl.DataFrame({"instance_id": ids, "shot": stored["shot"].tolist(),
                          "frame_id": [str(f) for f in stored["frame_id"]],
                          "timestamp_s": stored["timestamp_s"].tolist(), "area": stored["area"].tolist(),
                          **{name: stored["box"][:, i].tolist() for i, name in enumerate(("x0", "y0", "x1", "y1"))}})
    faces = stored["face"].astype(np.float32)  # the faced rows' embeddings, in row order
    result = assign_identities(
        ids, {ids[k]: faces[j] for j, k in enumerate(faced)}, normalise(stored["appearance"].astype(np.float32)),
        anime_params(**overrides),
        face_quality={ids[k]: (float(stored["quality"][k]), bool(stored["gated"][k])) for k in faced},
        boxes=boxes, face_detectors={ids[k]: str(stored["detector"][k]) for k in faced},
        colours=stored["colour"].astype(np.float32), shapes=stored["shape"].astype(np.float32),
        face_boxes={ids[k]: tuple(stored["face_box"][k].tolist()) for k in faced
                    if np.isfinite(stored["face_box"][k]).all()},
        layouts=stored["layout"].astype(np.float32) if "layout" in stored.files else None)
    return stored["character"], stored["shot"], result


def members(characters: np.ndarray, labels: np.ndarray, label: int) -> Counter:
    """The characters of the rows an identity (``label``) holds, counted."""
    return Counter(characters[labels == label].tolist())


def stored_row(path: Path, frame: int, inst: int) -> int:
    """The index of key frame ``frame``'s cut-out ``inst`` among a stored film's rows (``assign_film_rows``' file)."""
    stored = np.load(path)
    return int(np.flatnonzero((stored["frame"] == frame) & (stored["inst"] == inst))[0])
