"""BlazePose lite's person matte and keypoints (resources/backends/mediapipe_person.py) on real media: a photo of a
person and a drawn character with exact alpha pasted onto a Sintel frame; and the segmenter's fallback without it."""

import logging

import cv2
import numpy as np
import pytest

from assets.instances.composites import compose_scene, load_character, mask_iou, read_background

PHOTO = "media/faces/knn_examples/test/obama1.jpg"
FACE_BOX = (558, 125, 901, 609)  # YuNet's face on PHOTO (x0, y0, x1, y1)
PERSON_BOX = (56, 33, 1249, 828)  # YOLOX-nano's person box on PHOTO


@pytest.fixture(scope="module")
def blazepose(shared):
    import os

    os.environ["CASTFORGE_MODELS"] = str(shared / "models")
    from resources.backends.mediapipe_person import MediapipePersonMatte

    return MediapipePersonMatte(threads=1)


def test_matte_covers_the_person_in_a_photo_and_not_the_background(shared, blazepose):
    rgb = cv2.cvtColor(cv2.imread(str(shared / PHOTO)), cv2.COLOR_BGR2RGB)
    found = blazepose.estimate(rgb, PERSON_BOX)
    assert found.matte.shape == rgb.shape[:2] and found.matte.dtype == np.float32 and found.score > 0.9
    x0, y0, x1, y1 = FACE_BOX
    assert (found.matte[y0:y1, x0:x1] >= 0.5).mean() > 0.9  # the face
    assert (found.matte[700:, 500:900] >= 0.5).mean() > 0.9  # the suit below it
    # the White House backdrop beside his head, left and right of the shoulders
    background = np.r_[found.matte[50:450, 60:420].ravel(), found.matte[50:450, 1080:1400].ravel()]
    assert (background < 0.5).mean() > 0.95
    nose = found.keypoints[0]  # keypoints in frame pixels: the nose lies in the face box
    assert x0 < nose[0] < x1 and y0 < nose[1] < y1 and nose[2] > 0.9
    assert found.keypoints.shape == (33, 4) and found.roi[y0:y1, x0:x1].all()


def test_a_matte_read_after_other_calls_is_the_one_its_call_made(shared, blazepose):
    """``matte`` and ``roi`` are made on first read: read after two more calls on other boxes (the interpreter's
    tensors overwritten), they are the ones read at once."""
    rgb = cv2.cvtColor(cv2.imread(str(shared / PHOTO)), cv2.COLOR_BGR2RGB)
    late = blazepose.estimate(rgb, PERSON_BOX)
    other = blazepose.estimate(rgb, FACE_BOX)
    blazepose.estimate(rgb, (0, 0, 400, 400)).matte
    at_once = blazepose.estimate(rgb, PERSON_BOX)
    matte, roi = at_once.matte, at_once.roi
    assert not np.array_equal(other.matte, matte)   # the calls between gave other mattes
    np.testing.assert_array_equal(late.matte, matte)
    np.testing.assert_array_equal(late.roi, roi)
    np.testing.assert_array_equal(late.keypoints, at_once.keypoints)
    assert late.score == at_once.score and roi.dtype == bool and 0 < roi.mean() < 1


