"""``preset: auto``: tell drawn (2D animation, anime) films from 3D-rendered ones by measuring a sample of frames.

Drawn frames are outlined: a large share of their edges are thin dark ink lines on both sides of which lies flat
colour. Rendered 3D (and live action) frames have their edges between shaded surfaces, few of them dark lines, and
smooth shading ramps across surfaces. ``frame_style`` measures, per frame (at 320 px width):

- ``line_art``: share of Canny edges lying on a thin dark line (darker than its 7 x 7 surroundings by 25+ levels);
- ``flat``: share of pixels whose 5 x 5 Lab neighbourhood is flat (std < 1.5): cel-painted regions;
- ``shading``: share of pixels on a gentle luminance ramp (0.7-4 levels per pixel): smooth 3D shading;
- ``cel_fills`` (beside ``frame_style``: ``resources/cel_fills.py``): share of pixels in cel fills, the flat-colour
  regions of drawn figures: measured where the characters are, whatever the background.

``measure_style`` takes the median over the frames and calls a film ``anime`` when its outline share, discounted by
smooth shading, ``line_art - SHADING_WEIGHT * shading``, reaches ``DRAWN_SCORE`` (photographs and live action have
some dark outlines too, ~30 %, but ~40 % of their pixels on shading ramps; cel animation 40-70 % and ~20 %), or when
its cel fills reach ``FILL_SHARE`` (drawn characters on a painted or rendered background, or drawn without ink
lines: the outline measure is taken on the whole frame and the background outvotes them), else ``3d``, with the
figures in its reason. A shot is measured against its film's measured style (``film_style``): it departs from it
only on clear evidence, its cel fills judged against ``FILL_SHARE`` times ``FILL_SHARE_IN_DRAWN_FILM`` in a film
measured ``anime`` and times ``FILL_SHARE_IN_RENDERED_FILM`` in one measured ``3d`` or not measured yet (three
frames of a shot swing more than twelve of a film, and a single figure is small in a wide shot). The outline rule
was first set on Penny & Chip and the Sintel trailer, then revised after measuring every shared source
(``bench/faces_2d.py --style``: all 26 Penny & Chip clips and the 480p cut, Sintel, Big Buck Bunny, PySceneDetect's
test video, the knn photographs), so no held-out check of it remains here; the cel-fill rule was tuned on drawn
films of Kenney's characters (bench/kenney_film.py, tune split) and those sources, and checked once on the held-out
film (docs/anime_2d.md, "Session 24 (d3)").

Every figure is taken on the picture alone (``picture_area``): black letterbox or pillarbox bars are cut off after
the shrink, so a film scaled into a 16:9 frame of any height measures as its own frames do (the bars' edges are
dark lines to the outline share, their flat black lowers the shading share: Sintel's 2.35:1 shots in a 16:9
frame measured anime, docs/anime_2d.md "Session 21 (d5)").

Per shot (``shot_style``), a film that mixes drawn and rendered shots is told apart shot by shot from a few frames
of each; a shot with under ``MIN_EDGE_SHARE`` of its pixels on edges (black frames, title cards on black, dark
night shots) is too bare to tell and keeps the film's preset; of a shot that can be told, its bare frames are left
out of the medians. The decisions and reasons go into ``style.json`` under ``shots`` (``record_shot_styles``, with
``shots_version``: decisions of another ``STYLE_VERSION`` are measured again); filtered_instances reads them to apply
each shot's preset values and the faces stage to pick detectors per shot.

``auto_preset(film)`` measures the film's source once (a video: ``SAMPLE_FRAMES`` frames spread over 5-95 % of it;
an image folder: up to that many images) and records the choice, the figures and the reason in the film's
workspace (``films/<film>/style.json``); later lookups read that record. An explicit ``preset:`` in the film's
config always wins (resources/film_settings.py asks only when the preset is ``auto``). Unreadable or missing
sources degrade to ``3d`` with the reason recorded, never an error.
"""

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from resources.cel_fills import cel_fill_share
from resources.errors import BadMediaError
from resources.media import image_files, read_image_rgb

log = logging.getLogger(__name__)

