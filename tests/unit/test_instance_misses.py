"""Issue #13: a kept frame that gives no instance gets its `instance_misses` row with the reason, never a silence;
a frame with a character gets none. Real Sintel trailer frames through the real segmenter and the stage's core."""

import os

import cv2
import numpy as np
import polars as pl
import pytest

from assets.instances.composites import read_background
from assets.instances.core import InstanceParams, extract_instances
from assets.instances.misses import miss_row, misses_table
from resources.backends.character_cues import Cues
from resources.segmenter import SegmenterResource, no_instance_reason

SINTEL = "media/video/sintel_trailer_480x204.mp4"
EMPTY_S, CHARACTER_S = 21.0, 3.0   # an empty background (the composites' backdrop); a character in a person box


@pytest.fixture(scope="module")
def segmenter(shared):
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    return SegmenterResource(backend="characters")


def test_a_frame_without_a_character_gets_its_reason_and_one_with_a_character_none(shared, segmenter, tmp_path):
    frames = []
    for n, seconds in enumerate((EMPTY_S, CHARACTER_S)):
        path = tmp_path / f"f{n}.png"
        cv2.imwrite(str(path), read_background(shared / SINTEL, seconds, 204)[..., ::-1])
        frames.append({"frame_id": f"sintel_{n:06d}", "shot": n, "timestamp_s": seconds, "path": path.name,
                       "kept": True})
    misses: list[dict] = []
    table = extract_instances("sintel", pl.DataFrame(frames), lambda p: tmp_path / p,
                              lambda rgb, **options: segmenter.segment_frame(rgb, **options), tmp_path / "out",
                              str, "characters", "model", InstanceParams(), drawn=None, empty=misses)
    assert table["frame_id"].unique().to_list() == ["sintel_000001"]   # the character's frame has its instance
    missed = misses_table(misses)
    assert missed["frame_id"].to_list() == ["sintel_000000"] and missed["timestamp_s"].to_list() == [EMPTY_S]
    reason = missed["reason"][0]
    assert reason.startswith("no face or person box: ") and "< 0.60 (YuNet)" in reason and "(YOLOX)" in reason, reason


def test_a_frame_analysed_scaled_down_keeps_its_reason(shared, segmenter):
    rgb = read_background(shared / SINTEL, EMPTY_S, 204)
    found, cues = segmenter.segment_frame(rgb, analysis_max_height=102)   # cues scaled back to the frame's pixels
    assert found == [] and cues.empty_reason.startswith("no face or person box: ")


def test_the_reason_names_seeds_whose_cuts_were_too_small_and_seeds_the_rules_dropped():
    face = np.array([[10, 10, 30, 30, 0.9]], np.float32)
    cut_away = Cues(faces=face)
    cut_away.seeds = 2
    assert no_instance_reason(cut_away, 0.6, 0.3) == "2 seeds found but every cut was below the minimum size"
    dropped = Cues(faces=face)
    dropped.seeds = 0
    assert no_instance_reason(dropped, 0.6, 0.3).startswith("no seed: its faces and boxes were dropped")
    weak = Cues(weak_faces=np.array([[0, 0, 9, 9, 0.4]], np.float32),
                bodies=np.array([[0, 0, 50, 90, 0.16, 0]], np.float32))
    assert no_instance_reason(weak, 0.6, 0.3) == ("no face or person box: best face 0.40 < 0.60 (YuNet), "
                                                   "best person box 0.16 < 0.30 (YOLOX)")
    frame = {"frame_id": "f", "shot": 1, "timestamp_s": 0.5}
    assert miss_row(frame, [{"mask": np.ones((2, 2), bool)}], None)["reason"].startswith("1 mask found but none kept")
