"""identity_references after a review measures only the faces whose inputs changed, and writes what a full recompute
writes (knn_examples photos as whole-frame cut-outs with real faces; the face mesh and the TFLite embedder): a
rename measures nothing again, a changed key frame measures its face again, files and rows equal to a full
recompute's."""

from pathlib import Path

import cv2
import numpy as np
import polars as pl
from dagster import DagsterInstance, materialize

from assets.references.face_reuse import STORE, FaceReuse
from resources.item_store import save_items
from resources.storage import FilmWorkspace
from tests.assets.test_identities_assets import run_stages, whole_frame_instances
from tests.assets.test_references_asset import knn_refs_home  # noqa: F401 (the module's home fixture)

FILM = "knn_train"


def run_references() -> dict:
    """Materialises identity_references alone; its materialization's metadata values."""
    from assets.references.assets import identity_references
    from orchestration.profiles import resources_for

    res = resources_for("local")
    result = materialize([identity_references], partition_key=FILM, instance=DagsterInstance.get(),
                         resources={k: res[k] for k in ("storage", "face_landmarker", "image_embedder")})
    assert result.success
    metadata = result.asset_materializations_for_node("identity_references")[0].metadata
    return {k: getattr(v, "value", v) for k, v in metadata.items()}


def rerun(workspace: FilmWorkspace, revision: str, full: bool = False) -> dict:
    """identity_references again under a new input fingerprint (as after a review); ``full``: without the last
    run's store, a full recompute."""
    if full:
        (workspace.artefact_dir("references") / STORE).unlink()
    record = workspace.read_stage_record("face_embeddings")
    workspace.write_stage_record("face_embeddings", {**record, "fingerprint": f"test-{revision}", "outputs": {}})
    return run_references()


def written(workspace: FilmWorkspace) -> tuple[pl.DataFrame, dict[str, bytes]]:
    """The reference_images rows and every file of the references folder (bytes) but the reuse store."""
    root = workspace.artefact_dir("references")
    return (workspace.read_table("reference_images"),
            {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
             and p.name != STORE})


def assert_same(one, other) -> None:
    assert one[0].equals(other[0]) and one[0].height > 0
    assert one[1].keys() == other[1].keys() and all(one[1][name] == other[1][name] for name in one[1])


def test_a_rename_measures_no_face_again_and_a_changed_key_frame_only_its_face(knn_refs_home, copy_home):  # noqa: F811
    home = copy_home(knn_refs_home)
    whole_frame_instances(home, FILM)
    assert run_stages(FILM, {"min_cluster_size": 2}).success
    workspace = FilmWorkspace(FILM, home)
    first = run_references()
    faces = first["faces_measured"]   # the faces of the identities (the noise's are not measured)
    assert first["faces_reused"] == 0 and faces >= 6
    assert (workspace.artefact_dir("references") / STORE).is_file()
    # a review renames an identity: every face keeps its measures, and the sets equal a full recompute's
    identities = workspace.read_table("identities")
    renamed = identities["identity"][0]
    workspace.write_table("identities", identities.with_columns(
        name=pl.when(pl.col("identity") == renamed).then(pl.lit("barack")).otherwise(pl.col("name"))))
    again = rerun(workspace, "rename")
    assert (again["faces_reused"], again["faces_measured"]) == (faces, 0)
    reused = written(workspace)
    assert any(name.startswith("barack/") for name in reused[1])
    assert rerun(workspace, "rename-full", full=True)["faces_measured"] == faces
    assert_same(reused, written(workspace))
    # one key frame changes (darker): its face alone is measured again, and the sets equal a full recompute's
    frames = workspace.read_table("frames")
    frame_id = workspace.read_table("reference_images")["frame_id"][0]   # a face saved into a set
    path = workspace.absolute(frames.filter(pl.col("frame_id") == frame_id)["path"][0])
    cv2.imwrite(str(path), cv2.imread(str(path)) // 3)
    changed = rerun(workspace, "frame")
    assert (changed["faces_reused"], changed["faces_measured"]) == (faces - 1, 1)
    measured = written(workspace)
    assert rerun(workspace, "frame-full", full=True)["faces_measured"] == faces
    assert_same(measured, written(workspace))
    assert measured[0]["quality"].to_list() != reused[0]["quality"].to_list() or any(
        measured[1][name] != reused[1].get(name) for name in measured[1] if name.endswith(".json"))   # it changed


def test_an_embedder_whose_vectors_depend_on_the_batch_reuses_nothing(tmp_path):
    """Only a batch-invariant embedder's vectors are taken from a store (the TFLite backend's are)."""
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    store = tmp_path / STORE
    save_items(store, {"k": ({"visible": None}, {"vector": np.ones(4, np.float32)})})

    class BatchDependent:
        batch_invariant = False

    assert FaceReuse(None, store, Path, TfliteImageEmbedder(), {}).last.keys() == {"k"}
    assert FaceReuse(None, store, Path, BatchDependent(), {}).last == {}