DRAWN_SCORE = 0.17       # line_art - SHADING_WEIGHT * shading (medians) at which a film counts as drawn
SHADING_WEIGHT = 0.5
# cel fills (median share of pixels) at which a film counts as drawn: the tune films' drawn characters on rendered
# backgrounds 0.052-0.102, Penny & Chip 0.27; Sintel 0.000, the test video 0.0004, Big Buck Bunny 0.003
# (docs/anime_2d.md "Session 24 (d3)")
FILL_SHARE = 0.015
FILL_SHARE_IN_DRAWN_FILM = 0.25    # a shot of a film measured anime: drawn from a quarter of FILL_SHARE
FILL_SHARE_IN_RENDERED_FILM = 3.0  # a shot of a film measured 3d: drawn from three times FILL_SHARE
SAMPLE_FRAMES = 12
WIDTH = 320
# a shot needs this share of edge pixels to be told apart (Sintel's title cards 1.4-1.9 %, its dark shots 0-1.3 %,
# Penny & Chip frames 18-24 %; set after seeing those two films, so not a held-out figure)
MIN_EDGE_SHARE = 0.025
# letterbox and pillarbox bars are measured away (``picture_area``): their edges are dark lines to the measure, and
# a film letterboxed into 16:9 (bench/film_scale.py builds) called Sintel shots anime that its own frames call 3d
BAR_LEVEL = 24           # a bar's pixels: no channel above this (x264's black stays at 0-16)
MIN_PICTURE_SHARE = 0.55  # a 2.39:1 picture in 16:9 keeps 74 % of the height; a caption on black far less
BAR_MARGIN = 2           # measured pixels (at WIDTH) trimmed along a bar: the scaler's and encoder's ringing
STYLE_VERSION = 3


@dataclass(frozen=True)
class StyleMeasure:
    preset: str
    reason: str
    frames: int
    line_art: float
    flat: float
    shading: float
    colourless: bool
    cel_fills: float = 0.0
    version: int = STYLE_VERSION


def picture_area(rgb: np.ndarray) -> np.ndarray:
    """The image without black letterbox or pillarbox bars: rows and columns at the borders with no channel above
    ``BAR_LEVEL``, when what lies between them keeps ``MIN_PICTURE_SHARE`` of the height and width (a dark frame
    with a caption is no letterbox), less ``BAR_MARGIN`` pixels along each bar (the scaler's and encoder's ringing)."""
    height, width = rgb.shape[:2]
    flat = np.ascontiguousarray(rgb).reshape(height, -1)   # the brightest value of each row and column, any channel
    rows = np.flatnonzero(cv2.reduce(flat, 1, cv2.REDUCE_MAX).ravel() > BAR_LEVEL)
    cols = np.flatnonzero(cv2.reduce(flat, 0, cv2.REDUCE_MAX).reshape(width, -1).max(axis=1) > BAR_LEVEL)
    if rows.size == 0:
        return rgb
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if bottom - top < MIN_PICTURE_SHARE * height or right - left < MIN_PICTURE_SHARE * width:
        return rgb
    top, bottom = (top + BAR_MARGIN if top else 0), (bottom - BAR_MARGIN if bottom < height else height)
    left, right = (left + BAR_MARGIN if left else 0), (right - BAR_MARGIN if right < width else width)
    return rgb[top:bottom, left:right] if min(bottom - top, right - left) >= 8 else rgb   # a tiny image: as it is


