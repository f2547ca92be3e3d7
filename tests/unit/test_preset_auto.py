"""``preset: auto``: a film's style measured from its frames (resources/style.py), recorded with its reason, and an
explicit preset in the film's config always winning. The rule was revised after measuring every shared source
(bench/faces_2d.py --style), so these are regression checks on the kinds of footage, not a held-out figure."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from resources.style import measure_style, sample_frames

VIDEO = "media/video"


@pytest.mark.parametrize("video, preset", [
    ("2d/penny_and_chip/penny_and_chip_winter.mp4", "anime"),     # one clip, 1280 x 720
    ("2d/penny_and_chip/penny_and_chip_retro_gaming.mp4", "anime"),
    ("big_buck_bunny_0_30.webm", "3d"),
    ("pyscenedetect/testvideo.mp4", "3d"),                        # live action: some outlines, much shading
    ("sintel_trailer_480x204.mp4", "3d"),
    ("../faces/knn_examples/train", "3d"),                        # photographs (an image folder)
])
def test_style_is_measured_from_a_few_frames(shared, video, preset):
    measure = measure_style(sample_frames(shared / VIDEO / video, 6))
    assert measure.preset == preset, measure.reason
    assert measure.frames == 6 and "edges on dark outlines" in measure.reason and "shading ramps" in measure.reason


def test_black_and_white_drawing_is_still_decided_and_says_so(shared):
    frames = sample_frames(shared / VIDEO / "2d/penny_and_chip/penny_and_chip_summer.mp4", 4)
    grey = [cv2.cvtColor(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB) for f in frames]
    measure = measure_style(grey)
    assert measure.colourless and "black-and-white" in measure.reason
    assert measure.preset in ("anime", "3d")


def test_nothing_to_measure_degrades_to_3d_with_a_reason(tmp_path):
    assert measure_style([]).preset == "3d" and "no frame" in measure_style([]).reason
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    assert sample_frames(broken) == []
    assert measure_style([np.zeros((48, 64, 3), np.uint8)]).preset == "3d"  # a black frame has no outlines


@pytest.mark.slow
def test_auto_preset_is_recorded_once_and_an_explicit_preset_wins(shared, castforge_home):
    from orchestration.ingest import ingest_source
    from resources.catalog import Catalog
    from resources.film_settings import film_settings, stage_params
    from resources.style import style_record_path

    ingest_source(Catalog(castforge_home), shared / VIDEO / "2d/penny_and_chip/penny_and_chip_autumn.mp4", "pc")
    assert film_settings("pc")["preset"] == "anime"          # the defaults say `preset: auto`
    record = json.loads(style_record_path("pc").read_text())
    assert record["preset"] == "anime" and "outlined drawing: anime" in record["reason"]
    assert stage_params("pc", "face_embeddings")["anime_detector"] is True
    record["preset"] = "3d"  # the record is what later lookups read (no second measurement)
    style_record_path("pc").write_text(json.dumps(record))
    assert film_settings("pc")["preset"] == "3d"
    film_yaml = castforge_home / "configs" / "films" / "pc.yaml"
    film_yaml.parent.mkdir(parents=True, exist_ok=True)
    film_yaml.write_text("preset: anime\n")
    assert film_settings("pc")["preset"] == "anime"
    assert film_settings("never_ingested")["preset"] == "3d"
    assert not style_record_path("never_ingested").exists()