def test_matte_of_a_drawn_character_matches_its_exact_alpha(shared, blazepose):
    """Trained on real people, the matte still outlines a drawn character standing in the frame: IoU of matte >= 0.5
    with the exact truth on four placements of saha_side on a Big Buck Bunny frame (measured 0.90-0.94), and the
    confident part (>= 0.9, the part the segmenter uses: 0.83-0.91 of the character) lies on the character
    (0.977-0.997 of its pixels)."""
    character = load_character(shared / "media" / "characters_rgba" / "saha_side.png")
    background = read_background(shared / "media/video/big_buck_bunny_0_30.webm", 6.5, 480)
    for seed in (1, 3, 5, 7):
        scene = compose_scene(background, "bbb@6.5", [character], np.random.default_rng(seed), 1)
        truth = scene.characters[0].mask
        ys, xs = np.nonzero(truth)
        found = blazepose.estimate(scene.rgb, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
        assert mask_iou(found.matte >= 0.5, truth) > 0.85
        sure = found.matte >= 0.9
        assert sure.sum() > 0.75 * truth.sum() and (sure & truth).sum() > 0.96 * sure.sum()


def test_segmenter_cuts_without_the_matte_when_its_weights_are_missing(shared, tmp_path, monkeypatch, caplog):
    """No BlazePose weights: the cue is None, with a warning naming the file; the segmenter still cuts out."""
    from resources.backends import character_skeleton

    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    with caplog.at_level(logging.WARNING):
        assert character_skeleton.matte_cue() is None
    assert "mp_pose_landmark_lite.tflite" in caplog.text
    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    monkeypatch.setattr("resources.backends.opencv_characters.matte_cue", lambda: None)
    rgb = cv2.cvtColor(cv2.imread(str(shared / PHOTO)), cv2.COLOR_BGR2RGB)
    found = OpencvCharacterSegmenter(body_keypoints=False).segment(rgb)
    assert len(found) >= 1 and found[0]["mask"][300:400, 650:800].all()


def test_segmenter_reports_the_pose_flag_of_each_person_seed(shared, monkeypatch):
    """Each instance carries ``person_score``: BlazePose's pose flag on its seed's box (the photo's man: near 1),
    0 where the matte is off, so the instances stage can count it as character evidence."""
    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    rgb = cv2.cvtColor(cv2.imread(str(shared / PHOTO)), cv2.COLOR_BGR2RGB)
    found = OpencvCharacterSegmenter(body_keypoints=False).segment(rgb)
    assert found and found[0]["person_score"] > 0.9
    assert all(0.0 <= f["person_score"] <= 1.0 for f in found)
    off = OpencvCharacterSegmenter(body_keypoints=False, person_matte=False).segment(rgb)
    assert off and all(f["person_score"] == 0.0 for f in off)


def test_the_instances_table_carries_the_pose_flag_and_counts_it_for_a_mask_not_frame_wide(shared, monkeypatch,
                                                                                          tmp_path):
    """The row builder passes the segmenter's ``person_score`` into the ``instances`` table; with no other cue
    (no faces, boxes or DeepLab pixels given) it alone makes ``character_score``, for a mask of at most 0.4 of the
    frame: the photo's man (0.31 of the frame) counts, his cut run into the whole lower half of the frame does not."""
    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    import polars as pl

    from assets.instances.core import INSTANCE_SCHEMA, InstanceParams, frame_instances
    from resources.backends.character_cues import Cues
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    rgb = cv2.cvtColor(cv2.imread(str(shared / PHOTO)), cv2.COLOR_BGR2RGB)
    man = OpencvCharacterSegmenter(body_keypoints=False).segment(rgb)[0]
    wide = man["mask"].copy()
    wide[rgb.shape[0] // 2:] = True
    for sub in ("cutouts", "masks", "overlays"):
        (tmp_path / sub).mkdir()
    blind = Cues(faces=np.zeros((0, 5), np.float32), bodies=np.zeros((0, 6), np.float32),
                 class_mask=np.zeros(rgb.shape[:2], bool))
    rows = [row for n, mask in enumerate((wide, man["mask"]))  # one frame each: the two masks overlap
            for row in frame_instances("film", {"frame_id": f"f{n}", "shot": 0, "timestamp_s": 0.0}, rgb,
                                       [{**man, "mask": mask}], blind, tmp_path, str, "characters", "test",
                                       InstanceParams())]
    table = pl.DataFrame(rows, schema=INSTANCE_SCHEMA)
    share = table["area"] / (table["frame_width"] * table["frame_height"])
    assert share[0] > 0.4 and share[1] <= 0.4
    assert (table["person_score"] > 0.9).all()
    assert table["character_score"][0] == 0.0 and table["character_score"][1] == table["person_score"][1]


def test_a_missing_matte_model_names_the_file_and_where_to_put_it(tmp_path, monkeypatch):
    from resources.backends.mediapipe_person import MediapipePersonMatte
    from resources.backends.mediapipe_selfie import MediapipeSelfieMatte
    from resources.errors import MissingWeightsError

    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    monkeypatch.setenv("CASTFORGE_HOME", str(tmp_path / "home"))
    for adapter, name, folder in ((MediapipePersonMatte, "mp_pose_landmark_lite.tflite", "pose"),
                                  (MediapipeSelfieMatte, "mp_selfie_segmentation.tflite", "seg")):
        with pytest.raises(MissingWeightsError, match=f"{name}.*CASTFORGE_MODELS/{folder}/"):
            adapter()