def _small(rgb: np.ndarray) -> np.ndarray:
    """The frame at ``WIDTH`` (area averaging), its picture without bars: the same share of the picture per measured
    pixel whatever the film's resolution."""
    height, width = rgb.shape[:2]
    small = cv2.resize(rgb, (WIDTH, max(8, round(height * WIDTH / width))), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(picture_area(small))


def edge_share(rgb: np.ndarray) -> float:
    """Share of the frame's pixels (at ``WIDTH``) on Canny edges: how much drawn or textured content it has."""
    return float((cv2.Canny(cv2.cvtColor(_small(rgb), cv2.COLOR_RGB2GRAY), 60, 150) > 0).mean())


def frame_style(rgb: np.ndarray) -> tuple[float, float, float]:
    """(line_art, flat, shading) of one RGB uint8 frame; see the module docstring."""
    return _frame_style(_small(rgb))


def _frame_style(small: np.ndarray) -> tuple[float, float, float]:
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    mean, square = cv2.blur(lab, (5, 5)), cv2.blur(lab * lab, (5, 5))
    local_std = np.sqrt(np.maximum(square - mean * mean, 0)).max(axis=2)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    gradient = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)) / 8
    edges = cv2.Canny(grey, 60, 150) > 0
    dark = grey.astype(np.int32) < np.minimum(cv2.blur(grey, (7, 7)).astype(np.int32) - 25, 90)
    near_dark = cv2.dilate(dark.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    line_art = float((edges & near_dark).sum() / max(int(edges.sum()), 1))
    return line_art, float((local_std < 1.5).mean()), float(((gradient > 0.7) & (gradient < 4)).mean())


def _colourless(frames: list[np.ndarray]) -> bool:
    return all(float(cv2.cvtColor(f, cv2.COLOR_RGB2HSV)[..., 1].mean()) < 12 for f in frames)


def fill_threshold(film_style: str | None, shot: bool = False) -> float:
    """The cel-fill share from which frames count as drawn: ``FILL_SHARE`` for a film, scaled for a shot of a film
    measured ``anime`` or ``3d`` (``film_style``); a shot of a film not measured is held to the ``3d`` scale (the
    default preset: a few frames call a film's shot drawn only on clear evidence)."""
    if film_style == "anime":
        return FILL_SHARE * FILL_SHARE_IN_DRAWN_FILM
    return FILL_SHARE * (FILL_SHARE_IN_RENDERED_FILM if film_style == "3d" or shot else 1.0)


def measure_style(frames: list[np.ndarray], film_style: str | None = None, shot: bool = False) -> StyleMeasure:
    """The preset for frames of one film (or, ``shot``, of one shot of a film measured ``film_style``), with the
    figures and a reason a person can check."""
    if not frames:
        return StyleMeasure("3d", "no frame could be read to measure the style; 3d (the default) kept", 0,
                            0.0, 0.0, 0.0, False)
    smalls = [_small(f) for f in frames]
    line_art, flat, shading = (float(v) for v in np.median([_frame_style(s) for s in smalls], axis=0))
    fills = float(np.median([cel_fill_share(s) for s in smalls]))
    colourless = _colourless(frames)
    score, fill_from = line_art - SHADING_WEIGHT * shading, fill_threshold(film_style, shot)
    outlined, filled = score >= DRAWN_SCORE, fills >= fill_from
    figures = (f"{len(frames)} frames: {line_art:.0%} of edges on dark outlines, {shading:.0%} of pixels on shading "
               f"ramps (score {score:.2f}, anime from {DRAWN_SCORE}), {flat:.0%} flat-colour pixels, "
               f"{fills:.1%} in cel fills (anime from {fill_from:.2%}"
               + (f" in a film measured {film_style}" if film_style in ("anime", "3d") else
                  " in a film not measured" if shot else "") + ")")
    verdict = ("outlined drawing: anime" if outlined else "drawn figures in flat cel paint: anime" if filled
               else "few outlines for its shading and no cel-painted figures (rendered or filmed): 3d")
    note = "; black-and-white footage: no colour cue, decided on the outlines alone" if colourless else ""
    return StyleMeasure("anime" if outlined or filled else "3d", f"{figures}; {verdict}{note}", len(frames),
                        round(line_art, 4), round(flat, 4), round(shading, 4), colourless, round(fills, 4))


@dataclass(frozen=True)
class ShotStyle:
    preset: str
    reason: str
    measured: bool       # False: too bare to tell, the film's preset kept


def shot_style(frames: list[np.ndarray], film_preset: str, film_style: str | None = None) -> ShotStyle:
    """One shot's preset from a few of its frames, measured against the film's measured style ``film_style``
    (``anime``, ``3d`` or None: see ``fill_threshold``); a shot too bare to tell (no frame, under
    ``MIN_EDGE_SHARE`` edge pixels) keeps ``film_preset`` and says so. Of a shot that can be told, its bare frames
    are left out (a dark frame's few edges swing the medians)."""
    shares = [edge_share(f) for f in frames]
    share = float(np.median(shares)) if frames else 0.0
    if share < MIN_EDGE_SHARE:
        why = "no frame readable" if not frames else f"{share:.1%} edge pixels (< {MIN_EDGE_SHARE:.1%})"
        return ShotStyle(film_preset, f"{why}: too bare to tell; the film's preset kept", False)
    measure = measure_style([f for f, s in zip(frames, shares) if s >= MIN_EDGE_SHARE], film_style, shot=True)
    return ShotStyle(measure.preset, measure.reason, True)


def is_mixed(styles: dict[int, ShotStyle]) -> bool:
    """True when measured shots disagree: the film mixes drawn and rendered (or filmed) shots."""
    return len({s.preset for s in styles.values() if s.measured}) > 1


def configured_preset(film: str) -> str | None:
    """The ``preset`` the film's configuration names (its films/<film>.yaml, else defaults.yaml): ``auto``, a
    preset's name, or None. Only ``auto`` lets measured styles (film or per shot) choose."""
    import yaml

    from resources.paths import config_dirs

    found = None
    for relative in ("defaults.yaml", f"films/{film}.yaml"):
        for folder in config_dirs():
            path = folder / relative
            if path.exists():
                layer = yaml.safe_load(path.read_text()) or {}
                found = layer.get("preset", found) if isinstance(layer, dict) else found
    return found


def read_style_record(film: str) -> dict:
    """The film's ``style.json`` as a dict ({} when absent or unreadable); per-shot decisions of another
    ``STYLE_VERSION`` are left out, so they are measured again."""
    path = style_record_path(film)
    try:
        record = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict):
        return {}
    if record.get("shots_version") != STYLE_VERSION:
        record = {k: v for k, v in record.items() if not k.startswith("shots") and k != "mixed"}
    return record


