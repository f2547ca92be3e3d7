"""instances core: content ids, cut-outs, character evidence, automatic decisions, and the offline segmenter on
real photographs (two people -> two instances) and a title card (no characters)."""

import cv2
import numpy as np
import polars as pl
import pytest

from assets.instances.artefacts import cutout, instance_id, mask_box, soft_alpha
from assets.instances.core import character_evidence
from assets.instances.filtering import FilterParams, auto_decisions
from resources.backends.character_cues import Cues
from resources.backends.opencv_characters import seeds_from_cues, split_overlaps


def _disc(shape=(120, 160), centre=(60, 80), radius=30) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.circle(mask, centre[::-1], radius, 1, -1)
    return mask.astype(bool)


def test_instance_id_is_stable_and_changes_with_film_frame_and_mask():
    mask = _disc()
    first = instance_id("f", "scene0001_pos0_frame00010", mask)
    assert first == instance_id("f", "scene0001_pos0_frame00010", mask.copy()) and len(first) == 16
    moved = np.roll(mask, 1, axis=1)
    assert len({first, instance_id("g", "scene0001_pos0_frame00010", mask),
                instance_id("f", "scene0001_pos0_frame00011", mask), instance_id("f", "scene0001_pos0_frame00010",
                                                                                   moved)}) == 4


def test_cutout_is_cropped_with_margin_and_has_a_soft_edge():
    rgb = np.full((120, 160, 3), 200, np.uint8)
    mask = _disc()
    rgba, (cx0, cy0, cx1, cy1), alpha = cutout(rgb, mask, margin_frac=0.1, feather_frac=0.05)
    x0, y0, x1, y1 = mask_box(mask)
    assert (cx0, cy0) == (x0 - 6, y0 - 6) and (cx1, cy1) == (x1 + 6, y1 + 6)
    assert rgba.shape == (cy1 - cy0, cx1 - cx0, 4)
    assert alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] == 255 and alpha[0, 0] == 0
    assert ((alpha > 0) & (alpha < 255)).sum() > 50  # a feathered border, not a hard cut
    assert soft_alpha(mask, 0.0).max() == 255


def test_character_evidence_counts_faces_inside_and_detector_boxes():
    mask = _disc()
    cues = Cues(faces=np.array([[70, 40, 90, 60, 0.9], [0, 0, 10, 10, 0.8]], np.float32),
                bodies=np.array([[45, 25, 115, 95, 0.7, 0], [0, 0, 20, 20, 0.95, 0]], np.float32),
                class_mask=np.zeros((120, 160), bool))
    evidence = character_evidence(mask, cues)
    assert evidence["face_count"] == 1 and evidence["face_score"] == pytest.approx(0.9)
    assert evidence["body_score"] == pytest.approx(0.7) and evidence["class_fraction"] == 0.0
    assert evidence["character_score"] == pytest.approx(0.9)


def test_the_pose_flag_counts_as_character_evidence_only_for_masks_of_at_most_0_4_of_the_frame():
    """A faceless mask outside any box, DeepLab blind: only its seed's BlazePose pose flag vouches for it, and only
    while it is not frame-wide (a group or scenery: on the Sintel trailer two dragon-and-girl masks)."""
    cues = Cues(faces=np.zeros((0, 5), np.float32), bodies=np.zeros((0, 6), np.float32),
                class_mask=np.zeros((120, 160), bool))
    small, wide = _disc(), np.zeros((120, 160), bool)
    wide[:, :80] = True  # 0.5 of the frame
    assert character_evidence(small, cues)["character_score"] == 0.0
    evidence = character_evidence(small, cues, person_score=0.8)
    assert evidence["person_score"] == pytest.approx(0.8) and evidence["character_score"] == pytest.approx(0.8)
    evidence = character_evidence(wide, cues, person_score=0.8)
    assert evidence["person_score"] == pytest.approx(0.8) and evidence["character_score"] == 0.0


def _row(**values):
    base = {"x0": 0, "y0": 0, "x1": 200, "y1": 300, "frame_height": 1080, "alpha_coverage": 0.5, "face_count": 0,
            "face_score": 0.0, "body_score": 0.0, "class_fraction": 0.0, "character_score": 0.0, "blur": 500.0}
    return {**base, **values}


@pytest.mark.parametrize("row, kept, reason", [
    (_row(x1=40, face_count=1, face_score=0.9, character_score=0.9), False, "too_small"),
    (_row(x1=40, frame_height=204, character_score=0.9, body_score=0.9), True, "character"),  # 64 px scales to 16
    (_row(alpha_coverage=0.03, character_score=0.9), False, "low_alpha_coverage"),
    (_row(face_count=1, face_score=0.8, character_score=0.8, blur=10.0), True, "character"),
    (_row(character_score=0.9, body_score=0.9, blur=10.0), False, "blurry"),
    (_row(character_score=0.2), False, "not_character"),
    (_row(character_score=0.6, class_fraction=0.6), True, "character"),
])
def test_auto_decisions(row, kept, reason):
    out = auto_decisions(pl.DataFrame([row]), FilterParams(min_blur=80.0)).row(0, named=True)
    assert out["kept"] is kept and out["reason"].startswith(reason) and out["decided_by"] == "auto"


