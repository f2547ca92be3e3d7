"""An image folder's cut-outs and figures on a plain canvas are near-duplicates by their figure, not their canvas
(assets/frames/quality.figure): Kenney's CC0 sprites (arcade's wheel, install/fetch_bench_media.sh) in several poses
and as true copies (resized, moved on a larger canvas, laid on white and re-encoded as JPEG, a grey copy) through the
frames stage's image path with the anime preset's frames values. Skips where the wheel was not fetched."""

import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from assets.frames.core import FrameParams, extract_image_frames
from assets.frames.quality import figure
from tests.conftest import kenney_wheel_or_skip

ANIME_FRAMES = FrameParams(dedup_hamming=8, min_sharpness=1.0)  # configs/presets/anime.yaml
POSES = ("idle", "jump", "walk0", "walk2", "walk4", "walk6", "climb0")


@pytest.fixture(scope="module")
def sprites():
    from assets.instances import kenney_characters as kenney

    wheel = kenney_wheel_or_skip()
    with zipfile.ZipFile(wheel) as archive:
        return {(name, pose): kenney.read_sprite(archive, name, pose)
                for name in ("female_person", "robot") for pose in POSES}


def _canvas(rgba: np.ndarray, rows: int) -> np.ndarray:
    from assets.instances.kenney_characters import upscale_rgba

    return upscale_rgba(rgba, rows / rgba.shape[0])


def _on_white(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:].astype(np.float32) / 255
    return np.round(rgba[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)


def test_poses_of_one_sprite_are_kept_and_its_true_copies_dropped(sprites, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for k, (name, pose) in enumerate(sprites):  # every pose at 360 / 480 / 600 rows, as the image sets hold them
        Image.fromarray(_canvas(sprites[name, pose], (360, 480, 600)[k % 3])).save(folder / f"{name}_{pose}.png")
    idle = _canvas(sprites["female_person", "idle"], 360)
    Image.fromarray(_canvas(sprites["female_person", "idle"], 420)).save(folder / "copy_resized.png")
    moved = np.zeros((idle.shape[0] + 60, idle.shape[1] + 140, 4), np.uint8)
    moved[40:40 + idle.shape[0], 100:100 + idle.shape[1]] = idle
    Image.fromarray(moved).save(folder / "copy_moved.png")
    Image.fromarray(_on_white(idle)).save(folder / "copy_flat.jpg", quality=85)
    Image.fromarray(_on_white(idle)).convert("L").save(folder / "copy_grey.png")

    frames = extract_image_frames(folder, tmp_path / "frames", ANIME_FRAMES).frames
    by_source = {row["source"]: row for row in frames.iter_rows(named=True)}
    others = [f"{name}_{pose}.png" for name, pose in sprites if (name, pose) != ("female_person", "idle")]
    dropped = {source: by_source[source]["drop_reason"] for source in others if not by_source[source]["kept"]}
    assert dropped == {}, f"other poses dropped as duplicates: {dropped}"
    idle = ["female_person_idle.png", "copy_resized.png", "copy_moved.png", "copy_flat.jpg", "copy_grey.png"]
    kept = [source for source in idle if by_source[source]["kept"]]
    assert len(kept) == 1 and kept[0] != "copy_grey.png", kept  # one of the five, in colour
    kept_id = by_source[kept[0]]["frame_id"]
    assert {by_source[source]["drop_reason"] for source in idle if source != kept[0]} == {f"duplicate_of:{kept_id}"}


def test_a_figure_is_read_from_a_cutout_or_a_plain_canvas_only(sprites, shared):
    from assets.instances.composites import read_background

    sprite = _canvas(sprites["robot", "walk2"], 480)
    bgr = cv2.cvtColor(_on_white(sprite), cv2.COLOR_RGB2BGR)
    assert figure(bgr, cutout=True, colour=True) is not None
    assert figure(bgr, cutout=False, colour=True) is not None  # the same figure on an opaque white canvas
    frame = cv2.cvtColor(read_background(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4", 3.5, 480),
                         cv2.COLOR_RGB2BGR)
    assert figure(frame, cutout=False, colour=True) is None  # a film's frame keeps its canvas hash
    assert figure(np.full_like(bgr, 255), cutout=True, colour=True) is None  # a blank canvas holds no figure
