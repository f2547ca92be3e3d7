"""A drawn face that heads no character does not seed a cut-out (resources/backends/character_face_guard.py), on
real Penny & Chip frames (docs/instances.md, session 23 d1). At 38.75 s (the carnival) AnimeFace finds faces on the
bunting above Chip (0.97, 0.57), and his own face, whose cut is his head alone (the crowd hides his body); at
197.75 s faces on the sleds' runners (0.52, 0.53; a third, 0.99, has Penny sitting above it in its cut and keeps its
seed: character_face_guard.held_above). Without the guard each of them seeds a cut-out of bunting or sled; with it
none does, and Chip's face still seeds his head (its skin fill)."""

import numpy as np
import pytest

import resources.backends.character_face_guard as guard
import resources.backends.opencv_characters as characters
from assets.instances.composites import read_background
from resources.backends.character_face_guard import (another_characters_face, body_below, held_above, on_body_below,
                                                     skin_share)

BUNTING = [(531, 83), (611, 98)]  # the centres of AnimeFace's faces on the bunting (frame pixels, 854 x 480)
CHIP = (560, 216)  # Chip's face's centre
SLED_RUNNERS = [(237, 356), (419, 349)]  # two faces on the runners (a third, under Penny, has her above it)


def _frame(shared, seconds: float) -> np.ndarray:
    return read_background(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4", seconds, 480)


def _face_seeded_at(found: list[dict], point: tuple[int, int]) -> list[dict]:
    return [f for f in found if f["seed"].startswith("face") and f["mask"][point[1], point[0]]]


@pytest.mark.parametrize("enabled", [True, False])
def test_bunting_faces_seed_nothing_and_chip_keeps_his_head(shared, drawn_cues, monkeypatch, enabled):
    monkeypatch.setattr(characters, "FALSE_FACES", enabled)
    found = characters.OpencvCharacterSegmenter(cues=drawn_cues).segment(_frame(shared, 38.75))
    bunting = [f for point in BUNTING for f in _face_seeded_at(found, point)]
    assert _face_seeded_at(found, CHIP), "Chip's face seeds no cut"
    if enabled:
        assert not bunting, f"{len(bunting)} cut(s) of bunting seeded by a face"
    else:
        assert bunting, "without the guard the bunting's faces seed cuts"


@pytest.mark.parametrize("enabled", [True, False])
def test_faces_on_sled_runners_seed_nothing(shared, drawn_cues, monkeypatch, enabled):
    monkeypatch.setattr(characters, "FALSE_FACES", enabled)
    found = characters.OpencvCharacterSegmenter(cues=drawn_cues).segment(_frame(shared, 197.75))
    runners = [f for point in SLED_RUNNERS for f in _face_seeded_at(found, point) if f["seed"] == "face"]
    if enabled:
        assert not runners, f"{len(runners)} cut(s) of a sled seeded by a face"
    else:
        assert len(runners) == 2, "without the guard the runners' faces seed cuts"


def test_a_body_below_or_a_skin_fill_heads_a_character():
    face = np.array([40, 20, 60, 40], np.float32)
    cut = np.zeros((120, 100), bool)
    cut[15:45, 35:65] = True  # the head alone
    assert not body_below(cut, face)
    cut[45:60, 42:58] = True  # a body 1 face height below the face box
    assert body_below(cut, face)
    head_only = np.zeros((50, 100), bool)
    head_only[15:50, 35:65] = True  # the frame's bottom cuts it: a body the frame does not show
    assert body_below(head_only, face)
    bgr = np.zeros((120, 100, 3), np.uint8)
    bgr[:] = (150, 190, 240)  # BGR of a light peach skin
    assert skin_share(bgr, face) == 1.0
    bgr[:] = (200, 200, 200)  # a white-grey object: no hue to read
    assert skin_share(bgr, face) == 0.0


def test_a_face_on_a_figure_below_its_head():
    face = np.array([40, 60, 60, 80], np.float32)  # on a shirt: the figure's head 2 face heights above
    figure = np.zeros((120, 100), bool)
    figure[15:85, 35:65] = True
    assert held_above(figure, face)
    figure[15:45] = False  # the cut holds only 0.75 face heights above the face
    assert not held_above(figure, face)
    head = np.array([38, 20, 62, 44], np.float32)
    head_cut = np.zeros((120, 100), bool)
    head_cut[10:100, 30:70] = True  # the head's seed cuts the whole figure, the shirt's face in it
    assert on_body_below(face, head, head_cut)
    assert not on_body_below(face, np.array([38, 50, 62, 74], np.float32), head_cut)  # level with it: a neighbour
    assert not on_body_below(face, np.array([78, 20, 98, 44], np.float32), head_cut)  # beside it
    assert not on_body_below(face, head, np.zeros_like(head_cut))  # the head's cut does not reach it


def _behind_cut_iou(shared, drawn_cues, monkeypatch, enabled: bool) -> float:
    """Tune composite, Sita / Saha seed 31 scene 7: Sita stands behind Saha, her face (AnimeFace 0.67) at his chest,
    inside his cut before the cuts are parted. The best IoU of a face-seeded cut with Sita's visible truth."""
    from assets.instances.composites import mask_iou
    from bench.composites import build_scenes

    monkeypatch.setattr(guard, "FACE_BEHIND", enabled)
    scene = build_scenes("tune", 8, 31)[0][7]
    sita = next(c for c in scene.characters if c.name == "sita_front").mask
    found = characters.OpencvCharacterSegmenter(cues=drawn_cues).segment(scene.rgb)
    return max([mask_iou(f["mask"], sita) for f in found if "face" in f["seed"] and "person" not in f["seed"]] or [0.0])


def test_a_face_behind_at_another_characters_chest_keeps_its_cut(shared, drawn_cues, monkeypatch):
    """A face on the body below another seed's face (``on_body_below``) that is a skin fill at least as big as that
    head (``another_characters_face``) is a character behind, not a face on a shirt: its cut stays an instance."""
    assert _behind_cut_iou(shared, drawn_cues, monkeypatch, False) < 0.2  # dropped as a face on Saha's shirt
    assert _behind_cut_iou(shared, drawn_cues, monkeypatch, True) > 0.5


def test_a_head_sized_skin_face_on_a_body_is_another_characters():
    head = np.array([38, 20, 62, 44], np.float32)
    skin = np.zeros((120, 100, 3), np.uint8)
    skin[:] = (150, 190, 240)  # BGR of a light peach skin
    assert another_characters_face(skin, np.array([38, 60, 62, 84], np.float32), head)
    assert not another_characters_face(skin, np.array([44, 60, 56, 72], np.float32), head)  # a hand: half the head
    shirt = np.full((120, 100, 3), 200, np.uint8)
    assert not another_characters_face(shirt, np.array([38, 60, 62, 84], np.float32), head)  # no skin: a shirt
