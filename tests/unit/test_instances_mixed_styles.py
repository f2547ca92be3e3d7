"""The instances core in a film that mixes drawn and rendered shots (Penny & Chip frames cut together with the
Sintel trailer's, ``preset: auto``): the 2D cues (AnimeFace faces) and the anime preset's analysis cap go to the
drawn shots only, the 3d preset's cap to the rendered shots, whichever style the film measured as."""

import json
from pathlib import Path

import cv2
import polars as pl
import pytest

from assets.instances.core import ANALYSIS_MAX_HEIGHT_3D, InstanceParams, extract_instances, shot_plan
from resources.film_settings import stage_params
from resources.style import STYLE_VERSION, style_record_path

PENNY_CHIP, SINTEL = "media/video/2d/penny_and_chip_26shots_480p.mp4", "media/video/sintel_trailer_480x204.mp4"
SHOTS = {0: (PENNY_CHIP, 3.5), 1: (SINTEL, 25.0), 2: (PENNY_CHIP, 91.5)}


@pytest.fixture()
def mixed_frames(shared, tmp_path) -> pl.DataFrame:
    rows = []
    for shot, (video, seconds) in SHOTS.items():
        capture = cv2.VideoCapture(str(shared / video))
        capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
        ok, bgr = capture.read()
        capture.release()
        assert ok, f"{video} at {seconds} s"
        path = tmp_path / f"s{shot}.png"
        cv2.imwrite(str(path), bgr)
        rows.append({"frame_id": f"s{shot}", "shot": shot, "timestamp_s": float(shot), "kept": True, "path": str(path)})
    return pl.DataFrame(rows)


class FakeSegment:
    """Records the ``anime_faces`` choice and the analysis cap of every call; finds nothing."""

    def __init__(self):
        self.calls: list[bool | None] = []
        self.caps: list[int | None] = []

    def __call__(self, rgb, anime_faces=None, analysis_max_height=None, motion=None):
        self.calls.append(anime_faces)
        self.caps.append(analysis_max_height)
        return [], None


def run(film: str, frames: pl.DataFrame, tmp_path: Path, params: InstanceParams = InstanceParams(),
        segment: FakeSegment | None = None, **options) -> list[bool | None]:
    segment = segment or FakeSegment()
    table = extract_instances(film, frames, Path, segment, tmp_path / "out", str, "fake", "fake", params, **options)
    assert table.height == 0
    return segment.calls


def caps(film: str, frames: pl.DataFrame, tmp_path: Path, **overrides) -> list[int | None]:
    """The analysis cap each frame was segmented with, the stage's parameters as the film's config sets them."""
    segment = FakeSegment()
    run(film, frames, tmp_path, InstanceParams.from_dict(stage_params(film, "instances", overrides)), segment)
    return segment.caps


def write_film_config(home: Path, film: str, text: str) -> None:
    path = home / "configs" / "films" / f"{film}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_drawn_shots_get_the_2d_cues_and_rendered_shots_do_not(castforge_home, tmp_path, mixed_frames):
    assert shot_plan("mixed", mixed_frames, Path, InstanceParams())[0] == {0: True, 1: False, 2: True}
    assert run("mixed", mixed_frames, tmp_path) == [True, False, True]
    # one kind of shot: no per-shot choice, the stage's own anime_faces holds
    assert shot_plan("drawn_only", mixed_frames.filter(pl.col("shot") != 1), Path, InstanceParams())[0] is None
    assert run("drawn_only", mixed_frames.filter(pl.col("shot") != 1), tmp_path) == [None, None]
    assert run("mixed", mixed_frames, tmp_path, drawn=None) == [None, None, None]


def test_an_explicit_preset_means_no_per_shot_choice(castforge_home, tmp_path, mixed_frames):
    write_film_config(castforge_home, "fixed", "preset: 3d\n")
    assert shot_plan("fixed", mixed_frames, Path, InstanceParams())[0] is None
    assert run("fixed", mixed_frames, tmp_path) == [None, None, None]


