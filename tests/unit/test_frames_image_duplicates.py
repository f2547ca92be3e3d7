"""An image folder's images whose perceptual hashes are close are near-duplicates only when they are also one picture
pixel by pixel (frames.image_dedup_pixels, assets/frames/canvas_match.py): two composites of Kenney's CC0 characters
(install/fetch_bench_media.sh) pasted on one real Penny & Chip frame, the way a user's folder of screenshots or the
Kenney image sets hold them, read as one by the hash (it reads the frame's layout) and are both kept; the first one's
true copies (smaller, re-encoded as JPEG, grey, cropped by 1.5 %) are still dropped as its duplicates. Skips where
the wheel was not fetched."""

import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from assets.frames.core import FrameParams, extract_image_frames
from assets.frames.quality import hamming, measure
from tests.conftest import kenney_wheel_or_skip

ANIME_FRAMES = FrameParams(dedup_hamming=8, min_sharpness=1.0)  # configs/presets/anime.yaml
CHARACTERS = ("female_person", "robot")


@pytest.fixture(scope="module")
def composites(shared):
    from assets.instances import kenney_characters as kenney
    from assets.instances.composites import read_background

    wheel = kenney_wheel_or_skip()
    background = read_background(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4", 3.5, 480)
    images = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in CHARACTERS:
            raw = kenney.read_sprite(archive, name, "idle")
            rgba = kenney.crop_to_alpha(kenney.upscale_rgba(raw, 0.45 * 480 / kenney.crop_to_alpha(raw).shape[0]))
            h, w = rgba.shape[:2]
            x, y = 120, 480 - h - 20
            image = background.astype(np.float32)
            alpha = rgba[..., 3:].astype(np.float32) / 255
            image[y:y + h, x:x + w] = image[y:y + h, x:x + w] * (1 - alpha) + rgba[..., :3] * alpha
            images[name] = np.clip(image.round(), 0, 255).astype(np.uint8)
    return images


def _folder(composites: dict, folder) -> None:
    folder.mkdir()
    first = composites["female_person"]
    height, width = first.shape[:2]
    Image.fromarray(first).save(folder / "a_female_person.png")
    Image.fromarray(composites["robot"]).save(folder / "b_robot.png")
    small = cv2.resize(first, (width // 3, height // 3), interpolation=cv2.INTER_AREA)
    Image.fromarray(small).save(folder / "c_small.png")
    Image.fromarray(first).save(folder / "d_copy.jpg", quality=70)
    Image.fromarray(first).convert("L").save(folder / "e_grey.png")
    dy, dx = round(0.015 * height), round(0.015 * width)
    Image.fromarray(first[dy:height - dy, dx:width - dx]).save(folder / "f_cropped.png")


def test_the_hash_reads_the_two_composites_as_one(composites):
    hashes = [measure(cv2.cvtColor(composites[name], cv2.COLOR_RGB2BGR)).phash for name in CHARACTERS]
    assert hamming(np.array(hashes[:1], dtype=np.uint64), hashes[1])[0] <= ANIME_FRAMES.dedup_hamming


@pytest.mark.parametrize("pixels", [True, False])
def test_another_character_on_the_same_frame_is_kept_and_true_copies_dropped(composites, tmp_path, pixels):
    _folder(composites, tmp_path / "images")
    params = FrameParams(**{**ANIME_FRAMES.__dict__, "image_dedup_pixels": pixels})
    frames = extract_image_frames(tmp_path / "images", tmp_path / "frames", params).frames
    by_source = {row["source"]: row for row in frames.iter_rows(named=True)}
    assert by_source["a_female_person.png"]["kept"]
    first_id = by_source["a_female_person.png"]["frame_id"]
    copies = ("c_small.png", "d_copy.jpg", "e_grey.png", "f_cropped.png")
    assert {by_source[source]["drop_reason"] for source in copies} == {f"duplicate_of:{first_id}"}
    robot = by_source["b_robot.png"]
    if pixels:
        assert robot["kept"], robot["drop_reason"]
    else:  # the hash alone (video frames' rule) drops the robot's image as the female person's
        assert robot["drop_reason"] == f"duplicate_of:{first_id}"
