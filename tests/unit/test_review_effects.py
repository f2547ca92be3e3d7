"""A review nothing undoes: kept means in the dataset, decided items stay pinned, every other change a re-run makes to
a reviewed identity is listed (accept / undo) in the review UI, and decisions not yet in the dataset are named."""

import json

import numpy as np
import polars as pl
from fastapi.testclient import TestClient

from assets.identities.assignment import Assignment
from assets.identities.core import NOISE
from assets.identities.review_effects import (identity_changes, nearest_identities, place_kept,
                                              reviewed_identities)
from orchestration.review.app import create_app
from resources import review_state as rs
from resources.catalog import Catalog
from tests.unit.test_review_app import FILM, make_film


def table(identities: list[str], source: list[str] | None = None, by: list[str] | None = None) -> pl.DataFrame:
    n = len(identities)
    return pl.DataFrame({"instance_id": [f"i{k}" for k in range(n)], "identity": identities,
                         "source": source or ["auto"] * n, "confidence": [0.5] * n, "by": by or ["face"] * n})


def test_a_kept_instance_is_never_left_in_noise():
    assignment = Assignment(["i0", "i1", "i2", "i3"], np.array([0, 1, -1, -1]), np.zeros(4, np.float32),
                            ["face"] * 4, [{"has_faces": True, "vector": np.array([1.0, 0.0]), "members": [0]},
                                           {"has_faces": True, "vector": np.array([0.0, 1.0]), "members": [1]}], {})
    faces = {"i0": np.array([1.0, 0.0]), "i1": np.array([0.0, 1.0]), "i2": np.array([0.2, 0.9])}
    nearest = nearest_identities(assignment, ["A", "B"], faces, None, ["i2", "i3"])
    assert nearest["i2"][0] == "B" and "i3" not in nearest         # i3: no face, no appearance
    before = table(["A", "B", NOISE, NOISE, NOISE], source=["auto"] * 4 + ["review"])
    placed, messages = place_kept(before, {"i2", "i3", "i4"}, nearest)
    assert placed["identity"].to_list() == ["A", "B", "B", NOISE, NOISE]
    assert placed["by"][2] == "kept"
    assert len(messages) == 1 and "i3" in messages[0]                # said, not silent
    # i4 went to noise by the reviewer's own decision (an identity marked noise): it stays there


def test_changes_to_reviewed_identities_are_listed_until_accepted():
    previous = table(["A", "A", "A", "B", "C"])
    current = table(["A", NOISE, "B", "B", "D"], source=["auto", "auto", "review", "auto", "auto"])
    review = rs.IdentityReview(operations=[{"kind": "rename", "item_id": "A", "from_value": None, "to_value": "Ann"}])
    reviewed = reviewed_identities(review, set(), previous)
    assert reviewed == {"A"}
    changes = identity_changes(previous, current, reviewed, None, set(), 3, "run1")
    # i1 left A for noise by itself; i2 moved by a decision (pinned, not a surprise); C -> D is not reviewed
    assert changes.select("instance_id", "from_identity", "to_identity").rows() == [("i1", "A", NOISE)]
    # the next run keeps listing it (from the original identity) until accepted
    again = identity_changes(current, current, reviewed, changes, set(), 4, "run2")
    assert again["instance_id"].to_list() == ["i1"] and again["revision"].to_list() == [3]
    assert identity_changes(current, current, reviewed, changes, {("i1", NOISE)}, 5, "run3").height == 0
    # it went back where it was: nothing to review any more
    restored = current.with_columns(pl.when(pl.col("instance_id") == "i1").then(pl.lit("A"))
                                    .otherwise(pl.col("identity")).alias("identity"))
    assert identity_changes(current, restored, reviewed, changes, set(), 5, "run3").height == 0


def test_kept_instances_make_their_identity_reviewed():
    previous = table(["A", "B"])
    assert reviewed_identities(None, {"i1"}, previous) == {"B"}


