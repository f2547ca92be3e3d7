"""Composites with exact truth: characters with a real alpha channel pasted onto real film frames, and the scores
that compare predicted masks with that truth (mask IoU, boundary F, found at an IoU).

A scene places 1-3 characters on one background, at several scales, overlapping, some cut by the frame edge; later
characters stand in front. Each character's truth is what stays visible of it: its alpha (float in [0, 1]) minus
what the characters in front hide. Everything is drawn from a seeded generator, so a seed gives the same scenes on
every machine. numpy / OpenCV only.
"""

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

SCALES = (0.45, 0.65, 0.85, 1.05)  # character height / frame height (1.05: cut by the bottom or top edge)


@dataclass
class Character:
    name: str
    rgba: np.ndarray  # H x W x 4 uint8, cropped to the character, straight (not premultiplied) alpha


@dataclass
class PlacedCharacter:
    name: str
    box: tuple[int, int, int, int]   # x0, y0, x1, y1 of the pasted image in frame pixels (may leave the frame)
    alpha: np.ndarray                # float32 H x W in [0, 1]: what stays visible of the character in the frame
    full_alpha: np.ndarray           # float32 H x W: the character as if nothing stood in front of it
    occluded_fraction: float         # share of its in-frame pixels that characters in front hide
    cut_by_frame: bool               # part of the character lies outside the frame
    # uint8 H x W x 3: the character's own (foreground) colour where it was pasted, 0 elsewhere: the exact colour its
    # soft edge should have in a cut-out (bench/edge_colour.py)
    colour: np.ndarray | None = None

    @property
    def mask(self) -> np.ndarray:
        return self.alpha >= 0.5


@dataclass
class Scene:
    background: str                  # "<video>@<seconds>"
    rgb: np.ndarray                  # H x W x 3 uint8: the composite
    characters: list[PlacedCharacter] = field(default_factory=list)


