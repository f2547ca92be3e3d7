"""An image folder is a set of independent looks (issue 12): a character drawn in a few images is a character,
where a film's cluster must span a few shots' worth of key frames (``identities.min_cluster_shots``)."""

import json
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import yaml

from assets.identities.assignment import assign_identities
from assets.identities.core import IdentityParams, shot_min_cluster_size

ROOT = Path(__file__).resolve().parents[2]
PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"


def test_min_cluster_size_counts_shots_not_key_frames():
    # an image folder: every image a shot of its own, one or two faces in each
    assert shot_min_cluster_size(["a", "a", "b", "c"], [0, 0, 1, 2], 3) == 3
    # a film: 8 key frames with a face per shot, so 3 shots are 24 faces
    frames, shots = [f"f{k}" for k in range(40)], [k // 8 for k in range(40)]
    assert shot_min_cluster_size(frames, shots, 3) == 24
    assert shot_min_cluster_size(frames, [None] * 40, 3) is None and shot_min_cluster_size(frames, shots, None) is None
    assert shot_min_cluster_size(["a", "b"], [0, None], 1) == 2   # a null shot is skipped; never below 2


def drawn_faces(shared: Path) -> tuple[list[np.ndarray], list[str], pl.DataFrame]:
    """As an image folder holds them: Penny and Chip in 4 frames of different shots (their hand-labelled faces),
    and one image of 39 anime portraits (the grid, 39 characters); each image its own shot. Returns the drawn faces'
    context crops, who each is, and the instances' table (frame_id, shot, box: the face box)."""
    from resources.backends.drawn_identity import context_crop
    from resources.protocols import FaceDetection

    labels = json.loads((ROOT / "tests/data/penny_and_chip_faces.json").read_text())["frames"]
    capture, crops, names, rows = cv2.VideoCapture(str(shared / PENNY_CHIP)), [], [], []
    for image, shot in enumerate((1, 7, 13, 19)):
        capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
        frame = cv2.cvtColor(capture.read()[1], cv2.COLOR_BGR2RGB)
        for name in ("penny", "chip"):
            box = tuple(map(float, labels[str(shot)][name]))
            crops.append(context_crop(frame, FaceDetection(box, 1.0, "label")))
            names.append(name)
            rows.append((f"image_{image}", image, *box))
    capture.release()
    grid = json.loads((ROOT / "tests/data/anime_face_grid_labels.json").read_text())
    image = cv2.cvtColor(cv2.imread(str(shared / grid["image"])), cv2.COLOR_BGR2RGB)
    for k, box in enumerate(grid["faces"]):
        crops.append(context_crop(image, FaceDetection(tuple(map(float, box)), 1.0, "label")))
        names.append(f"portrait_{k}")
        rows.append(("image_4", 4, *map(float, box)))
    table = pl.DataFrame(rows, schema=["frame_id", "shot", "x0", "y0", "x1", "y1"], orient="row")
    return crops, names, table.with_columns(pl.Series("instance_id", [f"i{k}" for k in range(len(rows))]),
                                            pl.col("shot").cast(pl.Float64).alias("timestamp_s"))


def test_an_image_folder_with_four_looks_of_each_child_and_a_sheet_of_portraits_gives_both_identities(
        shared, castforge_home):
    """47 drawn faces in 5 images: with the share of the faces alone (0.15 x 47 = 7) Penny's and Chip's 4 looks
    each are noise; counted in shots (1 key frame per image, 3 images), each child is one identity holding 3 of
    their 4 faces and nothing else, and no portrait joins one (the sheet's faces are 39 characters). Shot 13's
    two faces stay noise: they are closer to each other (0.81) than to their own character's other looks."""
    from resources.backends.drawn_identity import DrawnIdentityEmbedder
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    crops, names, boxes = drawn_faces(shared)
    ids = boxes["instance_id"].to_list()
    faces = dict(zip(ids, DrawnIdentityEmbedder(TfliteImageEmbedder()).embed(crops)))
    preset = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]

    def labels_of(params: dict) -> tuple[list[int], list[int], set[int]]:
        labels = assign_identities(ids, faces, None, IdentityParams.from_dict(params), boxes=boxes).labels.tolist()
        return labels[0:8:2], labels[1:8:2], set(labels[8:])   # Penny's, Chip's, the portraits'

    # the share of the faces alone, and no part of the shared-frame cut kept below it (session 44's
    # shared_frame_part_faces keeps each child's looks, which share frames with the other's, from 3 faces)
    penny, chip, _ = labels_of({**preset, "min_cluster_shots": None, "shared_frame_part_faces": None})
    assert set(penny) == {-1} and set(chip) == {-1}
    penny, chip, portraits = labels_of(preset)
    assert penny.count(-1) == 1 and len(set(penny) - {-1}) == 1 and chip.count(-1) == 1 and len(set(chip) - {-1}) == 1
    assert set(penny) & set(chip) == {-1} and portraits == {-1}



