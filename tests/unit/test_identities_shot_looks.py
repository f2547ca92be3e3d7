"""A look of one character within its shots is not a design of its own (issue 12, session 24).

Penny & Chip (../shared/media/video/2d/penny_and_chip_26shots_480p.mp4, `preset: auto`): HDBSCAN's Chip cluster, 111
faces at the film's cluster size 14, in tests/data/penny_and_chip_chip_cluster.npz (drawn identity embeddings,
cut-out colours, shot and key frame of each face, as identity_clusters stored them). The design split cut 3 of his
cheering faces (shots 1, 20, 27, one face each) out as a third identity: face gap 0.040, colour gap 0.155, large
enough by ``split_min_shots`` alone. In each of those shots his other faces fill the other key frames, never one of
the cheer's: a look he takes, not a second character."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from assets.identities.core import normalise
from assets.identities.design_split import split_by_gap
from assets.identities.shot_looks import look_within_shots

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SIZE = 14   # the film's effective min_cluster_size


@pytest.fixture(scope="module")
def stored() -> dict:
    rows = dict(np.load(ROOT / "tests/data/penny_and_chip_chip_cluster.npz"))
    unit = {name: normalise(rows[name].astype(np.float32)) for name in ("face", "colour")}
    return {**unit, "shot": rows["shot"], "frame": rows["frame"].astype(object)}


def split(stored: dict, frames: np.ndarray | None) -> tuple[np.ndarray, int]:
    preset = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]
    return split_by_gap(stored["face"], np.zeros(len(stored["shot"]), dtype=np.int64), preset["split_gap"],
                        CLUSTER_SIZE, stored["colour"], preset["split_colour_gap"],
                        link_colour_weight=preset["split_link_colour_weight"], shots=stored["shot"],
                        min_part_shots=preset["split_min_shots"], frames=frames)


def smaller_part(labels: np.ndarray) -> np.ndarray:
    values, counts = np.unique(labels, return_counts=True)
    return labels == values[np.argmin(counts)]


def test_chips_cheer_stays_in_his_identity(stored):
    labels, cuts = split(stored, stored["frame"])
    assert cuts == 0 and (labels == 0).all()


def test_without_frames_the_cheer_is_cut_out(stored):
    labels, cuts = split(stored, None)
    cheer = smaller_part(labels)
    assert cuts == 1 and cheer.sum() == 3 and sorted(stored["shot"][cheer].tolist()) == [1, 20, 27]


def test_a_part_sharing_a_key_frame_with_the_rest_is_still_cut(stored):
    labels, before = split(stored, None)
    cheer = np.flatnonzero(smaller_part(labels))
    frames = stored["frame"].copy()
    shot = stored["shot"][cheer[0]]
    others = np.flatnonzero((stored["shot"] == shot) & ~np.isin(np.arange(len(frames)), cheer))
    frames[cheer[0]] = frames[others[0]]   # one cheer seen beside another face of the cluster: two characters
    assert before == 1 and split(stored, frames)[1] == 1


def test_a_part_in_a_shot_of_its_own_is_not_a_look():
    shots = np.array([1, 1, 2, 2, 3], dtype=object)
    frames = np.array(["a", "b", "c", "d", "e"], dtype=object)
    assert look_within_shots(np.array([1, 3]), np.array([0, 2]), shots, frames)
    assert not look_within_shots(np.array([1, 4]), np.array([0, 2]), shots, frames)   # shot 3: the part alone
    assert not look_within_shots(np.array([1]), np.array([0, 2]), shots, np.array(["a", "a", "c", "d", "e"], object))
