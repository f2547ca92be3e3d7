"""Carrying masks within a shot behind the motion gate (assets/instances/carry.py), on real media: Saha
(characters_rgba, exact alpha) walking across a real Big Buck Bunny frame. A small walk carries and the carried mask
fits the character where it now stands; a big walk, a character walking in, or a source without masks is segmented.
The stage writes a carried frame's rows with the same columns, its cues copied from the source."""

from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import polars as pl
import pytest

from assets.instances.carry import CarryGate, check_carry
from assets.instances.composites import compose_sequence, load_character, mask_iou, read_background
from assets.instances.core import INSTANCE_SCHEMA, InstanceParams, extract_instances


def walk(shared: Path, step: float, frames: int = 3) -> tuple[list[np.ndarray], list[np.ndarray]]:
    background = read_background(shared / "media/video/big_buck_bunny_0_30.webm", 6.5, 360)
    saha = load_character(shared / "media/characters_rgba/saha_front.png")
    scenes = compose_sequence(background, "bbb@6.5", [saha], np.random.default_rng(3), frames=frames, step=step)
    return [s.rgb for s in scenes], [s.characters[0].mask for s in scenes]


@pytest.fixture(scope="module")
def small_walk(shared):
    return walk(shared, 0.005)


def test_a_small_walk_carries_and_the_carried_mask_fits_the_new_frame(small_walk):
    from assets.instances.carry import carried_masks

    frames, truths = small_walk
    check = check_carry(frames[0], [truths[0]], frames[1])
    assert check.carry, check.reason
    carried = carried_masks(check, [truths[0]], frames[1].shape)[0]
    assert mask_iou(carried, truths[1]) > max(0.93, mask_iou(truths[0], truths[1]) + 0.02)


def test_a_big_walk_is_segmented(shared):
    frames, truths = walk(shared, 0.05, frames=2)
    check = check_carry(frames[0], [truths[0]], frames[1])
    assert not check.carry and check.measures["shift"] > CarryGate().max_shift


def test_a_character_walking_in_is_segmented(shared, small_walk):
    frames, truths = small_walk
    sita = load_character(shared / "media/characters_rgba/sita_front.png").rgba
    height = frames[1].shape[0] // 2
    sita = cv2.resize(sita, (round(sita.shape[1] * height / sita.shape[0]), height), interpolation=cv2.INTER_AREA)
    entered = frames[1].copy()
    alpha = sita[..., 3:].astype(np.float32) / 255
    x0 = 0 if np.nonzero(truths[0])[1].mean() > frames[1].shape[1] / 2 else frames[1].shape[1] - sita.shape[1]
    window = entered[-height:, x0:x0 + sita.shape[1]]
    window[:] = (window * (1 - alpha) + sita[..., :3] * alpha).astype(np.uint8)
    check = check_carry(frames[0], [truths[0]], entered)
    assert check_carry(frames[0], [truths[0]], frames[1]).carry
    assert not check.carry and check.reason.startswith("unexplained")


def test_a_source_without_masks_is_never_carried(small_walk):
    frames, _ = small_walk
    assert not check_carry(frames[0], [], frames[1]).carry


class FakeSegment:
    """The exact mask of the frame it is given, and a face at the character's centre; counts its calls."""

    def __init__(self, frames: list[np.ndarray], truths: list[np.ndarray]):
        self.frames, self.truths, self.calls = frames, truths, 0

    def __call__(self, rgb: np.ndarray, **options):
        self.calls += 1
        n = next(i for i, f in enumerate(self.frames) if np.array_equal(f, rgb))
        ys, xs = np.nonzero(self.truths[n])
        cx, cy = xs.mean(), ys.mean()
        cues = SimpleNamespace(faces=np.array([[cx - 5, cy - 5, cx + 5, cy + 5, 0.9]]))
        return [{"mask": self.truths[n], "score": 0.8, "seed": "face", "person_score": 0.7}], cues


def stage(frames: list[np.ndarray], truths: list[np.ndarray], tmp_path: Path, carry_max: int,
          step: float) -> tuple[pl.DataFrame, int]:
    rows = []
    for n, rgb in enumerate(frames):
        path = tmp_path / f"f{n}.png"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        rows.append({"frame_id": f"f{n}", "shot": 0, "timestamp_s": float(n), "kept": True, "path": str(path)})
    segment = FakeSegment(frames, truths)
    table = extract_instances("walk", pl.DataFrame(rows), Path, segment, tmp_path / f"out{carry_max}_{step}", str,
                              "fake", "fake", InstanceParams(carry_max=carry_max, shot_consistency=False), drawn=None)
    return table, segment.calls


def test_the_stage_writes_carried_rows_with_the_source_cues(small_walk, tmp_path):
    frames, truths = small_walk
    table, calls = stage(frames, truths, tmp_path, carry_max=2, step=0.005)
    assert calls == 1 and table.schema == pl.Schema(INSTANCE_SCHEMA)
    assert table["seed"].to_list() == ["face", "carried+face", "carried+face"]
    assert table["face_count"].to_list() == [1, 1, 1] and table["person_score"].to_list() == [0.7] * 3
    for row in table.iter_rows(named=True):
        mask = cv2.imread(row["mask_path"], cv2.IMREAD_GRAYSCALE) > 0
        assert mask_iou(mask, truths[int(row["frame_id"][1:])]) > 0.9
        assert Path(row["path"]).exists() and Path(row["overlay_path"]).exists()
    off, calls = stage(frames, truths, tmp_path, carry_max=0, step=0.005)
    assert calls == 3 and off["seed"].to_list() == ["face"] * 3


def test_the_chain_is_bounded_and_a_refused_frame_is_segmented(shared, small_walk, tmp_path):
    frames, truths = small_walk
    _, calls = stage(frames, truths, tmp_path, carry_max=1, step=0.005)
    assert calls == 2   # f0 segmented, f1 carried, f2 past the bound: segmented
    frames, truths = walk(shared, 0.05)
    table, calls = stage(frames, truths, tmp_path, carry_max=2, step=0.05)
    assert calls == 3 and not table["seed"].str.starts_with("carried").any()