def write_preset(home: Path, preset: str, text: str) -> None:
    """A preset file in the home's configs (it overrides the repository's preset of that name)."""
    path = home / "configs" / "presets" / f"{preset}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_drawn_shots_of_a_mixed_3d_film_are_analysed_at_the_anime_cap(castforge_home, tmp_path, mixed_frames):
    # the film (preset auto, nothing ingested: 3d) takes the 3d cap; its drawn shots the anime preset's: 480 both
    assert stage_params("mixed", "instances")["analysis_max_height"] == ANALYSIS_MAX_HEIGHT_3D == 480
    assert caps("mixed", mixed_frames, tmp_path) == [480, 480, 480]
    # where the two presets' caps differ, each shot takes its own preset's
    write_preset(castforge_home, "3d", "instances:\n  analysis_max_height: 600\n")
    assert caps("mixed", mixed_frames, tmp_path) == [480, 600, 480]
    used = json.loads(style_record_path("mixed").read_text())["shots_used_by"]["instances"]
    assert "drawn shots, analysed at most 480 rows high; rendered shots at most 600 rows high" in used
    # a run override is a choice for every shot
    assert caps("mixed", mixed_frames, tmp_path, analysis_max_height=720) == [720, 720, 720]
    # one kind of shot: the film's cap everywhere
    assert caps("drawn_only", mixed_frames.filter(pl.col("shot") != 1), tmp_path) == [600, 600]


def test_rendered_shots_of_a_mixed_anime_film_are_analysed_at_the_3d_cap(castforge_home, tmp_path, mixed_frames):
    # the film (preset auto) measured as anime takes the anime preset's 480; its rendered shot the 3d preset's cap
    write_preset(castforge_home, "3d", "instances:\n  analysis_max_height: 600\n")
    path = style_record_path("mixed_anime")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": STYLE_VERSION, "preset": "anime"}))
    assert stage_params("mixed_anime", "instances")["analysis_max_height"] == 480
    assert caps("mixed_anime", mixed_frames, tmp_path) == [480, 600, 480]
    used = json.loads(path.read_text())["shots_used_by"]["instances"]
    assert "drawn shots, analysed at most 480 rows high; rendered shots at most 600 rows high" in used
    # a run override is a choice for every shot; the film's own preset everywhere when it is one kind of shot
    assert caps("mixed_anime", mixed_frames, tmp_path, analysis_max_height=720) == [720, 720, 720]
    assert caps("mixed_anime", mixed_frames.filter(pl.col("shot") != 1), tmp_path) == [480, 480]


def test_an_explicit_analysis_cap_in_the_film_config_wins_in_drawn_shots(castforge_home, tmp_path, mixed_frames):
    write_film_config(castforge_home, "capped", "instances:\n  analysis_max_height: 720\n")
    assert caps("capped", mixed_frames, tmp_path) == [720, 720, 720]
    write_film_config(castforge_home, "uncapped", "instances:\n  analysis_max_height: null\n")
    assert caps("uncapped", mixed_frames, tmp_path) == [None, None, None]
    write_film_config(castforge_home, "fixed", "preset: 3d\n")  # an explicit preset: no per-shot choice
    assert caps("fixed", mixed_frames, tmp_path) == [480, 480, 480]


def test_the_outline_rim_goes_to_drawn_shots_only(castforge_home, tmp_path, mixed_frames, monkeypatch):
    """A mixed film's drawn shots join a drawn outline to the cut (the anime preset's ``outline_rim``), its rendered
    shots do not; a film of one kind, or an explicit preset, keeps its own setting everywhere."""
    import numpy as np

    import assets.instances.core as core

    outlines: list[bool] = []

    def recording(rgb, mask, radius, outline=True):
        outlines.append(outline)
        return mask.astype(np.uint8) * 255

    def one_square(rgb, anime_faces=None, analysis_max_height=None):
        mask = np.zeros(rgb.shape[:2], bool)
        mask[40:120, 40:120] = True
        return [{"mask": mask}], None

    monkeypatch.setattr(core, "refine_alpha", recording)
    extract_instances("mixed", mixed_frames, Path, one_square, tmp_path / "a", str, "t", "t", InstanceParams())
    assert outlines == [True, False, True]
    outlines.clear()
    drawn_only = mixed_frames.filter(pl.col("shot") != 1)
    for params, expected in ((InstanceParams(), [False, False]), (InstanceParams(outline_rim=True), [True, True])):
        extract_instances("drawn_only", drawn_only, Path, one_square, tmp_path / "b", str, "t", "t", params)
        assert outlines == expected
        outlines.clear()
