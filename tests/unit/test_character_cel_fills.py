"""A drawn seed's cut takes the cel-fill mosaic its core lies on as probable foreground
(resources/backends/character_cel_fills.py; docs/instances.md, "Session 25 (g1)").

On real media: Kenney's zombie (walking) pasted with its exact alpha on a Big Buck Bunny frame of the composites' tune
split beside two other characters (bench/composites.py, Kenney tune seed 7 scene 8), through the real instances core
with the anime preset: its YOLOX box ends above its feet and beside its arms, and the cut, which learns its colours
from the box, kept them out; and hand-made planes for the mosaic's guards."""

import numpy as np

from resources.backends.character_cel_fills import frame_mosaics, seed_mosaic
from resources.cel_fills import cel_fill_map, cel_fill_share
from tests.conftest import load_bench
from tests.unit.test_big_head_body import kept_iou

ZOMBIE = (7, 8, "zombie_walk2")
PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"


def test_the_zombie_is_cut_whole_with_its_mosaic(shared, tmp_path, monkeypatch):
    assert kept_iou(shared, tmp_path, monkeypatch, ZOMBIE, "CEL_MOSAIC", True) > 0.9


def test_without_its_mosaic_the_zombie_loses_its_arms_and_feet(shared, tmp_path, monkeypatch):
    """The mosaic alone: session 32's own fills (character_own_fills.OWN_FILLS) give back most of the arms and feet
    after the cut as well (0.807 with the mosaic off), so they are off here."""
    from resources.backends import character_own_fills

    monkeypatch.setattr(character_own_fills, "OWN_FILLS", False)
    assert kept_iou(shared, tmp_path, monkeypatch, ZOMBIE, "CEL_MOSAIC", False) < 0.8


def test_a_lone_faces_guessed_box_takes_no_painted_background(shared, tmp_path):
    """Penny & Chip, frame 509 (as the frames stage stores it: JPEG quality 95): Penny surfing a wave painted in cel
    fills. Her face's body box is a guess; its mosaic would be the wave, and the cut took it (a kept instance of 67280
    px). Only detector-boxed seeds take a mosaic."""
    import os

    import cv2

    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    capture = cv2.VideoCapture(str(shared / PENNY_CHIP))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 509)
    ok, bgr = capture.read()
    assert ok
    bgr = cv2.imdecode(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])[1], cv2.IMREAD_COLOR)  # as stored
    bench = load_bench("composites")
    _, decided, _, _ = bench.cut_frames([bgr[..., ::-1].copy()], [0], tmp_path, "characters",
                                        bench.preset_sections("anime"), anime_faces=True)
    areas = [int((cv2.imread(r["mask_path"], cv2.IMREAD_GRAYSCALE) > 0).sum())
             for r in decided.iter_rows(named=True) if r["kept"]]
    assert areas and max(areas) < 20000, areas


def _figure() -> np.ndarray:
    """A flat-painted figure (head, shirt, trousers, one step of colour apart) on a flat sky, 320 x 200, BGR."""
    image = np.full((200, 320, 3), (230, 180, 120), np.uint8)   # the sky: one flat fill reaching every side
    image[40:80, 140:180] = (120, 170, 230)      # the head
    image[80:140, 130:190] = (60, 60, 200)       # the shirt
    image[140:190, 135:185] = (140, 60, 40)      # the trousers
    return image


def test_the_share_is_the_maps_share():
    image = _figure()[..., ::-1].copy()
    assert cel_fill_share(image) == np.count_nonzero(cel_fill_map(image)) / image[..., 0].size > 0


def test_the_mosaic_holds_the_figure_past_its_box_but_not_the_sky_beyond_the_window():
    fills, mosaics = frame_mosaics(_figure())
    window = np.s_[20:200, 110:210]                  # the search window: the box plus a margin
    inside = np.zeros((180, 100), bool)
    inside[20:150, 20:80] = True                     # a box that ends at the knees (frame rows 40-170)
    core = np.zeros_like(inside)
    core[30:50, 40:60] = True                        # the face
    held = seed_mosaic(fills[window], mosaics[window], core, inside, (True, True, True, False))
    assert held[25:55, 35:65].all() and held[150:165, 30:70].mean() > 0.9   # the head, the legs below the box
    assert not held[0:15].any() and not held[:, 0:10].any()                   # the sky


def test_fills_mostly_outside_the_box_are_left_out():
    fills, mosaics = frame_mosaics(_figure())
    window = np.s_[20:200, 110:210]
    inside = np.zeros((180, 100), bool)
    inside[20:110, 20:80] = True                     # the head and the shirt's top; the trousers all outside
    core = np.zeros_like(inside)
    core[30:50, 40:60] = True
    held = seed_mosaic(fills[window], mosaics[window], core, inside, (True, True, True, False))
    assert held[25:55, 35:65].all() and not held[125:165, 30:70].any()


def test_a_core_on_no_mosaic_holds_nothing():
    fills, mosaics = frame_mosaics(_figure())
    core = np.zeros(fills.shape, bool)
    core[5:10, 5:10] = True
    assert not seed_mosaic(np.zeros_like(fills), np.zeros_like(mosaics), core, core, (True,) * 4).any()
