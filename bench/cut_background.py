"""Background inside the labelled cut-outs of a Kenney image set (bench/anime_image_set.py build --characters kenney):
per kept instance that the set's truth labels a character (``kenney_image_set.mask_label``, as ``eval`` labels it),
how many of its mask's pixels lie on no pasted character's visible truth (the frame behind), in how many connected
parts, and which stored faces (``faces.parquet``) have their centre on the mask: the character's own ('own'), on the
frame behind ('bg': a background figure's face the cut holds) or on another character ('other'); a ``*`` marks the
instance's own face row.

``--trace`` re-runs the characters backend on each composite frame with the film's stored instances settings and
records the first GrabCut of every seed (``opencv_characters.grabcut_seed``): for each labelled cut, how much of its
background that first cut of the seed that made it already held, and how much of it lies inside that seed's box, with
the box's area over the character's truth box. Session 32 (h6) measured with it that the background a drawn
character's cut holds comes from its seed's first GrabCut, inside the seed's box (docs/anime_2d.md).

``--rerun`` measures the masks the characters backend cuts again on each stored frame (the film's stored instances
settings, the code of the tree this script is in; every re-cut instance the truth labels, before the instance
filter, on the frames that kept one) instead of the stored ones: a change to the segmenter shows in the background
px without materializing a new home (session 33, h1).

``cut_background.py HOME FILM DIR [--trace | --rerun] [--min-share S]``: the home after ``castforge ingest DIR
--film FILM`` and ``castforge materialize FILM --select identity_clusters``. Prints one JSON line per cut whose
background share is at least S (default 0: every labelled cut) or that holds a background face, then a summary line
(with the labelled cuts' own px, on their character's truth, and their mean IoU).
"""

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
MIN_PART_PX = 30  # a background part smaller than this (frame pixels) is an edge fringe, not counted as a part