def test_review_ui_lists_changes_pending_decisions_and_accepts(castforge_home):
    workspace = make_film(castforge_home)
    catalog = Catalog(castforge_home)
    rs.record_decision(catalog, FILM, "rename", "identity_000", "Ann")                    # revision 1
    workspace.write_table("identity_changes", pl.DataFrame({
        "instance_id": ["a1"], "from_identity": ["identity_001"], "to_identity": ["identity_000"], "revision": [1],
        "run_id": ["r"], "why": ["re-run placed it by track"]}))
    summary = workspace.artefact_dir("identities") / "identity_clustering.json"
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text(json.dumps({"review_revision": 1, "review": ["move to 'x': instance(s) gone no longer exist"]}))
    rs.record_decision(catalog, FILM, "keep", "a2", None)                                 # revision 2: not run yet
    client = TestClient(create_app(castforge_home), base_url="http://127.0.0.1")
    answer = client.get(f"/api/films/{FILM}/identities").json()
    effects = answer["effects"]
    assert [p["kind"] for p in effects["pending"]] == ["keep"] and "identity_clusters" in effects["rerun"]
    assert effects["changes"][0]["to_name"] == "Ann" and effects["changes"][0]["status"] == "to review"
    assert any("no longer exist" in m for m in answer["missing"])                         # reported, not dropped
    page = client.get(f"/films/{FILM}").text
    assert "not in the dataset yet" in page and "Since your last review: 1" in page
    accepted = client.post(f"/api/films/{FILM}/decisions", json={"expected_revision": 2, "decisions": [
        {"kind": "accept", "item_id": "a1", "to_value": "identity_000"}]})
    assert accepted.status_code == 200
    assert client.get(f"/api/films/{FILM}/identities").json()["effects"]["changes"] == []
    # undo of a change is a move back: shown as undone (pinned) until the next run
    workspace.write_table("identity_changes", pl.DataFrame({
        "instance_id": ["b4"], "from_identity": ["identity_000"], "to_identity": ["identity_001"], "revision": [1],
        "run_id": ["r"], "why": ["re-run placed it by face"]}))
    client.post(f"/api/films/{FILM}/decisions", json={"expected_revision": 3, "decisions": [
        {"kind": "move", "item_id": "b4", "from_value": "identity_001", "to_value": "identity_000"}]})
    change = client.get(f"/api/films/{FILM}/identities").json()["effects"]["changes"][0]
    assert change["status"].startswith("undone")


def test_instance_cards_carry_identity_track_and_frame_and_undo_says_what_it_undid(castforge_home):
    workspace = make_film(castforge_home)
    ii = workspace.read_table("instance_identities").with_columns(
        pl.Series("track_id", ["s0-t0", "s0-t0", "s0-t1", "s0-t2", "s0-t2", "s0-t2"]),
        pl.Series("stability", [0.9, 0.8, None, 0.7, 0.6, 0.5], dtype=pl.Float32))
    workspace.write_table("instance_identities", ii)
    catalog = Catalog(castforge_home)
    rs.record_decision(catalog, FILM, "rename", "identity_000", "Ann")
    client = TestClient(create_app(castforge_home), base_url="http://127.0.0.1")
    items = {i["instance_id"]: i for i in client.get(f"/api/films/{FILM}/instances").json()["items"]}
    assert items["a0"]["identity_name"] == "Ann" and items["a0"]["track_id"] == "s0-t0"
    assert items["a2"]["stability"] is None and items["b3"]["stability"] == 0.7
    page = client.get(f"/films/{FILM}/instances").text
    assert 'id="identity-filter"' in page and 'id="large"' in page
    client.post(f"/api/films/{FILM}/decisions", json={"expected_revision": 1, "decisions": [
        {"kind": "move", "item_id": "a1", "from_value": "identity_000", "to_value": "identity_001"},
        {"kind": "keep", "item_id": "a2"}]})
    undone = client.post(f"/api/films/{FILM}/undo", json={"expected_revision": 2}).json()
    assert undone["undone_revision"] == 2
    assert sorted(undone["undone"]) == ["keep a2", "move a1 to identity_001"]


def test_history_shows_names_and_thumbnails(castforge_home):
    make_film(castforge_home)
    catalog = Catalog(castforge_home)
    rs.record_decision(catalog, FILM, "rename", "identity_000", "Ann")
    rs.record_decision(catalog, FILM, "move", "b4", "identity_000", from_value="identity_001")
    client = TestClient(create_app(castforge_home), base_url="http://127.0.0.1")
    page = client.get(f"/films/{FILM}").text
    assert "<td>Ann</td>" in page and 'alt="b4"' in page    # the moved item's thumbnail, the target by its name


def test_undo_is_scoped_to_the_pages_kind_of_decision(castforge_home):
    make_film(castforge_home)
    catalog = Catalog(castforge_home)
    rs.record_decision(catalog, FILM, "keep", "a0", None)                       # revision 1: the instance grid
    rs.record_decision(catalog, FILM, "rename", "identity_000", "Ann")          # revision 2: the identities page
    client = TestClient(create_app(castforge_home), base_url="http://127.0.0.1")
    answer = client.post(f"/api/films/{FILM}/undo", json={"expected_revision": 2, "scope": "instances"}).json()
    assert answer["undone_revision"] == 1 and answer["undone"] == ["keep a0"]
    assert rs.instance_review(catalog, FILM) == {} and rs.identity_review(catalog, FILM).names == {"identity_000": "Ann"}
    refused = client.post(f"/api/films/{FILM}/undo", json={"expected_revision": 3, "scope": "instances"})
    assert refused.status_code == 400 and "nothing to undo among keep" in refused.json()["detail"]
    undone = client.post(f"/api/films/{FILM}/undo", json={"expected_revision": 3, "scope": "identities"}).json()
    assert undone["undone"] == ["rename identity_000 to Ann"] and rs.identity_review(catalog, FILM).names == {}
