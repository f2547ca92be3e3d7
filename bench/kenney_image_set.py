"""Kenney's six CC0 drawn characters as an image folder a user brings (issue 12, session 18): the plan, the builder
and the mask truth that bench/anime_image_set.py's ``build --characters kenney`` and ``eval`` use. Run alone it
prints both splits' plans as JSON (no media needed).

A split's folder holds, for the split's poses only (assets/instances/kenney_characters.POSES):
- ``rgba``: every character in every pose as the sprite's RGBA canvas upscaled to 360 / 480 / 600 rows;
- ``single``: each character twice on real frames of the shared videos (Big Buck Bunny, PySceneDetect's test video,
  Penny & Chip; the split's own frames), at 45-90 % of the frame's height, some flipped left-right;
- ``pair``: two characters side by side, some overlapping, the pairs that share a body design included;
- ``grey`` (a single and a pair in greyscale) and ``small`` (a character 18 % of a frame's height, and a frame
  shrunk to 384 px wide).
Truth: each character's visible mask (alpha >= 128, less what stands in front) as a PNG in ``DIR.masks/`` and its
box; an instance is a character's when more than half of its cut-out's mask lies on that character's visible mask
and their IoU is over 0.2 (``mask_label``).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BBB, TEST, PC = ("video/big_buck_bunny_0_30.webm", "video/pyscenedetect/testvideo.mp4",
                 "video/2d/penny_and_chip_26shots_480p.mp4")
# real frames, (video, second): the splits share none (the test video's black frames and BBB's title left out)
BACKGROUNDS = {
    "tune": [(BBB, 8.0), (TEST, 3.0), (PC, 11.5), (BBB, 16.0), (TEST, 15.0), (PC, 43.5), (PC, 75.5), (PC, 107.5)],
    "held_out": [(BBB, 12.0), (TEST, 9.0), (PC, 3.5), (BBB, 24.0), (TEST, 18.0), (PC, 35.5), (PC, 67.5), (PC, 99.5)],
}
PAIRS = [("female_adventurer", "female_person"), ("male_adventurer", "male_person"), ("robot", "zombie"),
         ("female_person", "male_person"), ("female_adventurer", "male_adventurer"), ("zombie", "male_person")]
RGBA_HEIGHTS = (360, 480, 600)
SINGLE_HEIGHTS = (0.45, 0.6, 0.75, 0.9)


def plan(split: str) -> list[dict]:
    """The split's images: {name, kind, background ([video, s] or None), grey, shrink, chars: [{character, pose,
    height (rows: canvas for rgba, character for composites), x (share of the free width), flip}]}."""
    from assets.instances.kenney_characters import CHARACTERS, kenney_poses

    poses, names, backgrounds = kenney_poses(split), list(CHARACTERS), BACKGROUNDS[split]
    rng = np.random.default_rng({"tune": 18, "held_out": 81}[split])
    images = []
    for i, (character, pose) in enumerate((c, p) for c in names for p in poses):
        images.append({"name": f"rgba_{character}_{pose}.png", "kind": "rgba", "background": None,
                       "chars": [{"character": character, "pose": pose, "height": RGBA_HEIGHTS[i % 3], "x": 0.0,
                                  "flip": False}]})

    def char(character: str, k: int, height: float, flip: bool) -> dict:
        return {"character": character, "pose": poses[k % len(poses)], "height": height,
                "x": round(float(rng.uniform(0.05, 0.95)), 3), "flip": flip}

    for i, character in enumerate(names):
        for j in range(2):
            b = 2 * i + j
            images.append({"name": f"single_{character}_{j}.png", "kind": "single",
                           "background": list(backgrounds[b % len(backgrounds)]),
                           "chars": [char(character, 3 * i + 2 * j, SINGLE_HEIGHTS[b % 4], (i + j) % 2 == 1)]})
    for i, (a, b) in enumerate(PAIRS):
        height = SINGLE_HEIGHTS[(i + 1) % 4]
        images.append({"name": f"pair_{a}_{b}.png", "kind": "pair",
                       "background": list(backgrounds[(i + 3) % len(backgrounds)]), "overlap": [0.0, 0.15][i % 2],
                       "chars": [char(a, i + 1, height, i % 3 == 0), char(b, i + 4, height * 0.95, i % 3 == 1)]})
    images.append({"name": f"grey_single_{names[1]}.png", "kind": "grey", "grey": True,
                   "background": list(backgrounds[5]), "chars": [char(names[1], 2, 0.7, True)]})
    images.append({"name": f"grey_pair_{names[4]}_{names[3]}.png", "kind": "grey", "grey": True,
                   "background": list(backgrounds[6]), "overlap": 0.0,
                   "chars": [char(names[4], 5, 0.75, False), char(names[3], 1, 0.7, True)]})
    images.append({"name": f"small_{names[2]}.png", "kind": "small", "background": list(backgrounds[7]),
                   "chars": [char(names[2], 4, 0.18, False)]})
    images.append({"name": f"small_frame_{names[5]}.png", "kind": "small", "background": list(backgrounds[0]),
                   "shrink": 384, "chars": [char(names[5], 6, 0.8, True)]})
    return images


def redrawn_plan(split: str, seed: int) -> list[dict]:
    """``plan(split)`` with its composites drawn again from ``seed`` (session 29): the same RGBA sprites, then each
    character twice alone and eight of the fifteen pairs (half overlapping), each at a pose, place, height and flip
    drawn from the split's poses on one of the split's frames. Another image set of the same split: more rows to
    tune on without reading the other split's."""
    from assets.instances.kenney_characters import CHARACTERS, kenney_poses

    poses, names, backgrounds = kenney_poses(split), list(CHARACTERS), BACKGROUNDS[split]
    rng = np.random.default_rng(seed)
    images = [item for item in plan(split) if item["kind"] == "rgba"]
    pairs = [(a, b) for a in names for b in names if a < b]
    rng.shuffle(pairs)

    def char(character: str, height: float, flip: bool) -> dict:
        return {"character": character, "pose": poses[int(rng.integers(len(poses)))], "height": height,
                "x": round(float(rng.uniform(0.05, 0.95)), 3), "flip": flip}

    def background() -> list:
        return list(backgrounds[int(rng.integers(len(backgrounds)))])

    for character in names:
        for j in range(2):
            images.append({"name": f"single_{character}_{j}.png", "kind": "single", "background": background(),
                           "chars": [char(character, float(rng.uniform(0.4, 0.9)), bool(rng.integers(2)))]})
    for i, (a, b) in enumerate(pairs[:8]):
        height = float(rng.uniform(0.45, 0.85))
        images.append({"name": f"pair_{a}_{b}.png", "kind": "pair", "background": background(),
                       "overlap": [0.0, 0.15][i % 2], "chars": [char(a, height, bool(rng.integers(2))),
                                                                char(b, height * 0.95, bool(rng.integers(2)))]})
    return images


