"""2D bad input through the faces stage's core: real Penny & Chip frames made black-and-white or reduced to line
art, a frame tiled with many tiny faces, anime faces shrunk below the usable size. Each kept instance ends with a
face or a reason (``misses``), never an exception."""

import json
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"
SHOTS = (1, 11)


def penny_chip_frames(shared: Path) -> dict[int, np.ndarray]:
    capture, frames = cv2.VideoCapture(str(shared / PENNY_CHIP)), {}
    for shot in SHOTS:
        capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
        frames[shot] = cv2.cvtColor(capture.read()[1], cv2.COLOR_BGR2RGB)
    capture.release()
    return frames


def greyscale(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)


def line_art(rgb: np.ndarray) -> np.ndarray:
    """Black outlines on white, no colour or fill: what heavy line art without colour looks like."""
    edges = cv2.Canny(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 60, 150)
    return cv2.cvtColor(255 - cv2.dilate(edges, np.ones((2, 2), np.uint8)), cv2.COLOR_GRAY2RGB)


def tiled(rgb: np.ndarray, per_side: int) -> np.ndarray:
    """The frame shrunk ``per_side`` times and tiled back to its size: many characters with tiny faces."""
    height, width = rgb.shape[:2]
    small = cv2.resize(rgb, (width // per_side, height // per_side), interpolation=cv2.INTER_AREA)
    return cv2.resize(np.tile(small, (per_side, per_side, 1)), (width, height), interpolation=cv2.INTER_NEAREST)


def run_faces(tmp_path: Path, images: dict[str, np.ndarray], boxes: dict[str, list[tuple]], detectors: list[str],
              min_face_size: int = 32) -> tuple[pl.DataFrame, dict[str, str]]:
    from assets.faces.core import FaceParams, detect_faces
    from resources.face_analyzer import FaceAnalyzerResource

    frames, instances = [], []
    for frame_id, image in images.items():
        path = tmp_path / f"{frame_id}.png"
        cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        frames.append({"frame_id": frame_id, "path": str(path)})
        for index, box in enumerate(boxes[frame_id]):
            instances.append({"instance_id": f"{frame_id}_{index}", "frame_id": frame_id, "x0": float(box[0]),
                              "y0": float(box[1]), "x1": float(box[2]), "y1": float(box[3]), "kept": True})
    analyzer = FaceAnalyzerResource(drawn_detectors=detectors).get(anime=True)
    misses: dict[str, str] = {}
    faces = detect_faces(pl.DataFrame(frames), pl.DataFrame(instances), analyzer,
                         FaceParams(min_face_size=min_face_size, anime_detector=True), Path, None, str, misses)
    every = {row["instance_id"] for row in instances}
    assert set(faces["instance_id"]) | set(misses) == every, "every kept instance has a face or a reason"
    assert not set(faces["instance_id"]) & set(misses)
    if faces.height:
        assert np.isfinite(np.asarray(faces["embedding"].to_list())).all()
    return faces, misses


def character_boxes(shot: int) -> list[tuple]:
    labels = json.loads((DATA / "penny_and_chip_faces.json").read_text())["frames"][str(shot)]
    return [(x0 - 40, y0 - 30, x1 + 40, 479) for x0, y0, x1, y1 in (labels["penny"], labels["chip"])]


@pytest.mark.parametrize("damage", [greyscale, line_art], ids=["black_and_white", "line_art_without_colour"])
def test_colourless_drawn_frames_give_faces_or_reasons(shared, castforge_home, tmp_path, damage):
    frames = penny_chip_frames(shared)
    images = {f"s{shot}": damage(frame) for shot, frame in frames.items()}
    faces, misses = run_faces(tmp_path, images, {f"s{shot}": character_boxes(shot) for shot in frames},
                              ["anime", "yunet"])
    assert all(reason.startswith(("no face found by", "face too small")) for reason in misses.values()), misses


@pytest.mark.parametrize("per_side", [3, 6])
def test_a_frame_full_of_tiny_faces_degrades_to_reasons(shared, castforge_home, tmp_path, per_side):
    """Shot 11 tiled 3 x 3 (faces ~20-31 px, YuNet still sees most of them) and 6 x 6 (~10-15 px)."""
    frame = penny_chip_frames(shared)[11]
    height, width = frame.shape[:2]
    cell_w, cell_h = width / per_side, height / per_side
    boxes = [(c * cell_w, r * cell_h, (c + 1) * cell_w, (r + 1) * cell_h)
             for r in range(per_side) for c in range(per_side)]
    faces, misses = run_faces(tmp_path, {"crowd": tiled(frame, per_side)}, {"crowd": boxes}, ["anime", "yunet"])
    assert faces.height <= per_side * per_side // 4  # below the 32 px the 2D embedding reads, nearly all
    assert all(reason.startswith(("no face found by", "face too small")) for reason in misses.values())
    if per_side == 3:  # seen but unusable: the reason gives the size
        too_small = [r for r in misses.values() if r.startswith("face too small")]
        assert len(too_small) >= 5 and all("< 32 px" in r for r in too_small), misses


def test_anime_faces_too_small_are_named_too_small(shared, castforge_home, tmp_path):
    """The anime grid's first tile shrunk so its labelled faces are ~16-24 px: no face is used, and those the
    detectors still see are reported as too small, with their size."""
    labels = json.loads((DATA / "anime_face_grid_labels.json").read_text())
    grid = cv2.cvtColor(cv2.imread(str(shared / labels["image"])), cv2.COLOR_BGR2RGB)
    tile = grid[:1024, :1024]
    full, _ = run_faces(tmp_path, {"tile": tile}, {"tile": [(0, 0, 1024, 1024)]}, ["anime", "yunet"])
    assert full.height == 1, "the full-size tile has a usable face"
    small = cv2.resize(tile, (96, 96), interpolation=cv2.INTER_AREA)
    big_enough = cv2.copyMakeBorder(small, 0, 160, 0, 160, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    faces, misses = run_faces(tmp_path, {"small": big_enough}, {"small": [(0, 0, 96, 96)]}, ["anime", "yunet"],
                              min_face_size=32)
    assert faces.height == 0 and list(misses) == ["small_0"]
    assert misses["small_0"].startswith(("face too small", "no face found by")), misses
