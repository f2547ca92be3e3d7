"""The colour of cut-outs' soft edges against exact truth (issue #13): the composites of bench/composites.py (2D
characters with exact alpha AND exact foreground colour, the sprite's RGB, pasted onto real film frames) through the
real ``instances`` core and the automatic filter; for each visible character its best matching KEPT cut-out is
compared with the truth. Prints JSON.

Per character (then averaged over the characters of a split and preset):
- ``colour_error``: in the cut-out's soft band (0 < alpha < 1, where the truth shows the character), the mean absolute
  difference (0-255, over R, G and B) between the cut-out's colour and the sprite's, weighted by the cut-out's alpha
  (how much of that colour a composite shows);
- ``recomposite_<bg>``: the cut-out laid on a new flat background (mid grey, saturated green) against the truth laid
  on the same, mean absolute difference (0-255) over the pixels where either alpha is soft: a halo shows here, and
  so does an alpha error (identical for both columns: only the colour differs);
each twice: ``frame`` (the frame's pixels under the cut-out's alpha, as cut-outs were written before session 19:
measured from the composite itself, so one run gives both) and ``cutout`` (the RGB the stage wrote, with the
configured ``instances.edge_colour``). ``edge_colour_cpu_ms``: CPU milliseconds of the edge-colour step per kept
cut-out (assets/instances/edge_colour.py re-run on the frame's crop and the written alpha).

``images`` (``--part images``): transparent images, as an image folder gives them: Kenney's sprites of the split
(at their own 128 rows and upscaled to 720) laid on white and written as JPEG (quality 95) as the frames stage does
(resources/media.py opaque_rgb), cut by their own alpha (assets/instances/image_alpha.py) through the real
``frame_instances``, once per ``instances.edge_colour`` (none, known_background): the soft band's colour against
the sprite's (alpha-weighted, 0-255) and the cut-out laid on grey against the sprite laid on grey.

Usage: .venv/bin/python bench/edge_colour.py [--part composites|images|both] [--presets 3d,anime]
       [--characters shared|kenney] [--split tune] [--scenes 16] [--seed 7] [--height 480]
       [--edge-colour blur_fusion|known_background|none]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# the repository first (castforge's packages), the bench folder last: composites.py is found, and the bench's
# datasets.py never shadows Hugging Face's `datasets` (as bench/kenney_film.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

BACKGROUNDS = {"grey": (128, 128, 128), "green": (0, 255, 0)}


def kept_cutouts(decided, frame_id: str, shape: tuple[int, int]) -> list[tuple]:
    """(mask, frame-sized alpha 0-1, frame-sized RGB of the cut-out, crop window, crop alpha uint8) per kept
    instance of a frame."""
    import cv2
    import numpy as np
    import polars as pl

    out = []
    for row in decided.filter((pl.col("frame_id") == frame_id) & pl.col("kept")).iter_rows(named=True):
        rgba = cv2.cvtColor(cv2.imread(row["path"], cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
        y0, x0 = row["crop_y0"], row["crop_x0"]
        window = np.s_[y0:y0 + rgba.shape[0], x0:x0 + rgba.shape[1]]
        alpha, rgb = np.zeros(shape, np.float32), np.zeros(shape + (3,), np.uint8)
        alpha[window], rgb[window] = rgba[..., 3] / np.float32(255), rgba[..., :3]
        out.append((cv2.imread(row["mask_path"], cv2.IMREAD_GRAYSCALE) > 0, alpha, rgb, window, rgba[..., 3]))
    return out


def edge_scores(alpha, colour, frame_rgb, truth_alpha, truth_colour) -> dict:
    """One character's colour and recomposite errors, for the written colour (cutout) and the frame's (frame)."""
    import numpy as np

    soft = (alpha > 0) & (alpha < 1)
    shown = soft & (truth_alpha > 0)
    weight = alpha[shown]
    truth = truth_colour[shown].astype(np.float32)
    row = {"soft_px": int(shown.sum())}
    region = soft | ((truth_alpha > 0) & (truth_alpha < 1))
    a_p, a_t = alpha[region][:, None], truth_alpha[region][:, None]
    for name, rgb in (("frame", frame_rgb), ("cutout", colour)):
        if weight.sum() > 0:
            error = np.abs(rgb[shown].astype(np.float32) - truth).mean(1)
            row[f"colour_error_{name}"] = float((error * weight).sum() / weight.sum())
        for bg, value in BACKGROUNDS.items():
            if region.any():
                back = np.array(value, np.float32)
                laid = a_p * rgb[region] + (1 - a_p) * back
                true = a_t * truth_colour[region] + (1 - a_t) * back
                row[f"recomposite_{bg}_{name}"] = float(np.abs(laid - true).mean())
    return row


def score_split(bench, split: str, preset_name: str, args, workdir: Path) -> dict:
    import numpy as np

    from assets.instances.composites import mask_iou
    from assets.instances.edge_colour import foreground_colour

    scenes, shots = bench.build_scenes(split, args.scenes, args.seed, height=args.height,
                                       character_set=args.characters)
    preset = bench.preset_sections(preset_name)
    preset["instances"] = {**preset.get("instances", {}), "edge_colour": args.edge_colour}
    anime_faces = bool(preset["instances"].get("anime_faces"))
    _, decided, _, cpu = bench.cut_frames([s.rgb for s in scenes], shots, workdir / f"{split}_{preset_name}",
                                          "characters", preset, anime_faces)
    rows, step_cpu, cutouts = [], 0.0, 0
    for n, scene in enumerate(scenes):
        kept = kept_cutouts(decided, f"scene{n:04d}", scene.rgb.shape[:2])
        for mask, alpha, rgb, window, crop_alpha in kept:
            started = time.process_time()
            foreground_colour(scene.rgb[window], crop_alpha)
            step_cpu += time.process_time() - started
            cutouts += 1
        for character in scene.characters:
            truth = character.mask
            if truth.sum() < 64:
                continue
            ious = [mask_iou(m, truth) for m, *_ in kept]
            if not ious or max(ious) < 0.5:  # only characters found: a missed one has no edge to colour
                rows.append({"iou": max(ious, default=0.0), "found": False})
                continue
            _, alpha, rgb, _, _ = kept[int(np.argmax(ious))]
            rows.append({"iou": max(ious), "found": True, "character": character.name,
                         **edge_scores(alpha, rgb, scene.rgb, character.alpha, character.colour)})
    found = [r for r in rows if r["found"]]
    keys = [k for k in found[0] if k.startswith(("colour_error", "recomposite"))] if found else []
    mean = lambda k: round(float(np.mean([r[k] for r in found if k in r])), 3)  # noqa: E731
    return {"characters": len(rows), "found_at_0_5": len(found),
            "mean_iou": round(float(np.mean([r["iou"] for r in rows])), 4) if rows else None,
            "soft_px_per_character": round(float(np.mean([r["soft_px"] for r in found])), 1) if found else 0,
            **{k: mean(k) for k in keys},
            "cutouts": cutouts, "edge_colour_cpu_ms": round(1000 * step_cpu / max(1, cutouts), 2),
            "stage_cpu_seconds_per_frame": round(cpu / len(scenes), 3)}


def image_scores(split: str, height: int, method: str, workdir: Path) -> dict:
    """The ``images`` part for one sprite height and one ``instances.edge_colour``."""
    import cv2
    import numpy as np
    from PIL import Image

    from assets.instances.core import InstanceParams, frame_instances
    from assets.instances.image_alpha import ALPHA_CUES, alpha_instances
    from assets.instances.kenney_characters import load_kenney_split
    from resources.media import opaque_rgb

    out_dir = workdir / f"images_{height}_{method}"
    for sub in ("cutouts", "masks", "overlays"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    params = InstanceParams(edge_colour=method)
    errors, greys, started = [], [], time.process_time()
    for n, character in enumerate(load_kenney_split(split, height)):
        rgba = np.pad(character.rgba, ((8, 8), (8, 8), (0, 0)))  # a transparent border, as a sprite sheet's cell
        laid = np.asarray(opaque_rgb(Image.fromarray(rgba, "RGBA")))
        _, encoded = cv2.imencode(".jpg", laid[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
        rgb = np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])
        frame = {"frame_id": f"image{n:04d}", "shot": n, "timestamp_s": None}
        rows = frame_instances("images", frame, rgb, alpha_instances(rgba[..., 3]), ALPHA_CUES, out_dir, str,
                               "image_alpha", "", params)
        for row in rows:
            cut = cv2.cvtColor(cv2.imread(row["path"], cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
            y0, x0 = row["crop_y0"], row["crop_x0"]
            truth = rgba[y0:y0 + cut.shape[0], x0:x0 + cut.shape[1]].astype(np.float32)
            soft = (cut[..., 3] > 0) & (cut[..., 3] < 255)
            weight = cut[..., 3][soft].astype(np.float32) / 255
            if not soft.any():
                continue
            error = np.abs(cut[..., :3][soft].astype(np.float32) - truth[..., :3][soft]).mean(1)
            errors.append(float((error * weight).sum() / weight.sum()))
            greys.append(float(np.abs(weight[:, None] * (cut[..., :3][soft] - truth[..., :3][soft])).mean()))
    return {"cutouts": len(errors), "colour_error": round(float(np.mean(errors)), 3),
            "recomposite_grey": round(float(np.mean(greys)), 3),
            "cpu_ms_per_image": round(1000 * (time.process_time() - started) / max(1, len(errors)), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", default="both", choices=("composites", "images", "both"))
    parser.add_argument("--presets", default="3d,anime", help="comma-separated configs/presets names")
    parser.add_argument("--characters", default="shared", choices=("shared", "kenney"))
    parser.add_argument("--split", default="tune", choices=("tune", "held_out"))
    parser.add_argument("--scenes", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--edge-colour", default="blur_fusion", help="instances.edge_colour for the run")
    args = parser.parse_args()
    import composites as bench  # bench/composites.py, a sibling script

    if bench.shared_dir() is None:
        sys.exit("../shared (or CASTFORGE_SHARED) with media/characters_rgba and the videos is needed")
    os.environ.setdefault("CASTFORGE_MODELS", str(bench.shared_dir() / "models"))
    out = {"split": args.split}
    with tempfile.TemporaryDirectory() as tmp:
        if args.part in ("composites", "both"):
            out["composites"] = {"characters": args.characters, "scenes": args.scenes, "seed": args.seed,
                                 "height": args.height, "edge_colour": args.edge_colour,
                                 "presets": {p: score_split(bench, args.split, p, args, Path(tmp))
                                             for p in args.presets.split(",")}}
        if args.part in ("images", "both"):
            out["images"] = {f"{height}_rows": {m: image_scores(args.split, height, m, Path(tmp))
                                                for m in ("none", "known_background")} for height in (128, 720)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
