"""A close drawn face through a video codec (resources/backends/character_close_faces.py, WHOLE_BOX_HOLES;
docs/instances.md, "Session 33 (h4)").

On real media: Kenney tune seed 7, scene 10 (bench/composites.py), a male adventurer's 190 px face, shown as an
H.264 video at CRF 23 shows it (composites.through_x264). The codec's noise moves YuNet's box on this face by 3-4 px
((579, 124) -> (583, 121)); with the fill's holes closed in the box shrunk by a tenth, an eye then touches the crop's
side, is no hole, and the face is no longer a skin fill round its features (cover 0.87 -> 0.68). And scene 5's
man (walking, 0.85 on the lossless frame) through the real instances core on the coded frame."""

import os

import numpy as np

import resources.backends.character_close_faces as close_faces
from tests.conftest import kenney_wheel_or_skip, kept_cut_masks, load_bench

SEED, SCENE = 7, 10
SHIFTS = ((0, 0), (4, 0), (-4, 0), (0, 4), (0, -4))  # px: YuNet's box on this face moves this much under the codec


def _coded_face(shared) -> tuple[np.ndarray, np.ndarray]:
    """(the scene's RGB frame through x264 at CRF 23, YuNet's best face box on it)."""
    from resources.segmenter import SegmenterResource

    kenney_wheel_or_skip()
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    bench = load_bench("composites")
    rgb = bench.build_scenes("tune", SCENE + 1, SEED, character_set="kenney", crf=23)[0][SCENE].rgb
    found = SegmenterResource(backend="characters", anime_faces=True).cue_models().faces.detect(rgb, keep=True)
    return rgb, found[np.argmax(found[:, 4])]


def _held(rgb: np.ndarray, face: np.ndarray) -> list[bool]:
    return [close_faces.features_in_skin(rgb, face + np.array([dx, dy, dx, dy, 0], np.float32)) for dx, dy in SHIFTS]


def test_a_coded_close_face_holds_its_features_whatever_the_box_shift(shared):
    rgb, face = _coded_face(shared)
    assert face[4] > 0.6 and face[2] - face[0] > 150   # the trusted face YuNet finds on the coded frame
    assert _held(rgb, face) == [True] * len(SHIFTS)      # measured: all five (WHOLE_BOX_HOLES off: one)


def test_in_the_shrunk_box_the_decision_flips_with_a_few_pixels_of_the_box(shared, monkeypatch):
    monkeypatch.setattr(close_faces, "WHOLE_BOX_HOLES", False)
    rgb, face = _coded_face(shared)
    assert not close_faces.features_in_skin(rgb, face)   # YuNet's own box on the coded frame: no close face
    assert sum(_held(rgb, face)) <= 2                     # measured: one of five


def test_the_coded_man_behind_a_close_face_is_cut(shared, tmp_path):
    """Scene 5 at CRF 23: the walking man (whose face YuNet scores 0.55 on the coded frame) is cut as a close drawn
    face; with WHOLE_BOX_HOLES off his cut leaks into the background (0.285)."""
    from assets.instances.composites import mask_iou

    kenney_wheel_or_skip()
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    bench = load_bench("composites")
    scene = bench.build_scenes("tune", 6, SEED, character_set="kenney", crf=23)[0][5]
    truth = next(c for c in scene.characters if c.name == "male_person_walk2").mask
    best = max((mask_iou(mask, truth) for mask in kept_cut_masks(bench, scene.rgb, tmp_path)), default=0.0)
    assert best > 0.4   # measured 0.469


def test_a_close_face_beside_another_character_seeds_its_own(shared, tmp_path, monkeypatch):
    """Kenney tune seed 11 scene 10 (lossless): the man's 75 px face (YuNet 0.53), a skin fill round its features
    only in the whole box, seeds him (0.464); with WHOLE_BOX_HOLES off he is missed (0.0), his neighbour's person box
    taking them both. The trade: her cut in the narrower box takes background (0.827 -> 0.712)."""
    from tests.unit.test_big_head_body import kept_iou

    where, switch = (11, 10, "male_person_walk6"), close_faces.WHOLE_BOX_HOLES   # the module's own setting
    assert kept_iou(shared, tmp_path, monkeypatch, where, "WHOLE_BOX_HOLES", switch, close_faces) > 0.4