def test_portraits_of_one_style_seen_in_three_crops_of_a_sheet_are_each_an_identity_of_their_own(shared,
                                                                                                castforge_home):
    """The anime grid (39 portraits of 39 characters, one drawing style) as an image set holds it: the whole sheet at
    1024 px, its top-left 2 x 2 tiles, tile (1, 1) and its top-left 3 x 3 tiles shrunk to 360 px; hand-labelled
    faces. At 3 looks a portrait in three or four of the crops may be a character, but every identity must be one
    portrait: portraits of one style embed close (the sheet was one identity in session 15)."""
    from resources.backends.drawn_identity import DrawnIdentityEmbedder, context_crop
    from resources.protocols import FaceDetection
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    grid = json.loads((ROOT / "tests/data/anime_face_grid_labels.json").read_text())
    sheet = cv2.cvtColor(cv2.imread(str(shared / grid["image"])), cv2.COLOR_BGR2RGB)
    views = {"whole": ((0, 0, 3072, 3072), 1024 / 3072), "2x2": ((0, 0, 1024, 1024), 1.0),
             "tile_11": ((512, 512, 1024, 1024), 1.0), "3x3": ((0, 0, 1536, 1536), 360 / 1536)}
    crops, names, rows = [], [], []
    for shot, (view, ((x0, y0, x1, y1), scale)) in enumerate(views.items()):
        image = cv2.resize(sheet[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        for k, (a, b, c, d) in enumerate(grid["faces"]):
            if a >= x0 and b >= y0 and c <= x1 and d <= y1:
                box = tuple(float(v) for v in ((a - x0) * scale, (b - y0) * scale, (c - x0) * scale, (d - y0) * scale))
                crops.append(context_crop(image, FaceDetection(box, 1.0, "label")))
                names.append(k)
                rows.append((view, shot, *box))
    boxes = pl.DataFrame(rows, schema=["frame_id", "shot", "x0", "y0", "x1", "y1"], orient="row").with_columns(
        pl.Series("instance_id", [f"i{k}" for k in range(len(rows))]), pl.col("shot").cast(pl.Float64).alias("timestamp_s"))
    ids = boxes["instance_id"].to_list()
    faces = dict(zip(ids, DrawnIdentityEmbedder(TfliteImageEmbedder()).embed(crops)))
    params = IdentityParams.from_dict(yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"])
    labels = assign_identities(ids, faces, None, params, boxes=boxes).labels
    found = {int(label): [k for lab, k in zip(labels, names) if lab == label] for label in set(labels) - {-1}}
    assert len(found) >= 2, found
    for members in found.values():
        assert len(set(members)) == 1 and len(members) >= 3, found   # one portrait, seen in 3 crops or more


def test_held_out_similarities_leave_each_member_out_of_its_prototype():
    from assets.identities.appearance import held_out_similarities
    from assets.identities.core import normalise

    members = normalise(np.random.default_rng(0).normal(size=(5, 16)))
    expected = [float(members[j] @ normalise(np.delete(members, j, axis=0).sum(axis=0, keepdims=True))[0])
                for j in range(5)]
    assert np.allclose(held_out_similarities(members), expected, atol=1e-6)
    inclusive = members @ normalise(members.mean(axis=0, keepdims=True))[0]
    assert (held_out_similarities(members) < inclusive).all()   # counted in its own prototype, each looks closer
    assert held_out_similarities(members[:1]).tolist() == [1.0]


def test_a_faceless_look_of_a_small_drawn_identity_joins_it_when_members_are_held_out(shared):
    """Penny's and Chip's faces in 4 shots each (an image folder's handful of looks) and faceless crops of both in 9
    other shots (each child's body below the hand-labelled face). The anime preset's appearance floor holds each
    member out of the prototype it is compared with: one more crop joins its own child (Chip's of shot 21), none the
    other child; each member counted in its own prototype (inclusive), the floor shuts that look out."""
    from resources.backends.drawn_identity import DrawnIdentityEmbedder, context_crop
    from resources.backends.tflite_embedder import TfliteImageEmbedder
    from resources.protocols import FaceDetection

    labels = json.loads((ROOT / "tests/data/penny_and_chip_faces.json").read_text())["frames"]
    embedder = TfliteImageEmbedder()
    capture, ids, names, rows, faces, bodies = cv2.VideoCapture(str(shared / PENNY_CHIP)), [], [], [], {}, []
    for shot in (1, 7, 13, 19, 3, 5, 9, 11, 15, 17, 21, 23, 25):
        capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
        frame = cv2.cvtColor(capture.read()[1], cv2.COLOR_BGR2RGB)
        for name in ("penny", "chip"):
            x0, y0, x1, y1 = box = tuple(map(float, labels[str(shot)][name]))
            ids.append(f"{name}_{shot}"), names.append(name), rows.append((f"frame_{shot}", shot, *box))
            w, h = x1 - x0, y1 - y0
            bodies.append(frame[max(0, int(y0 - 0.3 * h)):, max(0, int(x0 - 0.4 * w)):int(x1 + 0.4 * w)])
            if shot in (1, 7, 13, 19):
                faces[ids[-1]] = DrawnIdentityEmbedder(embedder).embed(
                    [context_crop(frame, FaceDetection(box, 1.0, "label"))])[0]
    capture.release()
    appearance = embedder.embed(bodies)
    boxes = pl.DataFrame(rows, schema=["frame_id", "shot", "x0", "y0", "x1", "y1"], orient="row").with_columns(
        pl.Series("instance_id", ids), pl.col("shot").cast(pl.Float64).alias("timestamp_s"))
    preset = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]
    assert preset["appearance_floor"] == "held_out"

    def adopted(floor: str) -> list[tuple[str, str]]:
        # the floor alone: a clear lead (session 21) adopts Chip's crop of shot 21 under either floor
        params = IdentityParams.from_dict({**preset, "appearance_floor": floor, "tracks": False,
                                           "appearance_clear_lead": False})
        result = assign_identities(ids, faces, appearance, params, boxes=boxes)
        child = {label: names[k] for k, label in enumerate(result.labels) if ids[k] in faces and label >= 0}
        assert sorted(child.values()) == ["chip", "penny"]   # each child one identity from their faces
        return [(names[k], child[label]) for k, label in enumerate(result.labels) if ids[k] not in faces and label >= 0]

    inclusive, held_out = adopted("inclusive"), adopted("held_out")
    assert all(mine == theirs for mine, theirs in inclusive + held_out)
    assert len(held_out) > len(inclusive) >= 1
