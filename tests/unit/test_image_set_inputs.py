"""Issue 12, an anime image set as users bring it: a transparent cut-out character and a black-and-white copy
of a colour image in the same folder, on the real CC0 characters and Penny & Chip frames."""

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from assets.frames.core import FrameParams, extract_image_frames
from resources.media import read_image_rgb

PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"


def penny_chip_frame(shared: Path, shot: int) -> np.ndarray:
    capture = cv2.VideoCapture(str(shared / PENNY_CHIP))
    capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
    ok, bgr = capture.read()
    capture.release()
    assert ok
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def test_a_transparent_character_is_read_on_white_not_on_its_hidden_black(shared: Path):
    path = shared / "media/characters_rgba/sita_front.png"
    rgba = np.asarray(Image.open(path))
    rgb = read_image_rgb(path)
    clear, solid = rgba[:, :, 3] == 0, rgba[:, :, 3] == 255
    assert clear.mean() > 0.3 and (rgba[clear][:, :3] == 0).all(axis=1).mean() > 0.99  # black under its alpha
    assert (rgb[clear] == 255).all()  # read on white: the dark hair keeps its outline against the background
    assert np.array_equal(rgb[solid], rgba[solid][:, :3])  # the character's own pixels unchanged


def test_an_opaque_image_reads_as_before(shared: Path):
    path = shared / "media/faces/anime_face_grid.jpg"
    assert np.array_equal(read_image_rgb(path), np.asarray(Image.open(path).convert("RGB")))


def test_a_folder_keeps_the_colour_image_over_its_black_and_white_copy(shared: Path, tmp_path: Path):
    folder = tmp_path / "set"
    folder.mkdir()
    for shot in (5, 16):
        rgb = penny_chip_frame(shared, shot)
        Image.fromarray(rgb).convert("L").save(folder / f"a_grey_{shot}.png")  # first in the folder's order
        Image.fromarray(rgb).save(folder / f"b_colour_{shot}.png")
    frames = extract_image_frames(folder, tmp_path / "frames", FrameParams()).frames
    kept = {row["source"]: row for row in frames.iter_rows(named=True) if row["kept"]}
    dropped = {row["source"]: row["drop_reason"] for row in frames.iter_rows(named=True) if not row["kept"]}
    assert sorted(kept) == ["b_colour_16.png", "b_colour_5.png"]
    assert dropped["a_grey_5.png"] == f"duplicate_of:{kept['b_colour_5.png']['frame_id']}"
    assert dropped["a_grey_16.png"] == f"duplicate_of:{kept['b_colour_16.png']['frame_id']}"


def test_a_cut_jpeg_is_named_at_ingest_and_whole_ones_are_not(shared: Path, tmp_path: Path):
    from resources.media import probe

    folder = tmp_path / "set"
    folder.mkdir()
    whole = (shared / "media/faces/anime_face_grid.jpg").read_bytes()
    (folder / "grid.jpg").write_bytes(whole)
    (folder / "grid_cut.jpg").write_bytes(whole[: len(whole) * 2 // 5])  # a copy stopped part way
    Image.fromarray(penny_chip_frame(shared, 3)).save(folder / "frame.jpg", quality=90)
    (folder / "photo.jpg").write_bytes((shared / "media/faces/knn_examples/test/obama_and_biden.jpg").read_bytes())
    info = probe(folder)
    assert info.image_count == 4
    assert info.unusable == ("grid_cut.jpg: is truncated: it ends without JPEG's end-of-image marker "
                             "(a half-copied or cut file)",)
    frames = extract_image_frames(folder, tmp_path / "frames", FrameParams()).frames
    dropped = {row["source"]: row["drop_reason"] for row in frames.iter_rows(named=True) if not row["kept"]}
    assert dropped["grid_cut.jpg"].startswith("unreadable: cannot be decoded")  # the frames stage agrees
