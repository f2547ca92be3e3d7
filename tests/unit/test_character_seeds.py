"""Seeds of the offline character segmenter (resources/backends/character_seeds.py: seeds_from_cues): a detector
box that two characters share is split between their faces, a large face below another is a character in front
while a small one (a drawn hand, a brooch) is not. Exact truth: two 2D characters (exact alpha) overlapping on a
real Sintel frame, cut with one shared person box and their two faces."""

import cv2
import numpy as np
import pytest

from assets.instances.composites import load_character, mask_iou, read_background
import resources.backends.character_seeds as seeding
import resources.backends.opencv_characters as characters
from resources.backends.character_cues import Cues
from resources.backends.character_seeds import seeds_from_cues


def test_a_box_two_faces_share_side_by_side_becomes_two_seeds_each_on_its_side():
    cues = Cues(faces=np.array([[20, 10, 40, 30, 0.9], [70, 12, 90, 32, 0.8]], np.float32),
                bodies=np.array([[0, 0, 110, 150, 0.6, 0]], np.float32))
    left, right = seeds_from_cues(cues, 200, 160)
    assert (left.kind, right.kind) == ("person", "face") and left.face[4] == pytest.approx(0.9)
    assert left.shared and left.box[0] == 0 and 55 < left.box[2] < 70  # halfway (55) plus half a face of overlap
    assert 40 < right.box[0] < 55 and right.box[2] == 110 and right.box[3] == 150
    alone = seeds_from_cues(Cues(faces=cues.faces[:1], bodies=cues.bodies), 200, 160)
    assert len(alone) == 1 and not alone[0].shared and list(alone[0].box[[0, 2, 3]]) == [0, 110, 150]


def test_two_lone_faces_side_by_side_get_body_boxes_that_end_between_them():
    cues = Cues(faces=np.array([[100, 50, 130, 80, 0.9], [160, 55, 190, 85, 0.8], [300, 300, 330, 330, 0.7]],
                               np.float32))
    left, right, apart = seeds_from_cues(cues, 400, 400)
    assert left.box[2] == pytest.approx(145 + 15) and right.box[0] == pytest.approx(145 - 15)  # halfway, +- half a face
    assert left.box[0] == pytest.approx(100 - 60) and right.box[2] == pytest.approx(190 + 60)  # outer sides as guessed
    assert apart.box[0] == pytest.approx(300 - 60)  # a face lower down is not a neighbour


@pytest.mark.parametrize("height, seeds", [(30, 2), (12, 1)])
def test_a_large_face_below_the_head_is_a_character_in_front_a_small_one_is_dropped(height, seeds):
    head, below = [40, 10, 60, 30, 0.9], [50 - height / 2, 70, 50 + height / 2, 70 + height, 0.8]
    cues = Cues(faces=np.array([head, below], np.float32), bodies=np.array([[0, 0, 100, 200, 0.7, 0]], np.float32))
    assert len(seeds_from_cues(cues, 200, 200)) == seeds


def test_a_frontal_face_below_a_profile_head_of_the_same_size_is_a_character_in_front():
    """A drawn profile's face box is tall and narrow (here 20 x 40); a frontal face below it, 28 x 28 (the same
    area, 0.7 of its height), is a second character, not a hand: sizes compare by area, not height."""
    head, below = [40, 10, 60, 50, 0.9], [36, 100, 64, 128, 0.8]
    cues = Cues(faces=np.array([head, below], np.float32), bodies=np.array([[0, 0, 100, 300, 0.7, 0]], np.float32))
    assert len(seeds_from_cues(cues, 200, 300)) == 2


class _HandCues:
    name, model = "hand-placed", "none"


@pytest.fixture(scope="module")
def two_characters(shared):
    """(rgb frame, [truth masks], cues): sita_front and saha_side, 0.8 and 0.85 of the frame tall, overlapping by a
    fifth of Sita's width on a Sintel frame; one person box over both (what YOLOX-nano gives such a pair) and
    their faces where they are drawn (measured on the images)."""
    frame = read_background(shared / "media/video/sintel_trailer_480x204.mp4", 16.0, 480).astype(np.float32)
    truths, faces, boxes = [], [], []
    # name, height, x0, face box in fractions of the character's width and height
    for name, height, x0, face in [("sita_front", 384, 250, (0.24, 0.10, 0.69, 0.27)),
                                   ("saha_side", 408, 440, (0.33, 0.06, 0.61, 0.24))]:
        rgba = load_character(shared / "media" / "characters_rgba" / f"{name}.png").rgba
        rgba = cv2.resize(rgba, (round(rgba.shape[1] * height / rgba.shape[0]), height), interpolation=cv2.INTER_AREA)
        y0, w = 480 - height, rgba.shape[1]
        alpha = rgba[..., 3:].astype(np.float32) / 255
        part = frame[y0:, x0:x0 + w]
        frame[y0:, x0:x0 + w] = rgba[..., :3] * alpha + part * (1 - alpha)
        truth = np.zeros((480, frame.shape[1]), bool)
        truth[y0:, x0:x0 + w] = alpha[..., 0] >= 0.5
        truths = [t & ~truth for t in truths] + [truth]  # the later one stands in front
        faces.append([x0 + face[0] * w, y0 + face[1] * height, x0 + face[2] * w, y0 + face[3] * height, 0.9])
        boxes.append([x0, y0, x0 + w, 480])
    assert truths[0][:, 440:].any()  # they overlap
    shared_box = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), 480, 0.7, 0]
    cues = Cues(np.array(faces, np.float32), np.array([shared_box], np.float32), np.zeros((480, frame.shape[1]), bool))
    return np.round(frame).astype(np.uint8), truths, cues


def _best_matches(rgb, truths, cues):
    """Per truth: (best IoU, share of that mask lying on the other character)."""
    found = characters.OpencvCharacterSegmenter(cues=_HandCues(), body_keypoints=False).segment(rgb, cues)
    out = []
    for k, truth in enumerate(truths):
        best = max(found, key=lambda f: mask_iou(f["mask"], truth))["mask"]
        out.append((mask_iou(best, truth), float((best & truths[1 - k]).sum() / best.sum())))
    return out


def test_two_characters_sharing_one_box_are_cut_apart(two_characters, monkeypatch):
    rgb, truths, cues = two_characters
    (sita, sita_on_saha), (saha, saha_on_sita) = _best_matches(rgb, truths, cues)
    monkeypatch.setattr(seeding, "SPLIT_SHARED_BOXES", False)
    (sita_whole, _), (saha_whole, _) = _best_matches(rgb, truths, cues)
    # measured: Sita 0.99 split, 0.66 when the box is one seed (her mask took Saha's head); Saha 0.50 (his mask
    # keeps the dark street between them, which the box encloses) and 0.71
    assert sita >= 0.9 and sita_whole < 0.8
    assert sita_on_saha < 0.02 and saha_on_sita < 0.02
    assert sita + saha > sita_whole + saha_whole + 0.05