def load_character(path: Path) -> Character:
    """An RGBA PNG, cropped to its alpha's box; a file without an alpha channel is an error (no truth to compare)."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 3 or image.shape[2] != 4:
        raise ValueError(f"{path}: not an RGBA image (the alpha channel is the ground truth mask)")
    rgba = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    ys, xs = np.nonzero(rgba[..., 3] > 0)
    return Character(path.stem, np.ascontiguousarray(rgba[ys.min():ys.max() + 1, xs.min():xs.max() + 1]))


def read_background(video: Path, seconds: float, height: int) -> np.ndarray:
    """The RGB frame at ``seconds``, resized to ``height`` rows (aspect kept)."""
    capture = cv2.VideoCapture(str(video))
    try:
        capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000.0)
        ok, bgr = capture.read()
    finally:
        capture.release()
    if not ok or bgr is None:
        raise ValueError(f"{video}: no frame at {seconds:.2f} s")
    width = round(bgr.shape[1] * height / bgr.shape[0])
    interpolation = cv2.INTER_AREA if height < bgr.shape[0] else cv2.INTER_CUBIC
    return cv2.cvtColor(cv2.resize(bgr, (width, height), interpolation=interpolation), cv2.COLOR_BGR2RGB)


STROKE_RGB = (25, 20, 20)  # the ink of cartoon_background's line art


def cartoon_background(rgb: np.ndarray, colours: int = 12, seed: int = 3) -> np.ndarray:
    """``rgb`` redrawn as a cel-painted cartoon background: smoothed (three bilateral passes), quantised to
    ``colours`` flat fills (k-means, seeded: the same picture for a seed on every run), specks of less than a
    5 x 5 median removed, and 1-px dark strokes (STROKE_RGB) on the fills' edges (Canny). It imitates the drawn
    backgrounds of 2D films, flat paint with line art of their own, that a rule tuned on rendered frames can mistake
    for a character's fills and outline (Penny & Chip in the held-out split); the tune split gets it through
    ``bench/composites.py --drawn-backgrounds``. Off the strokes nearly every pixel holds one of ``colours`` colours."""
    smooth = rgb
    for _ in range(3):
        smooth = cv2.bilateralFilter(smooth, 9, 40, 7)
    pixels = smooth.reshape(-1, 3).astype(np.float32)
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    _, labels, centres = cv2.kmeans(pixels, colours, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    # the median works per channel: where fills meet it mixes their channels on a few pixels, as a scan of a
    # painted background has a few in-between pixels (snapped back to the palette: a weaker stand-in, README)
    flat = cv2.medianBlur(centres[labels.ravel()].reshape(rgb.shape).astype(np.uint8), 5)
    strokes = cv2.Canny(cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY), 30, 90) > 0
    flat[strokes] = STROKE_RGB
    return flat


def _paste(canvas: np.ndarray, layer: np.ndarray, alpha: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """Float alpha of ``layer`` placed at (x0, y0) in a frame-sized plane; composites ``layer`` into ``canvas``."""
    height, width = canvas.shape[:2]
    plane = np.zeros((height, width), np.float32)
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(width, x0 + layer.shape[1]), min(height, y0 + layer.shape[0])
    if fx1 <= fx0 or fy1 <= fy0:
        return plane
    part = alpha[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0]
    plane[fy0:fy1, fx0:fx1] = part
    region = canvas[fy0:fy1, fx0:fx1].astype(np.float32)
    colour = layer[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0].astype(np.float32)
    canvas[fy0:fy1, fx0:fx1] = np.round(colour * part[..., None] + region * (1 - part[..., None])).astype(np.uint8)
    return plane


COLOURINGS = ("colour", "grey", "sepia", "tint")  # how a composited frame is shown: as painted, grey, sepia, tinted
# a cool duotone (a night or underwater scene): the luma mapped onto the line from a dark blue to a pale cyan
TINT_DARK, TINT_LIGHT = np.array([12, 24, 64], np.float32), np.array([196, 236, 255], np.float32)
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)  # RGB rows


def recolour(rgb: np.ndarray, colouring: str) -> np.ndarray:
    """``rgb`` (uint8 H x W x 3) as a monochrome film shows it: ``grey`` its luma (OpenCV's BT.601 weights) in all
    three channels, ``sepia`` the classic sepia tone matrix (a brown tint of the luma, clipped), ``tint`` a cool duotone
    (the luma mapped onto the line from TINT_DARK to TINT_LIGHT), ``colour`` unchanged.
    The truth of a scene never changes with it: only what the camera shows does."""
    if colouring == "colour":
        return rgb
    if colouring == "grey":
        return np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    if colouring == "sepia":
        return np.clip(rgb.astype(np.float32) @ SEPIA.T, 0, 255).round().astype(np.uint8)
    if colouring == "tint":
        luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)[..., None] / 255.0
        return (TINT_DARK + luma * (TINT_LIGHT - TINT_DARK)).round().astype(np.uint8)
    raise ValueError(f"unknown colouring {colouring!r}: one of {COLOURINGS}")


def with_grain(rgb: np.ndarray, sigma: float, size: float = 0.0, seed: int = 0) -> np.ndarray:
    """``rgb`` (uint8 H x W x 3) with luma film grain: Gaussian noise of standard deviation ``sigma`` (grey levels)
    added alike to R, G and B; with ``size`` > 0 the noise is first blurred by a Gaussian of that many pixels (grain
    clumps, as film grain and upscaled video noise have) and rescaled to the same ``sigma``. ``seed`` draws the
    noise, so one frame always gets the same grain. The truth of a scene never changes with it."""
    if sigma <= 0:
        return rgb
    noise = np.random.default_rng(seed).normal(0.0, 1.0, rgb.shape[:2]).astype(np.float32)
    if size > 0:
        noise = cv2.GaussianBlur(noise, (0, 0), size)
        noise /= max(float(noise.std()), 1e-6)
    return np.clip(rgb.astype(np.float32) + sigma * noise[..., None], 0, 255).round().astype(np.uint8)


def through_x264(rgb: np.ndarray, crf: int) -> np.ndarray:
    """``rgb`` (uint8 H x W x 3) as a film's H.264 video shows it: encoded by x264 at ``crf`` in 4:2:0 (the chroma at
    half resolution, smeared across edges; an odd row or column padded by its neighbour, then dropped) as one intra
    frame, and decoded. What a user's film holds where a composite is lossless; the truth of a scene is unchanged."""
    import io

    import av   # PyAV, FFmpeg's libraries (frames decoding uses it too)

    height, width = rgb.shape[:2]
    padded = np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    encoded = io.BytesIO()
    with av.open(encoded, "w", format="h264") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = padded.shape[1], padded.shape[0], "yuv420p"
        stream.options = {"crf": str(crf), "preset": "medium"}
        for packet in [*stream.encode(av.VideoFrame.from_ndarray(padded, format="rgb24")), *stream.encode()]:
            out.mux(packet)
    encoded.seek(0)
    with av.open(encoded, format="h264") as source:
        shown = next(source.decode(video=0)).to_ndarray(format="rgb24")
    return np.ascontiguousarray(shown[:height, :width])


def through_jpeg(rgb: np.ndarray, quality: int = 95, sampling: str = "420") -> np.ndarray:
    """``rgb`` (uint8 H x W x 3) as the instances stage reads a key frame: written by ``frames`` as a JPEG at
    ``quality`` and chroma ``sampling`` (``cv2.imwrite`` of the BGR frame with frames.core.key_frame_jpeg_params;
    FrameParams' 95 and "420") and decoded by OpenCV (with "420", libjpeg's smooth chroma upsampling blurs away the
    2 x 2 chroma grid a video decoder leaves)."""
    from assets.frames.core import FrameParams, key_frame_jpeg_params

    params = key_frame_jpeg_params(FrameParams(jpeg_quality=quality, jpeg_sampling=sampling))
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f"a {rgb.shape} frame could not be encoded as JPEG")
    return np.ascontiguousarray(cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))


