"""``bench/image_set_rows.py HOME FILM FOLDER OUT.npz`` (session 54 h96; kept in session 55 h100): the identity
step's rows of an image-set home (``bench/anime_image_set.py``), each labelled as the bench labels it, in the form of
tests/data/kenney_tune_b_view_look_rows.npz (plus the faced rows' colour layouts where read): what the identity
tests replay (tests/identity_rows.py). Writes tests/data/creatures_one_palette_tune_rows.npz from a
``creatures_one_palette`` tune home."""

import contextlib
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import anime_image_set  # noqa: E402
import assets.identities.assignment as assignment  # noqa: E402


def captured_rows(home: str, film: str, folder: str) -> tuple[dict, dict, dict]:
    """The arguments of the identity step as the bench's reassignment calls it, and each instance's (label, image)
    from the bench's verbose rows."""
    seen = {}
    original = assignment.assign_identities

    def assign(ids, face_vectors, appearance, params, face_quality, boxes, **rest):
        seen.update(ids=list(ids), faces=face_vectors, appearance=appearance, quality=face_quality, boxes=boxes,
                    **rest)
        return original(ids, face_vectors, appearance, params, face_quality, boxes, **rest)

    assignment.assign_identities = assign
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        anime_image_set.evaluate(home, film, folder, True, {})
    assignment.assign_identities = original
    labels, images = {}, {}
    for line in printed.getvalue().splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0].endswith(".png"):
            labels[parts[1]] = "" if parts[2] == "None" else parts[2]
            images[parts[1]] = parts[0]
    return seen, labels, images


def main(home: str, film: str, folder: str, out: str) -> None:
    seen, labels, images = captured_rows(home, film, folder)
    ids, faces, quality = seen["ids"], seen["faces"], seen["quality"]
    boxes = {r["instance_id"]: (r["x0"], r["y0"], r["x1"], r["y1"]) for r in seen["boxes"].iter_rows(named=True)}
    width = len(next(iter(faces.values())))
    face_boxes = seen.get("face_boxes") or {}
    stored = dict(
        image=np.array([images[i] for i in ids]), character=np.array([labels[i] for i in ids]),
        has_face=np.array([i in faces for i in ids]),
        face=np.array([faces.get(i, np.zeros(width)) for i in ids], dtype=np.float16),
        appearance=seen["appearance"].astype(np.float16), colour=seen["colours"].astype(np.float16),
        shape=seen["shapes"].astype(np.float16),
        quality=np.array([quality.get(i, (0.0, False))[0] for i in ids], dtype=np.float32),
        gated=np.array([quality.get(i, (0.0, False))[1] for i in ids]),
        detector=np.array([seen["face_detectors"].get(i, "") for i in ids]),
        box=np.array([boxes[i] for i in ids], dtype=np.float32),
        face_box=np.array([face_boxes.get(i, (np.nan,) * 4) for i in ids], dtype=np.float32))
    if seen.get("layouts") is not None:
        stored["layout"] = seen["layouts"].astype(np.float16)
    np.savez_compressed(out, **stored)
    print({k: v.shape for k, v in stored.items()}, "rows", len(ids))


if __name__ == "__main__":
    main(*sys.argv[1:5])
