"""effects after a review measures again only the key frames whose file, kept boxes or tracked masks changed, and its
tables equal a full recompute's (a Penny & Chip frame with a pasted character, inserted snow, tracked masks)."""

from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import polars as pl

from assets.effects import synthetic
from assets.effects.core import catalogue
from assets.effects.frame_reuse import STORE, FrameReuse
from assets.effects.params import EffectParams
from resources.item_reuse import ItemReuse
from resources.storage import FilmWorkspace
from tests.unit.test_temporal_effects import _signals, character, frame  # noqa: F401 (fixtures)

PARAMS = EffectParams()


def write_film(root: Path, frame: np.ndarray, character: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Four key frames with the character pasted (recoloured on the last two: a transformation along its track),
    snow on the second; frames, instances (cut-out, mask, box) and track points."""
    sprite = cv2.resize(character, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    recoloured = sprite.copy()
    recoloured[..., :3] = cv2.cvtColor(cv2.cvtColor(sprite[..., :3], cv2.COLOR_BGR2HSV) + np.array(
        [70, 0, 0], np.uint8), cv2.COLOR_HSV2BGR)
    h, w = sprite.shape[:2]
    for n, (look, x0) in enumerate([(sprite, 40), (sprite, 60), (recoloured, 80), (recoloured, 100)]):
        picture, mask = frame.copy(), np.zeros(frame.shape[:2], np.uint8)
        covered = look[..., 3] > 127
        picture[30:30 + h, x0:x0 + w][covered] = look[..., :3][covered]
        mask[30:30 + h, x0:x0 + w][covered] = 255
        if n == 1:
            picture = synthetic.add_snow(picture, np.random.default_rng(1), flakes_per_megapixel=4000)
        cv2.imwrite(str(root / f"f{n}.png"), picture)
        cv2.imwrite(str(root / f"m{n}.png"), mask)
        cv2.imwrite(str(root / f"c{n}.png"), np.dstack([picture[30:30 + h, x0:x0 + w], mask[30:30 + h, x0:x0 + w]]))
    frames = pl.DataFrame({"frame_id": ["f0", "f1", "f2", "f3"], "shot": [0] * 4, "timestamp_s": [0.5, 1.0, 1.5, 2.0],
                           "path": ["f0.png", "f1.png", "f2.png", "f3.png"], "kept": [True] * 4})
    instances = pl.DataFrame({"instance_id": ["i0", "i1", "i2", "i3", "j1"], "frame_id": ["f0", "f1", "f2", "f3", "f1"],
                              "path": ["c0.png", "c1.png", "c2.png", "c3.png", "c1.png"],
                              "mask_path": ["m0.png", "m1.png", "m2.png", "m3.png", None],
                              "x0": [40.0, 60, 80, 100, 300], "y0": [30.0, 30, 30, 30, 200],
                              "x1": [40.0 + w, 60 + w, 80 + w, 100 + w, 420], "y1": [30.0 + h] * 4 + [330.0],
                              "kept": [True] * 5})
    points = pl.DataFrame({"track_id": ["t"] * 4, "instance_id": ["i0", "i1", "i2", "i3"],
                           "frame_id": ["f0", "f1", "f2", "f3"], "timestamp_s": [0.5, 1.0, 1.5, 2.0]})
    return frames, instances, points


def run(root: Path, workspace: FilmWorkspace, frames, instances, points, read: list[str], config: str = "a"):
    stage = SimpleNamespace(asset="effects", code_version="effects-test", config_hash=config)
    reuse = FrameReuse(ItemReuse(workspace, stage), workspace.artefact_dir("effects") / STORE, lambda s: root / s)
    read_bgr, read_rgba, read_mask = readers(root, read)
    out = catalogue(frames, _signals([90.0] * 48), 24.0, instances, points, read_bgr, read_rgba, PARAMS, read_mask,
                    reuse)
    reuse.keep()
    return out, reuse


def readers(root: Path, read: list[str]) -> tuple:
    def read_bgr(stored: str):
        read.append(stored)
        return cv2.imread(str(root / stored))
    def read_rgba(stored: str):
        read.append(stored)
        return cv2.imread(str(root / stored), cv2.IMREAD_UNCHANGED)
    return (read_bgr, read_rgba,
            lambda stored: cv2.imread(str(root / stored), cv2.IMREAD_GRAYSCALE))


def full(root: Path, frames, instances, points):
    read_bgr, read_rgba, read_mask = readers(root, [])
    return catalogue(frames, _signals([90.0] * 48), 24.0, instances, points, read_bgr, read_rgba, PARAMS, read_mask)


def test_a_discard_measures_only_its_key_frame_and_the_tables_equal_a_full_recompute(tmp_path, frame, character):
    frames, instances, points = write_film(tmp_path, frame, character)
    workspace = FilmWorkspace("film", tmp_path / "home")
    read: list[str] = []
    first, reuse = run(tmp_path, workspace, frames, instances, points, read)
    assert (reuse.reused, reuse.measured, sorted(read)) == (0, 4, ["f0.png", "f1.png", "f2.png", "f3.png"])
    expected = full(tmp_path, frames, instances, points)
    assert first.effects.equals(expected.effects) and first.frame_effects.equals(expected.frame_effects)
    assert {"snow", "transformation"} <= set(first.effects["effect"])

    # nothing changed: no key frame is read, nor a cut-out (the tracked ones' mask histograms are taken too)
    read.clear()
    again, reuse = run(tmp_path, workspace, frames, instances, points, read)
    assert (reuse.reused, reuse.measured, read) == (4, 0, [])
    assert again.effects.equals(expected.effects) and again.frame_effects.equals(expected.frame_effects)

    # the review discards j1 (f1's boxes change) and the key frame f2 is written again with snow: those two only
    discarded = instances.with_columns(pl.when(pl.col("instance_id") == "j1").then(False).otherwise(pl.col("kept"))
                                       .alias("kept"))
    cv2.imwrite(str(tmp_path / "f2.png"), synthetic.add_snow(cv2.imread(str(tmp_path / "f2.png")),
                                                             np.random.default_rng(2), flakes_per_megapixel=4000))
    read.clear()
    after, reuse = run(tmp_path, workspace, frames, discarded, points, read)
    assert (reuse.reused, reuse.measured, sorted(read)) == (2, 2, ["f1.png", "f2.png"])
    expected = full(tmp_path, frames, discarded, points)
    assert after.effects.equals(expected.effects) and after.frame_effects.equals(expected.frame_effects)
    assert not after.effects.equals(first.effects)   # what changed shows: taking the last run's would be wrong

    # another setting: every key frame is measured again
    read.clear()
    _, reuse = run(tmp_path, workspace, frames, discarded, points, read, config="b")
    assert (reuse.reused, reuse.measured) == (0, 4)