def test_a_weak_person_box_without_a_face_is_a_character_only_at_the_anime_threshold():
    row = pl.DataFrame([_row(character_score=0.32, body_score=0.32)])
    assert not auto_decisions(row, FilterParams())["kept"][0]
    assert auto_decisions(row, FilterParams(min_character_score=0.3))["kept"][0]


def test_auto_decisions_on_no_instances_is_an_empty_table():
    out = auto_decisions(pl.DataFrame(schema={"x0": pl.Int32, "x1": pl.Int32}), FilterParams())
    assert out.is_empty() and {"kept", "reason", "decided_by"} <= set(out.columns)


def test_two_faces_in_one_person_box_become_two_seeds_and_a_lone_face_gets_its_own_box():
    cues = Cues(faces=np.array([[20, 10, 40, 30, 0.9], [60, 12, 80, 32, 0.8], [150, 10, 160, 20, 0.7]], np.float32),
                bodies=np.array([[0, 0, 100, 120, 0.9, 0]], np.float32))
    seeds = seeds_from_cues(cues, 200, 120)
    assert [s.kind for s in seeds] == ["person", "face", "face"]
    assert seeds[0].face is not None and seeds[0].face[4] == pytest.approx(0.9)
    assert seeds[2].box[3] > 20 and seeds[2].box[2] <= 200  # head-and-torso box below the face, clipped


def test_split_overlaps_gives_each_contested_pixel_to_one_character():
    bgr = np.zeros((100, 200, 3), np.uint8)
    bgr[:, 100:] = 255
    left, right = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
    left[20:80, 10:140], right[20:80, 60:190] = True, True
    cores = [np.zeros_like(left), np.zeros_like(left)]
    cores[0][40:60, 20:40], cores[1][40:60, 160:180] = True, True
    a, b = split_overlaps(bgr, [left, right], cores)
    assert not (a & b).any() and (a | b).sum() >= 0.95 * (left | right).sum()
    assert a[50, 95] and b[50, 105]  # the border follows the image edge at x = 100


@pytest.fixture(scope="module")
def character_segmenter(shared):
    import os

    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    return OpencvCharacterSegmenter()


@pytest.mark.parametrize("photo", ["obama_and_biden.jpg", "kit_with_rose.jpg"])
def test_two_people_in_one_photo_are_two_instances(shared, character_segmenter, photo):
    rgb = cv2.cvtColor(cv2.imread(str(shared / "media/faces/knn_examples/test" / photo)), cv2.COLOR_BGR2RGB)
    cues = character_segmenter.cues(rgb)
    found = character_segmenter.segment(rgb, cues)
    with_face = [f for f in found if character_evidence(f["mask"], cues)["face_count"] == 1]
    assert len(with_face) >= 2
    for i, a in enumerate(with_face):
        for b in with_face[i + 1:]:
            assert not (a["mask"] & b["mask"]).any()
        assert a["mask"].mean() > 0.02  # a body, not just a face


def test_a_title_card_gives_no_instances(character_segmenter):
    card = np.full((204, 480, 3), 20, np.uint8)
    cv2.putText(card, "THE END", (120, 110), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (230, 230, 230), 4)
    assert character_segmenter.segment(card) == []


def test_occlusion_inpainting_fills_the_hidden_part_from_the_character_not_the_occluder():
    from assets.instances.artefacts import inpaint_occlusion

    rgb = np.zeros((100, 100, 3), np.uint8)
    rgb[20:80, 20:80] = (200, 50, 50)  # the character: a red square
    rgb[40:60, 40:60] = (0, 0, 255)  # an occluder in front of its centre
    occluder = np.zeros((100, 100), bool)
    occluder[40:60, 40:60] = True
    mask = np.zeros((100, 100), bool)
    mask[20:80, 20:80] = True
    mask &= ~occluder
    filled, extended, count = inpaint_occlusion(rgb, mask, occluder)
    assert count == 400 and extended[50, 50] and extended.sum() == 3600
    assert filled[50, 50, 0] > 150 and filled[50, 50, 2] < 60  # red from around it, not the occluder's blue
    assert inpaint_occlusion(rgb, mask, np.zeros_like(mask))[2] == 0


def test_blur_is_judged_at_one_scale_so_large_sharp_characters_pass(shared):
    """A large, sharp subject must not score blurrier than the same subject small (the Big Buck Bunny bird at 720p
    was dropped as blurry when measured at native resolution), while a blurred copy still scores low."""
    import cv2
    import numpy as np

    from assets.instances.artefacts import sharpness

    photo = cv2.cvtColor(cv2.imread(str(shared / "media/faces/knn_examples/train/biden/biden.jpg")), cv2.COLOR_BGR2RGB)
    large = cv2.resize(photo, (photo.shape[1] * 2, photo.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
    small = cv2.resize(photo, (256, round(photo.shape[0] * 256 / photo.shape[1])), interpolation=cv2.INTER_AREA)
    full = lambda image: np.ones(image.shape[:2], bool)  # noqa: E731
    assert abs(np.log(sharpness(large, full(large)) / sharpness(small, full(small)))) < np.log(1.5)
    # out of focus at the size it is judged at (a 3-pixel blur at 256 px), then shown large
    blurred = cv2.resize(cv2.GaussianBlur(small, (0, 0), 3), (large.shape[1], large.shape[0]))
    assert sharpness(blurred, full(blurred)) < sharpness(large, full(large)) / 5