def measured_film_style(record: dict) -> str | None:
    """The film's own measured preset from its style record (``read_style_record``; written by ``auto_preset``;
    None when absent or of another ``STYLE_VERSION``): what its shots are measured against."""
    if record.get("version") != STYLE_VERSION:
        return None
    return record.get("preset") if record.get("preset") in ("anime", "3d") else None


def record_shot_styles(film: str, styles: dict[int, ShotStyle], used_for: str, frames_fingerprint: str,
                       stage: str = "faces") -> None:
    """Add the per-shot decisions, what ``stage`` used them for (``shots_used_by``, and all of it joined in
    ``shots_used_for``) and which frames they were measured on to ``style.json``."""
    from resources.storage import write_json_atomic

    path = style_record_path(film)
    record = read_style_record(film)
    same_frames = record.get("shots_frames") == frames_fingerprint
    used_by = record.get("shots_used_by") if same_frames and isinstance(record.get("shots_used_by"), dict) else {}
    used_by[stage] = used_for
    record["shots"] = {str(k): asdict(v) for k, v in styles.items()}
    record["mixed"] = is_mixed(styles)
    record["shots_used_by"] = used_by
    record["shots_used_for"] = "; ".join(used_by[k] for k in sorted(used_by))
    record["shots_frames"] = frames_fingerprint
    record["shots_version"] = STYLE_VERSION
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, record)


def _readable_rgb(path: Path) -> np.ndarray | None:
    """An image's RGB as OpenCV reads it; a format OpenCV does not read (HEIC / HEIF) through Pillow as the frames
    stage reads it; None when unreadable."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is not None:
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    try:
        return read_image_rgb(path)
    except BadMediaError:
        return None


def sample_frames(source: Path, count: int = SAMPLE_FRAMES) -> list[np.ndarray]:
    """Up to ``count`` RGB frames spread over a video (5-95 % of it) or an image folder; unreadable ones skipped."""
    source = Path(source)
    if source.is_dir():
        images = image_files(source)
        picked = [images[int(i)] for i in np.linspace(0, len(images) - 1, min(count, len(images)))] if images else []
        return [rgb for rgb in (_readable_rgb(p) for p in picked) if rgb is not None]
    capture = cv2.VideoCapture(str(source))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    frames = []
    for index in np.linspace(total * 0.05, total * 0.95, count).astype(int) if total > 0 else []:
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, bgr = capture.read()
        if ok and bgr is not None:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def style_record_path(film: str) -> Path:
    from resources.storage import FilmWorkspace

    return FilmWorkspace(film).root / "style.json"


def auto_preset(film: str) -> str:
    """The measured preset of ``film`` (``anime`` or ``3d``), measured once and recorded in its workspace."""
    path = style_record_path(film)
    if path.exists():
        try:
            record = json.loads(path.read_text())
            if record.get("version") == STYLE_VERSION and record.get("preset") in ("anime", "3d"):
                return record["preset"]
        except (OSError, ValueError):
            log.warning("%s: unreadable style record; measuring again", path)
    from resources.catalog import Catalog

    catalog = Catalog()
    if catalog.shared is None and not catalog.path.exists():  # nothing ingested here: nothing to measure
        return "3d"
    film_row = catalog.film(film)
    if film_row is None:  # not ingested (yet): nothing to measure, nothing recorded
        return "3d"
    source = Path(film_row["source_path"])
    measure = measure_style(sample_frames(source)) if source.exists() else StyleMeasure(
        "3d", f"{source}: source missing, style not measured; 3d (the default) kept", 0, 0.0, 0.0, 0.0, False)
    from resources.storage import write_json_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {**asdict(measure), "film": film, "source": str(source)})
    log.info("film '%s': preset auto -> %s (%s)", film, measure.preset, measure.reason)
    return measure.preset
