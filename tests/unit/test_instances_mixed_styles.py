"""The instances core in a film that mixes drawn and rendered shots (Penny & Chip frames cut together with the
Sintel trailer's, ``preset: auto``): the 2D cues (AnimeFace faces) go to the drawn shots only."""

from pathlib import Path

import cv2
import polars as pl
import pytest

from assets.instances.core import InstanceParams, drawn_shots, extract_instances

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
    """Records the ``anime_faces`` choice of every call; finds nothing."""

    def __init__(self):
        self.calls: list[bool | None] = []

    def __call__(self, rgb, anime_faces=None):
        self.calls.append(anime_faces)
        return [], None


def run(film: str, frames: pl.DataFrame, tmp_path: Path, **options) -> list[bool | None]:
    segment = FakeSegment()
    table = extract_instances(film, frames, Path, segment, tmp_path / "out", str, "fake", "fake", InstanceParams(),
                              **options)
    assert table.height == 0
    return segment.calls


def test_drawn_shots_get_the_2d_cues_and_rendered_shots_do_not(castforge_home, tmp_path, mixed_frames):
    assert drawn_shots("mixed", mixed_frames, Path) == {0: True, 1: False, 2: True}
    assert run("mixed", mixed_frames, tmp_path) == [True, False, True]
    # one kind of shot: no per-shot choice, the stage's own anime_faces holds
    assert drawn_shots("drawn_only", mixed_frames.filter(pl.col("shot") != 1), Path) is None
    assert run("drawn_only", mixed_frames.filter(pl.col("shot") != 1), tmp_path) == [None, None]
    assert run("mixed", mixed_frames, tmp_path, drawn=None) == [None, None, None]


def test_an_explicit_preset_means_no_per_shot_choice(castforge_home, tmp_path, mixed_frames):
    film_yaml = castforge_home / "configs" / "films" / "fixed.yaml"
    film_yaml.parent.mkdir(parents=True, exist_ok=True)
    film_yaml.write_text("preset: 3d\n")
    assert drawn_shots("fixed", mixed_frames, Path) is None
    assert run("fixed", mixed_frames, tmp_path) == [None, None, None]
