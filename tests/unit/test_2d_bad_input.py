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


def test_bad_input_ends_as_noise_with_a_reason_per_instance(shared, castforge_home, tmp_path):
    """Colour, black-and-white, line-art and tiled Penny & Chip frames through faces and identities with the
    anime preset: every instance no identity takes carries a ``why``; a faceless one names its face miss."""
    import yaml

    from assets.identities.assignment import assign_identities, tables
    from assets.identities.core import NOISE, IdentityParams
    from assets.identities.noise_reasons import with_noise_reasons
    from assets.identities.prototypes import best_faces
    from assets.identities.review_effects import nearest_identities
    from assets.faces.core import embedding_matrix

    frames = penny_chip_frames(shared)
    images, boxes = {}, {}
    for shot, frame in frames.items():
        for name, image in (("colour", frame), ("grey", greyscale(frame)), ("lines", line_art(frame))):
            images[f"{name}{shot}"], boxes[f"{name}{shot}"] = image, character_boxes(shot)
    images["crowd"] = tiled(frames[11], 6)
    boxes["crowd"] = [(c * 142, r * 80, (c + 1) * 142, (r + 1) * 80) for r in range(3) for c in range(3)]
    faces, misses = run_faces(tmp_path, images, boxes, ["anime", "yunet"])
    preset = yaml.safe_load((Path(__file__).resolve().parents[2] / "configs/presets/anime.yaml").read_text())
    params = IdentityParams.from_dict(preset["identities"])
    chosen = best_faces(faces, params)
    vectors = dict(zip(chosen["instance_id"].to_list(), embedding_matrix(chosen)))
    quality = dict(zip(chosen["instance_id"].to_list(), zip(chosen["quality"], chosen["gated"])))
    instance_ids = sorted(set(faces["instance_id"]) | set(misses))
    assignment = assign_identities(instance_ids, vectors, None, params, quality)
    ids = [f"identity_{k:03d}" for k in range(len(assignment.groups))]
    _, table = tables(assignment, ids, {})
    noise = table.filter(pl.col("identity") == NOISE)["instance_id"].to_list()
    table = with_noise_reasons(table, pl.DataFrame({"instance_id": list(misses), "reason": list(misses.values())}),
                               nearest_identities(assignment, ids, vectors, None, noise), params,
                               sum(group["has_faces"] for group in assignment.groups))
    rows = {row["instance_id"]: row for row in table.iter_rows(named=True)}
    assert len(noise) >= len(misses) >= 9  # at least the crowd's faces are missed or too small
    for instance_id, row in rows.items():
        assert (row["why"] is None) == (row["identity"] != NOISE), row
        if instance_id in misses:
            assert row["why"].startswith(f"no face ({misses[instance_id]})"), row
        elif row["identity"] == NOISE:
            assert row["why"].startswith("its face"), row
