"""identity_clusters' identity map after a review: copied from the last run when its vectors, labels and method are
unchanged (the same bytes as drawing it), drawn again when any of them changed or the last PNG is not the one
recorded (knn_examples photos embedded by the TFLite embedder, labelled by person)."""

from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from assets.identities import map_reuse
from assets.identities.map_reuse import STORE, MapReuse
from assets.identities.outputs import plot_map
from resources.item_reuse import ItemReuse
from resources.storage import FilmWorkspace, swap_in


@pytest.fixture(scope="module")
def photos(shared) -> tuple[np.ndarray, list[str]]:
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    paths = sorted((shared / "media/faces/knn_examples/train").glob("*/*"))
    images = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in paths]
    return TfliteImageEmbedder().embed(images), [p.parent.name for p in paths]


def run(home: Path, vectors: np.ndarray, labels: list[str], method: str = "pca") -> tuple[bool, bytes]:
    """One run of the map as identity_clusters makes it: drawn into a staged folder that replaces the last."""
    workspace = FilmWorkspace("film", home)
    stage = SimpleNamespace(asset="identity_clusters", code_version="v1", config_hash="c1")
    reuse = MapReuse(ItemReuse(workspace, stage), workspace.artefact_dir("identities"))
    staging = home / "staging"
    staging.mkdir(parents=True)
    assert reuse.plot(staging / "identity_map.png", vectors, labels, method)
    workspace.artefact_dir("identities").parent.mkdir(parents=True, exist_ok=True)
    swap_in(staging, workspace.artefact_dir("identities"))
    return reuse.reused, (workspace.artefact_dir("identities") / "identity_map.png").read_bytes()


def drawn(tmp_path: Path, vectors: np.ndarray, labels: list[str], method: str = "pca") -> bytes:
    target = tmp_path / f"full_{len(list(tmp_path.glob('full_*')))}.png"
    assert plot_map(target, vectors, labels, method)
    return target.read_bytes()


def test_the_map_is_copied_when_unchanged_and_drawn_again_when_not(photos, tmp_path, monkeypatch):
    vectors, labels = photos
    home = tmp_path / "home"
    assert run(home, vectors, labels) == (False, drawn(tmp_path, vectors, labels))
    assert (home / "films/film/identities" / STORE).is_file()
    monkeypatch.setattr(map_reuse, "plot_map", lambda *a: pytest.fail("an unchanged map is drawn again"))
    assert run(home, vectors, labels) == (True, drawn(tmp_path, vectors, labels))   # a rename: the same bytes
    monkeypatch.undo()
    moved = labels[:-1] + [labels[0]]                                  # a cut-out moved to another identity
    assert run(home, vectors, moved) == (False, drawn(tmp_path, vectors, moved))
    assert run(home, vectors[1:], moved[1:]) == (False, drawn(tmp_path, vectors[1:], moved[1:]))   # one discarded
    changed = vectors[1:].copy()
    changed[0, 0] = np.nextafter(changed[0, 0], np.float32(1))         # one vector's last bit
    assert run(home, changed, moved[1:]) == (False, drawn(tmp_path, changed, moved[1:]))
    png = home / "films/film/identities/identity_map.png"
    png.write_bytes(drawn(tmp_path, vectors, labels))                   # the last PNG is not the one recorded
    assert run(home, changed, moved[1:]) == (False, drawn(tmp_path, changed, moved[1:]))
    assert run(home, changed, moved[1:])[0] is True
