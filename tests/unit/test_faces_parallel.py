"""The faces stage on a pool of worker processes writes what the one-process path writes: the same rows in the
same order (boxes, embeddings, crop paths), the same misses, per-frame detector orders honoured."""

from pathlib import Path

import polars as pl
import pytest

from assets.faces.core import FaceParams, detect_faces
from assets.faces.parallel import faces_in_pool, workers_for
from resources.face_analyzer import FaceAnalyzerResource
from resources.storage import FilmWorkspace

KNN = "media/faces/knn_examples"


def test_workers_only_where_the_frames_pay_for_their_start_up():
    assert workers_for(10, configured=2) == 1
    assert workers_for(40, configured=2) == 2
    assert workers_for(400, configured=1) == 1


@pytest.mark.slow
def test_pool_writes_the_rows_and_misses_of_one_process(shared: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    photos = sorted((shared / KNN).rglob("*.jp*g"))[:12]
    frames = pl.DataFrame({"frame_id": [f"f{i:02d}" for i in range(len(photos))], "path": [str(p) for p in photos]})
    # a whole-photo instance on each frame (has a face), and a corner one on every third (too small to hold one)
    instances = pl.DataFrame(
        [{"instance_id": f"i{i:02d}", "frame_id": f"f{i:02d}", "x0": 0.0, "y0": 0.0, "x1": 4000.0, "y1": 4000.0,
          "kept": True} for i in range(len(photos))]
        + [{"instance_id": f"c{i:02d}", "frame_id": f"f{i:02d}", "x0": 0.0, "y0": 0.0, "x1": 20.0, "y1": 20.0,
            "kept": True} for i in range(0, len(photos), 3)])
    # scrfd alone on the even frames, yunet alone on the odd ones
    orders = {f"f{i:02d}": ("scrfd",) if i % 2 == 0 else ("yunet",) for i in range(len(photos))}
    resource, params = FaceAnalyzerResource(), FaceParams(min_face_size=32)
    workspace = FilmWorkspace("photos", tmp_path / "home")
    final = workspace.artefact_dir("faces")
    one_dir, pool_dir = tmp_path / "home/films/photos/one", tmp_path / "home/films/photos/pool"
    one_dir.mkdir(parents=True), pool_dir.mkdir(parents=True)
    one_misses: dict[str, str] = {}
    one = detect_faces(frames, instances, resource.get(), params, workspace.absolute, one_dir,
                       workspace.relative_once_moved(one_dir, final), one_misses, orders.__getitem__)
    done: list[int] = []
    pooled, pool_misses = faces_in_pool("photos", workspace.home, frames, instances, params, FaceAnalyzerResource,
                                        resource.model_dump(), False, (), pool_dir, final, 2, orders.__getitem__,
                                        done.append)
    assert one.height >= 10 and set(one["detector"]) == {"scrfd", "yunet"}
    assert pooled.equals(one)   # rows, order, embeddings and crop paths alike
    assert pool_misses == one_misses and list(pool_misses) == list(one_misses) and len(one_misses) >= 4
    assert done[-1] == len(photos)
    assert sorted(p.name for p in pool_dir.iterdir()) == sorted(p.name for p in one_dir.iterdir())