def compose_scene(background: np.ndarray, label: str, characters: list[Character],
                  rng: np.random.Generator, max_characters: int = 3, shift: float = 0.0) -> Scene:
    """1..max_characters characters on ``background``: random scale from SCALES, random mirror, positions spread
    along the width so that neighbours overlap part of the time; later ones stand in front. ``shift`` (fraction of
    the width) moves every character sideways, alternately right and left, the same draws otherwise."""
    canvas = background.copy()
    height, width = canvas.shape[:2]
    count = int(rng.integers(1, max_characters + 1))
    chosen = [characters[int(i)] for i in rng.integers(0, len(characters), count)]
    centres = np.sort(rng.uniform(0.15, 0.85, count)) * width
    planes: list[tuple[str, tuple[int, int, int, int], np.ndarray, bool]] = []
    for n, (character, centre) in enumerate(zip(chosen, centres)):
        centre += shift * width * (1 if n % 2 == 0 else -1)
        scale = float(rng.choice(SCALES)) * rng.uniform(0.9, 1.1)
        target_h = max(24, round(height * scale))
        target_w = max(8, round(character.rgba.shape[1] * target_h / character.rgba.shape[0]))
        rgba = cv2.resize(character.rgba, (target_w, target_h), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            rgba = rgba[:, ::-1]
        alpha = rgba[..., 3].astype(np.float32) / 255.0
        x0 = round(centre - target_w / 2)
        # most stand on or near the bottom; a tall one is cut by the bottom (or, rarely, the top) edge
        y0 = height - target_h + round(rng.uniform(-0.08, 0.1) * height) if target_h < height else \
            round(rng.uniform(0.0, 0.15) * height) * (1 if rng.random() < 0.8 else -1)
        y0 = min(y0, height - target_h // 2)
        plane = _paste(canvas, rgba[..., :3], alpha, x0, y0)
        colour = np.zeros_like(canvas)
        _paste(colour, rgba[..., :3], np.ones_like(alpha), x0, y0)  # the sprite's colour, opaque
        planes.append((character.name, (x0, y0, x0 + target_w, y0 + target_h), plane,
                       bool(plane.sum() < 0.99 * alpha.sum()), colour))
    placed = []
    for i, (name, box, full, cut, colour) in enumerate(planes):
        in_front = np.zeros_like(full)
        for _, _, other, _, _ in planes[i + 1:]:
            in_front = np.maximum(in_front, other)
        visible = full * (1.0 - in_front)
        shown = float((full >= 0.5).sum())
        hidden = float(((full >= 0.5) & (visible < 0.5)).sum())
        placed.append(PlacedCharacter(name, box, visible, full, hidden / shown if shown else 1.0, cut, colour))
    return Scene(label, canvas, placed)


def compose_sequence(background: np.ndarray, label: str, characters: list[Character], rng: np.random.Generator,
                     frames: int = 5, step: float = 0.01) -> list[Scene]:
    """One shot: the same scene ``frames`` times, its characters walking ``step`` of the width per frame (key frames
    of a shot where the characters move a little)."""
    state = rng.bit_generator.state
    scenes = []
    for k in range(frames):
        rng.bit_generator.state = state
        scenes.append(compose_scene(background, label, characters, rng, shift=k * step))
    return scenes


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = float(np.logical_or(a, b).sum())
    return float(np.logical_and(a, b).sum()) / union if union else 0.0


def _boundary(mask: np.ndarray) -> np.ndarray:
    mask = mask.astype(np.uint8)
    return (mask - cv2.erode(mask, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)).astype(bool)


def boundary_f(predicted: np.ndarray, truth: np.ndarray, tolerance_px: int = 2) -> float:
    """F-measure of boundary pixels matched within ``tolerance_px`` (the DAVIS contour measure)."""
    pred_edge, true_edge = _boundary(predicted), _boundary(truth)
    if not pred_edge.any() and not true_edge.any():
        return 1.0
    if not pred_edge.any() or not true_edge.any():
        return 0.0
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance_px + 1, 2 * tolerance_px + 1))
    near_true = cv2.dilate(true_edge.astype(np.uint8), disc).astype(bool)
    near_pred = cv2.dilate(pred_edge.astype(np.uint8), disc).astype(bool)
    precision = float((pred_edge & near_true).sum()) / float(pred_edge.sum())
    recall = float((true_edge & near_pred).sum()) / float(true_edge.sum())
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def alpha_error(predicted_alpha: np.ndarray, truth_alpha: np.ndarray, band_px: int = 4) -> float:
    """Mean absolute alpha error (0-1) in a band of ``band_px`` around the truth's edge: the soft-edge quality."""
    edge = _boundary(truth_alpha >= 0.5).astype(np.uint8)
    band = cv2.dilate(edge, np.ones((2 * band_px + 1, 2 * band_px + 1), np.uint8)).astype(bool)
    if not band.any():
        return 0.0
    return float(np.abs(predicted_alpha[band].astype(np.float32) - truth_alpha[band]).mean())


