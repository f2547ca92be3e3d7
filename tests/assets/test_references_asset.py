"""identity_references materialised on real photographs (knn_examples: whole-photo instances, real faces), and on a
film without faces (no sets, a note, no failure)."""

import json
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from resources.storage import FilmWorkspace
from tests.assets.test_identities_assets import frames_home, run_stages, whole_frame_instances


@pytest.fixture(scope="module")
def knn_refs_home(tmp_path_factory, shared) -> Path:
    return frames_home(tmp_path_factory, shared, "media/faces/knn_examples/train", "knn_train")


def run_references(film: str):
    from assets.references.assets import identity_references
    from orchestration.profiles import resources_for

    res = resources_for("local")
    return materialize([identity_references], partition_key=film, instance=DagsterInstance.get(),
                       resources={k: res[k] for k in ("storage", "face_landmarker", "image_embedder")})


def test_reference_sets_per_identity_with_meta(knn_refs_home, copy_home):
    home = copy_home(knn_refs_home)
    whole_frame_instances(home, "knn_train")
    assert run_stages("knn_train", {"min_cluster_size": 2}).success
    assert run_references("knn_train").success
    workspace = FilmWorkspace("knn_train", home)
    table = workspace.read_table("reference_images")
    identities = workspace.read_table("identities")
    assert set(table["identity"]) == set(identities["identity"])      # every identity with faces has references
    root = workspace.artefact_dir("references")
    for row in table.iter_rows(named=True):
        image = workspace.absolute(row["path"])
        assert image.exists() and image.parent.name == row["set"]
        meta = json.loads(image.with_suffix(".json").read_text())
        assert meta["type"] == row["set"] and set(meta["bins"]) == {"yaw", "pitch", "expression", "occlusion",
                                                                     "lighting"}
        assert meta["model_versions"]["landmarks"] == "mp_face_landmark.tflite"
        assert meta["bins"]["expression"] in ("neutral", "smile", "mouth_open", "eyes_closed")  # photos: judged
    for identity in identities["identity"]:   # unnamed: the folder is the film-scoped name the datasets use
        meta = json.loads((root / f"knn_train_char{int(identity.removeprefix('identity_'))}" / "meta.json").read_text())
        assert meta["faces"] == 2 and meta["stop_reason"]
        # two photos cannot fill 7 yaw buckets: the empty ones say why
        empty = [b for b in meta["coverage"]["yaw"].values() if b["face_id"] is None]
        assert empty and all(b["empty"] for b in empty)
        assert "anchors" in meta["short"]                                # fewer than 4 anchors: explained
    assert (root / "contact_sheet.png").stat().st_size > 1000
    # no faces: no sets, a note, and the run succeeds
    faces = workspace.read_table("faces")
    workspace.write_table("faces", faces.head(0))
    record = workspace.read_stage_record("face_embeddings")
    workspace.write_stage_record("face_embeddings", {**record, "fingerprint": "test-no-faces",  # a new input
                                                     "outputs": {}})  # hand-written: keyed by its fingerprint
    assert run_references("knn_train").success
    assert workspace.read_table("reference_images").height == 0
    note = json.loads((root / "summary.json").read_text())["note"]
    assert "no faces" in note and not [p for p in root.iterdir() if p.is_dir()]
