"""What the review reaches in a film and what is behind it, from the film's stage records (the review UI's
"not built from the review as it is now" and the `castforge materialize` line it offers)."""

import json

import pytest

from orchestration.review.data import rerun_command, review_reach
from resources.storage import FilmWorkspace


def _record(workspace: FilmWorkspace, asset: str, fingerprint: str, inputs: dict[str, str]) -> None:
    path = workspace.stage_record_path(asset)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"asset": asset, "fingerprint": fingerprint, "inputs": inputs}))


@pytest.fixture
def film(tmp_path) -> FilmWorkspace:
    """A film built through the export at review revision 3; identity_references read an older clustering."""
    workspace = FilmWorkspace("f", tmp_path)
    _record(workspace, "frames", "F", {"film": "hash"})
    _record(workspace, "instances", "I", {"frames": "F"})
    _record(workspace, "filtered_instances", "FI", {"instances": "I", "review": "r3"})
    _record(workspace, "face_embeddings", "FE", {"frames": "F", "filtered_instances": "FI"})
    _record(workspace, "identity_clusters", "IC2", {"faces": "FE", "filtered_instances": "FI", "review": "r3"})
    _record(workspace, "identity_references", "R", {"instance_identities": "IC1", "faces": "FE"})
    _record(workspace, "character_datasets", "D", {"instance_identities": "IC2", "captions": "absent"})
    return workspace


def test_the_last_assets_the_review_reaches_and_those_behind_it(film):
    last, behind = review_reach(film, 3)
    assert last == ["character_datasets", "identity_references"]         # frames and instances do not read it
    assert behind == ["identity_references"]                             # built from an older clustering
    assert rerun_command("f", last) == "castforge materialize f --select character_datasets,identity_references"


def test_a_new_decision_puts_everything_it_reaches_behind(film):
    _, behind = review_reach(film, 4)
    assert behind == ["character_datasets", "face_embeddings", "filtered_instances", "identity_clusters",
                      "identity_references"]


def test_a_film_without_records_is_offered_the_clustering(tmp_path):
    last, behind = review_reach(FilmWorkspace("g", tmp_path), 2)
    assert (last, behind) == ([], [])
    assert rerun_command("g", last) == "castforge materialize g --select identity_clusters"


def test_a_writer_that_ran_again_and_wrote_the_same_content_leaves_its_readers_current(film):
    path = film.stage_record_path("identity_clusters")   # ran again (new fingerprint), same instance_identities
    path.write_text(json.dumps({"asset": "identity_clusters", "fingerprint": "IC3", "outputs": {
        "instance_identities": "IC2"}, "inputs": {"faces": "FE", "filtered_instances": "FI", "review": "r3"}}))
    assert review_reach(film, 3)[1] == ["identity_references"]      # character_datasets read IC2: still current
    path.write_text(json.dumps({"asset": "identity_clusters", "fingerprint": "IC3", "outputs": {
        "instance_identities": "IC4"}, "inputs": {"faces": "FE", "filtered_instances": "FI", "review": "r3"}}))
    assert review_reach(film, 3)[1] == ["character_datasets", "identity_references"]