def score_scene(scene: Scene, masks: list[np.ndarray], alphas: list[np.ndarray] | None = None,
                min_visible_px: int = 64) -> list[dict]:
    """One row per visible character: the best matching predicted mask's IoU, boundary F (2 px), alpha error in
    the edge band (when ``alphas`` are given: float 0-1 frame-sized mattes, one per mask) and the truth's facts."""
    rows = []
    for character in scene.characters:
        truth = character.mask
        if truth.sum() < min_visible_px:
            continue
        ious = [mask_iou(m, truth) for m in masks]
        best = int(np.argmax(ious)) if ious else -1
        row = {"background": scene.background, "character": character.name, "visible_px": int(truth.sum()),
               "occluded_fraction": round(character.occluded_fraction, 3),
               "cut_by_frame": character.cut_by_frame,
               "iou": round(ious[best], 4) if ious else 0.0,
               "boundary_f": round(boundary_f(masks[best], truth), 4) if ious else 0.0,
               "match": best, **_match_facts(masks[best] if ious else None, truth,
                                             [c.mask for c in scene.characters if c is not character])}
        if alphas is not None:
            row["alpha_mae_band"] = round(alpha_error(alphas[best], character.alpha), 4) if ious else None
        rows.append(row)
    return rows


def _match_facts(mask: np.ndarray | None, truth: np.ndarray, others: list[np.ndarray]) -> dict:
    """Where the best match loses IoU: precision (its share on the truth), recall (the truth's share it covers) and
    the share of it lying on other characters (two characters merged into one mask)."""
    if mask is None or not mask.any():
        return {"precision": 0.0, "recall": 0.0, "on_others": 0.0}
    area, hit = float(mask.sum()), float((mask & truth).sum())
    on_others = float((mask & ~truth & np.any(others, axis=0)).sum()) / area if others else 0.0
    return {"precision": round(hit / area, 4), "recall": round(hit / float(truth.sum()), 4),
            "on_others": round(on_others, 4)}


LOSSES = ("missed", "filtered_away", "merged", "leaks_into_background", "misses_parts")


def loss_cause(row: dict, iou_any: float) -> str | None:
    """Why a character's best kept mask falls short of IoU 0.8 (None when it does not): no instance at all near it
    (missed), a good instance the filter dropped (filtered_away), its mask on another character (merged), more of
    the mask outside the truth than of the truth outside the mask (leaks_into_background), else misses_parts."""
    if row["iou"] >= 0.8:
        return None
    if iou_any < 0.1:
        return "missed"
    if iou_any >= max(0.5, row["iou"] + 0.2):
        return "filtered_away"
    if row["on_others"] >= 0.1:
        return "merged"
    return "leaks_into_background" if 1 - row["precision"] > 1 - row["recall"] else "misses_parts"


def loss_profile(rows: list[dict]) -> dict:
    """Per cause: how many characters and how much mean IoU (over all rows) it costs against a perfect mask."""
    total = max(1, len(rows))
    out = {}
    for cause in LOSSES:
        hit = [r for r in rows if r.get("loss") == cause]
        out[cause] = {"characters": len(hit), "mean_iou_lost": round(sum(1 - r["iou"] for r in hit) / total, 4)}
    fine = [r for r in rows if r.get("loss") is None]
    out["above_0_8"] = {"characters": len(fine), "mean_iou_lost": round(sum(1 - r["iou"] for r in fine) / total, 4)}
    return out


def summarise(rows: list[dict]) -> dict:
    """Mean IoU, mean boundary F, found@0.5 and found@0.8 over ``rows`` (one row per visible character)."""
    if not rows:
        return {"characters": 0}
    ious = np.array([r["iou"] for r in rows])
    summary = {"characters": len(rows), "mean_iou": round(float(ious.mean()), 4),
               "median_iou": round(float(np.median(ious)), 4),
               "boundary_f_2px": round(float(np.mean([r["boundary_f"] for r in rows])), 4),
               "found_at_0_5": round(float((ious >= 0.5).mean()), 4),
               "found_at_0_8": round(float((ious >= 0.8).mean()), 4)}
    errors = [r["alpha_mae_band"] for r in rows if r.get("alpha_mae_band") is not None]
    if errors:
        summary["alpha_mae_band"] = round(float(np.mean(errors)), 4)
    return summary
