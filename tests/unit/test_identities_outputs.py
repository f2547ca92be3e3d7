"""Identity folders (relative symlinks valid after the staging swap, or copies), summary JSON and the 2-D map."""

import json

import numpy as np
import polars as pl
import pytest

from assets.identities.outputs import plot_map, write_folders, write_summary
from resources.storage import swap_in


@pytest.mark.parametrize("copy", [False, True])
def test_folders_survive_the_swap(tmp_path, copy):
    home = tmp_path / "home"
    cutouts = home / "films" / "f" / "instances"
    cutouts.mkdir(parents=True)
    for name in ("a", "b", "c"):
        (cutouts / f"{name}.png").write_bytes(b"png " + name.encode())
    (cutouts / "face_a.jpg").write_bytes(b"jpg")
    instances = pl.DataFrame({"instance_id": ["a", "b", "c"],
                              "path": [f"films/f/instances/{n}.png" for n in "abc"]})
    faces = pl.DataFrame({"instance_id": ["a"], "face_id": ["fa"], "crop_path": ["films/f/instances/face_a.jpg"]})
    ii = pl.DataFrame({"instance_id": ["a", "b", "c"], "identity": ["identity_000", "identity_000", "noise"]})
    final = home / "films" / "f" / "identities"
    staging = home / "films" / "f" / ".identities.staging"
    placed = write_folders(staging, final, ii, instances, faces, lambda p: home / p, copy=copy)
    swap_in(staging, final)
    assert placed == 3
    a = final / "identity_000" / "a.png"
    assert a.read_bytes() == b"png a" and a.is_symlink() != copy
    assert (final / "identity_000" / "faces" / "fa.jpg").read_bytes() == b"jpg"
    assert (final / "noise" / "c.png").exists()


def test_summary_and_map(tmp_path):
    identities = pl.DataFrame({"identity": ["identity_000"], "name": ["Sintel"], "size": [2], "has_faces": [True],
                               "prototype_instance_id": ["a"]})
    ii = pl.DataFrame({"instance_id": ["a", "b", "c", "d"], "identity": ["identity_000", "identity_000", "noise",
                                                                         "noise"],
                       "by": ["face", "appearance", "face", "appearance"]})
    summary = write_summary(tmp_path / "s.json", identities, ii, {"min_cluster_size": 2}, {}, {}, [])
    assert summary["no_face_ratio"] == 0.5 and summary["noise_ratio"] == 0.5 and summary["names"] == {
        "identity_000": "Sintel"}
    assert json.loads((tmp_path / "s.json").read_text())["identities"] == 1
    rng = np.random.default_rng(0)
    assert plot_map(tmp_path / "map.png", rng.standard_normal((6, 8)), ["identity_000"] * 3 + ["noise"] * 3)
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert not plot_map(tmp_path / "none.png", np.zeros((1, 8)), ["noise"])