def truth_masks(folder: str, chars: list, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """character -> its visible truth mask, scaled (nearest) to ``shape`` (the stored frame's rows, columns)."""
    out = {}
    for character, _, name in chars:
        plane = cv2.imread(f"{folder.rstrip('/')}.masks/{name}", cv2.IMREAD_GRAYSCALE)
        out[character] = cv2.resize(plane, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) >= 128
    return out


def labelled(mask: np.ndarray, truths: dict[str, np.ndarray]) -> tuple[str | None, float]:
    """``kenney_image_set.mask_label``'s rule on frame-sized planes: more than half of the mask on the character and
    IoU > 0.2; (character, IoU) or (None, 0)."""
    best, name = 0.0, None
    for character, truth in truths.items():
        both = float((truth & mask).sum())
        iou = both / max(1, (truth | mask).sum())
        if both / max(1, mask.sum()) > 0.5 and iou > 0.2 and iou > best:
            best, name = iou, character
    return name, best


def background_row(mask: np.ndarray, truths: dict[str, np.ndarray], character: str, faces: list[dict],
                   instance_id: str) -> dict:
    """The cut's background pixels (on no character's truth), its parts and the faces centred on the mask."""
    anyone = np.any(list(truths.values()), axis=0)
    background = mask & ~anyone
    _, _, stats, _ = cv2.connectedComponentsWithStats(background.astype(np.uint8), connectivity=8)
    parts = sorted((int(s[4]) for s in stats[1:] if s[4] >= MIN_PART_PX), reverse=True)
    inside = []
    for face in faces:
        cx, cy = int((face["fx0"] + face["fx1"]) / 2), int((face["fy0"] + face["fy1"]) / 2)
        if 0 <= cy < mask.shape[0] and 0 <= cx < mask.shape[1] and mask[cy, cx]:
            where = "own" if truths[character][cy, cx] else "bg" if not anyone[cy, cx] else "other"
            mine = "*" if face["instance_id"] == instance_id else ""
            inside.append(f"{where}{mine}:{face['detector']}:{int(face['face_size'])}")
    area = int(mask.sum())
    return {"area": area, "background_px": int(background.sum()),
            "background_share": round(float(background.sum()) / max(1, area), 3),
            "outside_own_px": int((mask & ~truths[character]).sum()), "parts": parts[:6],
            "largest_part_share": round(parts[0] / max(1, int(background.sum())), 2) if parts else 0.0,
            "faces": inside}


def first_cuts(home: str, film: str):
    """frame RGB -> [(first GrabCut mask at frame size, its seed's box plane)]: the film's instances settings, the
    characters backend with ``grabcut_seed`` recorded."""
    import os

    sys.path.insert(0, str(ROOT))
    os.environ["CASTFORGE_HOME"] = home
    import resources.backends.opencv_characters as characters
    from resources.segmenter import SegmenterResource

    stage = json.load(open(Path(home) / "films" / film / "tables" / "instances.stage.json"))["params"]
    fields = set(SegmenterResource.model_fields)
    segmenter = SegmenterResource(**{k: v for k, v in stage["backends"]["segmenter"].items() if k in fields})
    calls, original, found = [], characters.grabcut_seed, []

    def recorded(bgr, seed, *args, **kwargs):
        mask = original(bgr, seed, *args, **kwargs)
        calls.append((bgr.shape[1], seed.box.copy(), mask))
        return mask
    characters.grabcut_seed = recorded

    def cuts(rgb: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        calls.clear()
        found[:] = segmenter.segment_frame(rgb, anime_faces=stage["anime_faces"],
                                           analysis_max_height=stage["analysis_max_height"])[0]
        height, width = rgb.shape[:2]
        out = []
        for small_width, box, mask in calls:
            scale = width / small_width
            full = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0
            plane = np.zeros_like(full)
            x0, y0, x1, y1 = (int(round(float(v) * scale)) for v in box)
            plane[max(0, y0):y1, max(0, x0):x1] = True
            out.append((full, plane))
        return out
    cuts.found = found  # the re-run's instances of the last frame cut
    return cuts


def traced(mask: np.ndarray, truths: dict[str, np.ndarray], character: str, cuts: list) -> dict:
    """The background of ``mask`` that its seed's first GrabCut (the recorded cut overlapping it most) held, and
    inside that seed's box; the box's area over the character's truth box."""
    if not cuts:
        return {}
    background = mask & ~np.any(list(truths.values()), axis=0)
    first, box = max(cuts, key=lambda c: int((c[0] & mask).sum()))
    ys, xs = np.nonzero(truths[character])
    truth_box = (xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1) if len(xs) else 1
    return {"background_in_first_cut": int((background & first).sum()),
            "background_in_first_cut_box": int((background & first & box).sum()),
            "box_over_truth_box": round(float(box.sum()) / truth_box, 2)}


def rerun_rows(home: str, film: str, folder: str, image: str, chars: list, frame_id: str, frame_faces: list,
               cuts) -> list[dict]:
    """The labelled instances of the characters backend re-run on the stored frame (``--rerun``)."""
    frame = cv2.imread(str(Path(home) / "films" / film / "frames" / f"{frame_id}.jpg"))
    recorded = cuts(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    rows = []
    for k, instance in enumerate(cuts.found):
        mask = np.asarray(instance["mask"], bool)
        truths = truth_masks(folder, chars, mask.shape)
        character, iou = labelled(mask, truths)
        if character is not None:
            rows.append({"image": image, "instance_id": f"rerun{k}", "character": character, "seed": instance["seed"],
                         "iou": round(float(iou), 3), **background_row(mask, truths, character, frame_faces, ""),
                         **traced(mask, truths, character, recorded)})
    return rows


def measure(home: str, film: str, folder: str, trace: bool, rerun: bool = False) -> list[dict]:
    truth = json.load(open(folder.rstrip("/") + ".truth.json"))
    tables = Path(home) / "films" / film / "tables"
    frames = pl.read_parquet(tables / "frames.parquet")
    source = dict(frames.select("frame_id", "source").iter_rows())
    instances = pl.read_parquet(tables / "filtered_instances.parquet").filter(pl.col("kept"))
    faces = pl.read_parquet(tables / "faces.parquet")
    cuts = first_cuts(home, film) if trace or rerun else None
    rows = []
    for frame_id, group in instances.group_by("frame_id", maintain_order=True):
        image = source[frame_id[0]]
        chars = truth[image]["chars"]
        if not chars or len(chars[0]) != 3 or truth[image]["kind"] == "rgba":  # the image's own alpha: exact
            continue
        frame_faces = list(faces.filter(pl.col("frame_id") == frame_id[0]).iter_rows(named=True))
        if rerun:
            rows.extend(rerun_rows(home, film, folder, image, chars, frame_id[0], frame_faces, cuts))
            continue
        recorded = None
        for row in group.iter_rows(named=True):
            mask = cv2.imread(str(Path(home) / row["mask_path"]), cv2.IMREAD_GRAYSCALE)
            if mask is None:
                continue
            mask = mask >= 128
            truths = truth_masks(folder, chars, mask.shape)
            character, iou = labelled(mask, truths)
            if character is None:
                continue
            out = {"image": image, "instance_id": row["instance_id"], "character": character, "seed": row["seed"],
                   "iou": round(float(iou), 3),
                   **background_row(mask, truths, character, frame_faces, row["instance_id"])}
            if cuts is not None:
                if recorded is None:
                    frame = cv2.imread(str(Path(home) / "films" / film / "frames" / f"{frame_id[0]}.jpg"))
                    recorded = cuts(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                out.update(traced(mask, truths, character, recorded))
            rows.append(out)
    return rows


def summary(rows: list[dict]) -> dict:
    out = {"cuts": len(rows), "background_px": sum(r["background_px"] for r in rows),
           "own_px": sum(r["area"] - r["outside_own_px"] for r in rows),
           "mean_iou": round(sum(r["iou"] for r in rows) / max(1, len(rows)), 4),
           "share_at_least_0.2": sum(r["background_share"] >= 0.2 for r in rows),
           "holding_a_background_face": sum(any(f.startswith("bg") for f in r["faces"]) for r in rows)}
    if rows and "background_in_first_cut" in rows[0]:
        out["background_in_first_cut"] = sum(r.get("background_in_first_cut", 0) for r in rows)
        out["background_in_first_cut_box"] = sum(r.get("background_in_first_cut_box", 0) for r in rows)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home"); parser.add_argument("film"); parser.add_argument("folder")
    parser.add_argument("--trace", action="store_true", help="re-run the characters backend: the first GrabCut's share")
    parser.add_argument("--rerun", action="store_true", help="measure the re-run backend's masks, not the stored ones")
    parser.add_argument("--min-share", type=float, default=0.0)
    args = parser.parse_args()
    found = measure(args.home, args.film, args.folder, args.trace, args.rerun)
    for r in found:
        if r["background_share"] >= args.min_share or any(f.startswith("bg") for f in r["faces"]):
            print(json.dumps(r))
    print(json.dumps({"summary": summary(found)}))