def frame(media: str, video: str, second: float, cache: str) -> np.ndarray:
    """A real frame of a shared video (RGB)."""
    path = f"{cache}/{Path(video).stem}_{second}.png"
    if not os.path.exists(path):
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", str(second), "-i", f"{media}/{video}",
                        "-frames:v", "1", path], check=True)
    return cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)


def sprite(character: str, pose: str, rows: int, whole_canvas: bool, flip: bool, wheel) -> np.ndarray:
    """RGBA: the sprite's canvas upscaled to ``rows`` (whole_canvas), else the character cropped to ``rows``."""
    import zipfile

    from assets.instances.kenney_characters import SPRITE_HEIGHT, crop_to_alpha, read_sprite, upscale_rgba

    with zipfile.ZipFile(wheel) as archive:
        raw = read_sprite(archive, character, pose)
    if whole_canvas:
        out = upscale_rgba(raw, rows / SPRITE_HEIGHT)
    else:
        out = crop_to_alpha(upscale_rgba(raw, rows / crop_to_alpha(raw).shape[0]))
    return np.ascontiguousarray(out[:, ::-1]) if flip else out


def compose(item: dict, media: str, cache: str, wheel, sprite_of=sprite) -> tuple[np.ndarray, list[np.ndarray]]:
    """The image (RGB, or RGBA for ``rgba``) and each character's visible mask (bool, image-sized); ``sprite_of``:
    how a character's RGBA is made (``sprite``'s arguments; bench/creatures_image_set.py passes its own)."""
    if item["background"] is None:
        c = item["chars"][0]
        rgba = sprite_of(c["character"], c["pose"], c["height"], True, c["flip"], wheel)
        return rgba, [rgba[..., 3] >= 128]
    canvas = frame(media, *item["background"], cache).astype(np.float32)
    height, width = canvas.shape[:2]
    masks, x_next = [], None
    for c in item["chars"]:
        rgba = sprite_of(c["character"], c["pose"], max(8, round(c["height"] * height)), False, c["flip"], wheel)
        h, w = rgba.shape[:2]
        if x_next is None:
            x = round(c["x"] * max(0, width - w) * (0.5 if len(item["chars"]) > 1 else 1.0))
        else:
            x = x_next
        x = int(np.clip(x, -w // 4, width - 3 * w // 4))
        y = height - h - round(0.04 * height)
        x_next = x + round(w * (1 - item.get("overlap", 0.0)))
        full = np.zeros((height, width), np.float32)
        colour = np.zeros((height, width, 3), np.float32)
        fx0, fx1, sx0 = max(0, x), min(width, x + w), max(0, -x)
        full[y:y + h, fx0:fx1] = rgba[:, sx0:sx0 + fx1 - fx0, 3] / 255.0
        colour[y:y + h, fx0:fx1] = rgba[:, sx0:sx0 + fx1 - fx0, :3]
        canvas = canvas * (1 - full[..., None]) + colour * full[..., None]
        opaque = full >= 0.5
        masks = [m & ~opaque for m in masks] + [opaque]
    image = np.clip(canvas.round(), 0, 255).astype(np.uint8)
    if item.get("grey"):
        image = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    if item.get("shrink"):
        size = (item["shrink"], round(height * item["shrink"] / width))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        masks = [cv2.resize(m.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) >= 128 for m in masks]
    return image, masks


def build(out: str, split: str, media: str, plan_of=plan, sprite_of=sprite) -> dict:
    """Writes the split's images into ``out``, masks into ``out.masks``; returns the truth (``DIR.truth.json``).
    ``plan_of`` / ``sprite_of``: another set's plan and sprites on the same builder (bench/creatures_image_set.py)."""
    import shutil
    import tempfile

    from assets.instances.kenney_characters import kenney_wheel

    wheel, cache = kenney_wheel(), tempfile.mkdtemp()
    mask_dir = out.rstrip("/") + ".masks"
    for folder in (out, mask_dir):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
    truth = {}
    for item in plan_of(split):
        image, masks = compose(item, media, cache, wheel, sprite_of)
        bgr = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR)
        cv2.imwrite(f"{out}/{item['name']}", bgr)
        chars = []
        for k, (c, mask) in enumerate(zip(item["chars"], masks)):
            if not mask.any():
                continue
            mask_name = f"{Path(item['name']).stem}.{k}.png"
            cv2.imwrite(f"{mask_dir}/{mask_name}", mask.astype(np.uint8) * 255)
            ys, xs = np.nonzero(mask)
            chars.append([c["character"], [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1],
                          mask_name])
        truth[item["name"]] = {"kind": item["kind"], "chars": chars}
    return truth


def instance_mask(cutout_path: Path, box: tuple, shape: tuple) -> np.ndarray | None:
    """An instance's mask in its image's pixels: its cut-out's alpha >= 128 placed so that its opaque part fills the
    instance's box (x0, y0, x1, y1, frame pixels scaled to the image), on an image of ``shape``."""
    rgba = cv2.imread(str(cutout_path), cv2.IMREAD_UNCHANGED)
    if rgba is None or rgba.ndim < 3 or rgba.shape[2] < 4:
        return None
    opaque = rgba[..., 3] >= 128
    if not opaque.any():
        return None
    ys, xs = np.nonzero(opaque)
    part = opaque[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.uint8)
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    w, h = max(1, x1 - x0), max(1, y1 - y0)
    if part.shape != (h, w):
        part = cv2.resize(part, (w, h), interpolation=cv2.INTER_NEAREST)
    out = np.zeros(shape, bool)
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(shape[1], x1), min(shape[0], y1)
    if cx1 <= cx0 or cy1 <= cy0:
        return out
    out[cy0:cy1, cx0:cx1] = part[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0] > 0
    return out


def mask_label(chars: list, mask_dir: str, mask: np.ndarray | None) -> tuple[str | None, float]:
    """The character the instance mostly shows: more than half of its mask on that character's visible mask, and
    IoU > 0.2 with it (a cut-out of a character's upper body, or with a little background, is that character's;
    a sliver is no one's); and that IoU (0 without a label)."""
    best, name = 0.0, None
    if mask is None or not mask.any():
        return None, 0.0
    for character, _, mask_name in chars:
        truth = cv2.imread(f"{mask_dir}/{mask_name}", cv2.IMREAD_GRAYSCALE) >= 128
        if truth.shape != mask.shape:
            continue
        both = float((truth & mask).sum())
        iou = both / max(1, (truth | mask).sum())
        if both / mask.sum() > 0.5 and iou > 0.2 and iou > best:
            best, name = iou, character
    return name, best


def purity_coverage(pairs: list[tuple[str, str]]) -> dict:
    """Per identity (noise left out): size, its main character, purity; per character: instances, the identity
    holding most of them and the share it holds (coverage), and the share left as noise."""
    from collections import Counter

    identities: dict = {}
    for label, identity in pairs:
        if not identity.startswith("noise"):
            identities.setdefault(identity, Counter())[label] += 1
    out = {"identities": {}, "characters": {}}
    for identity, counts in sorted(identities.items()):
        main, n = counts.most_common(1)[0]
        out["identities"][identity] = {"size": sum(counts.values()), "main": main,
                                       "purity": round(n / sum(counts.values()), 3)}
    for character in sorted({label for label, _ in pairs}):
        mine = Counter(identity for label, identity in pairs if label == character)
        held = Counter({i: c for i, c in mine.items() if not i.startswith("noise")})
        top, n = held.most_common(1)[0] if held else (None, 0)
        out["characters"][character] = {"instances": sum(mine.values()), "identity": top,
                                        "coverage": round(n / sum(mine.values()), 3),
                                        "noise": round(sum(c for i, c in mine.items() if i.startswith("noise"))
                                                       / sum(mine.values()), 3)}
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps({split: plan(split) for split in BACKGROUNDS}, indent=1))
