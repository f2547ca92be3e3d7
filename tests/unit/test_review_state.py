"""Review decisions in the catalog: revisions, conflicts, undo/redo, and applying them to stage tables."""

import threading

import polars as pl
import pytest

from resources import review_state as rs
from resources.catalog import Catalog

FILM = "film_a"


@pytest.fixture
def catalog(castforge_home) -> Catalog:
    return Catalog(castforge_home)


def test_revision_starts_at_zero_and_counts_batches(catalog):
    assert rs.review_revision(catalog, FILM) == 0
    row = rs.record_decision(catalog, FILM, "keep", "i1", None, author="ann")
    assert row["revision"] == 1 and row["author"] == "ann"
    rows = rs.record_decisions(catalog, FILM, [{"kind": "discard", "item_id": "i2", "to_value": None},
                                               {"kind": "tag", "item_id": "i1", "to_value": "object"}])
    assert {r["revision"] for r in rows} == {2}
    assert rs.review_revision(catalog, FILM) == 2
    assert rs.review_revision(catalog, "other_film") == 0
    assert rs.instance_review(catalog, FILM) == {"i1": {"kept": True, "category": "object"},
                                                 "i2": {"kept": False, "category": None}}


def test_stale_expected_revision_is_a_conflict(catalog):
    rs.record_decision(catalog, FILM, "keep", "i1", None, expected_revision=0)
    rs.record_decision(catalog, FILM, "discard", "i1", None, expected_revision=1)
    with pytest.raises(rs.ConflictError, match="revision 1.*now at revision 2"):
        rs.record_decision(catalog, FILM, "keep", "i1", None, expected_revision=1)
    assert rs.instance_review(catalog, FILM)["i1"]["kept"] is False
    assert rs.review_revision(catalog, FILM) == 2


def test_concurrent_writers_on_the_same_revision_one_wins(catalog):
    outcomes: list[str] = []

    def tab(item: str) -> None:
        try:
            rs.record_decision(catalog, FILM, "keep", item, None, expected_revision=0)
            outcomes.append("ok")
        except rs.ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=tab, args=(f"i{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 3 + ["ok"]
    assert rs.review_revision(catalog, FILM) == 1


def test_undo_takes_back_a_whole_batch_and_redo_restores_it(catalog):
    rs.record_decision(catalog, FILM, "keep", "i1", None)
    rs.record_decisions(catalog, FILM, [{"kind": "discard", "item_id": f"b{n}", "to_value": None} for n in range(3)])
    undo_row = rs.undo(catalog, FILM, expected_revision=2)
    assert undo_row["revision"] == 3
    assert set(rs.instance_review(catalog, FILM)) == {"i1"}
    assert rs.can_redo(catalog, FILM)
    rs.redo(catalog, FILM)
    assert set(rs.instance_review(catalog, FILM)) == {"i1", "b0", "b1", "b2"}
    assert not rs.can_redo(catalog, FILM)
    # nothing is deleted: every row is still there, the undone ones marked
    history = rs.decisions(catalog, FILM, active_only=False)
    assert history.height == 1 + 3 + 1 + 3 + 1
    assert history.filter(pl.col("superseded_by").is_not_null()).height == 3 + 1


def test_a_new_decision_empties_the_redo_stack(catalog):
    rs.record_decision(catalog, FILM, "keep", "i1", None)
    rs.record_decision(catalog, FILM, "keep", "i2", None)
    rs.undo(catalog, FILM)
    rs.undo(catalog, FILM)
    assert rs.instance_review(catalog, FILM) == {}
    rs.redo(catalog, FILM)
    assert set(rs.instance_review(catalog, FILM)) == {"i1"}
    rs.record_decision(catalog, FILM, "discard", "i3", None)
    assert not rs.can_redo(catalog, FILM)
    with pytest.raises(rs.ReviewError, match="nothing to redo"):
        rs.redo(catalog, FILM)
    rs.undo(catalog, FILM)
    rs.undo(catalog, FILM)
    with pytest.raises(rs.ReviewError, match="nothing to undo"):
        rs.undo(catalog, FILM)


@pytest.mark.parametrize("item, message", [
    ({"kind": "explode", "item_id": "x", "to_value": None}, "unknown decision kind"),
    ({"kind": "keep", "item_id": "", "to_value": None}, "needs an item id"),
    ({"kind": "tag", "item_id": "i", "to_value": "spaceship"}, "not one of"),
    ({"kind": "rename", "item_id": "identity_000", "to_value": "  "}, "needs a target"),
    ({"kind": "merge", "item_id": "identity_000", "to_value": "identity_000"}, "into itself"),
    ({"kind": "split", "item_id": "identity_000", "to_value": "new", "payload": {}}, "instance ids"),
])
def test_malformed_decisions_are_refused(catalog, item, message):
    with pytest.raises(rs.ReviewError, match=message):
        rs.record_decisions(catalog, FILM, [item])
    assert rs.review_revision(catalog, FILM) == 0


def _assignments() -> pl.DataFrame:
    return pl.DataFrame({
        "instance_id": ["a1", "a2", "a3", "b1", "b2", "c1"],
        "identity": ["identity_000"] * 3 + ["identity_001"] * 2 + ["identity_002"],
        "source": ["auto"] * 6,
        "confidence": [0.9, 0.8, 0.7, 0.9, 0.6, 0.5],
        "by": ["face"] * 6,
    })


def test_identity_review_applies_in_order_and_reports_missing_items(catalog):
    rs.record_decision(catalog, FILM, "rename", "identity_000", "luca_human_form", from_value="identity_000")
    rs.record_decision(catalog, FILM, "merge", "identity_001", "identity_000")
    rs.record_decision(catalog, FILM, "split", "identity_000", "split_x", payload={"instance_ids": ["a3", "b2", "zz"]})
    rs.record_decision(catalog, FILM, "move", "a1", "identity_002", from_value="identity_000")
    rs.record_decision(catalog, FILM, "noise", "identity_002", True)
    rs.record_decision(catalog, FILM, "move", "gone", "identity_000")
    rs.record_decision(catalog, FILM, "rename", "identity_999", "ghost")
    review = rs.identity_review(catalog, FILM)
    assert review.names == {"identity_000": "luca_human_form", "identity_999": "ghost"}
    assert review.merges == [("identity_001", "identity_000")]
    assert review.splits == [("identity_000", "split_x", ["a3", "b2", "zz"])]
    assert review.noise == {"identity_002": True}
    assert review.display_name("identity_000") == "luca_human_form"
    assert review.display_name("identity_005") == "identity_005"

    reviewed, missing = rs.apply_identity_review(_assignments(), review)
    got = dict(zip(reviewed["instance_id"], reviewed["identity"]))
    assert got == {"a1": rs.NOISE, "a2": "identity_000", "a3": "split_x", "b1": "identity_000", "b2": "split_x",
                   "c1": rs.NOISE}
    assert dict(zip(reviewed["instance_id"], reviewed["source"]))["a2"] == "auto"
    assert set(reviewed.filter(pl.col("instance_id") != "a2")["source"]) == {"review"}
    assert reviewed.columns == [*_assignments().columns, "auto_identity"]
    assert reviewed["by"].to_list() == ["face"] * 6
    assert reviewed["auto_identity"].to_list() == _assignments()["identity"].to_list()
    assert len(missing) == 3
    assert any("zz" in m for m in missing) and any("gone" in m for m in missing)
    assert any("identity_999" in m for m in missing)


def test_undone_identity_decisions_no_longer_apply_even_to_a_reviewed_table(catalog):
    rs.record_decision(catalog, FILM, "merge", "identity_001", "identity_000")
    once, _ = rs.apply_identity_review(_assignments(), rs.identity_review(catalog, FILM))
    assert set(once["identity"]) == {"identity_000", "identity_002"}
    again, _ = rs.apply_identity_review(once, rs.identity_review(catalog, FILM))
    assert again.equals(once)  # re-applying to a reviewed table is idempotent
    rs.undo(catalog, FILM)
    reviewed, missing = rs.apply_identity_review(once, rs.identity_review(catalog, FILM))
    assert reviewed.drop("auto_identity").equals(_assignments()) and missing == []


def test_instance_review_applies_to_filtered_instances(catalog):
    table = pl.DataFrame({"instance_id": ["a", "b", "c"], "kept": [True, False, True],
                          "reason": [None, "too_small", None], "decided_by": ["auto"] * 3})
    rs.record_decision(catalog, FILM, "discard", "a", None)
    rs.record_decision(catalog, FILM, "keep", "b", None)
    rs.record_decision(catalog, FILM, "tag", "c", "background")
    rs.record_decision(catalog, FILM, "keep", "missing_one", None)
    out, missing = rs.apply_instance_review(table, rs.instance_review(catalog, FILM))
    assert out["kept"].to_list() == [False, True, True]
    assert out["decided_by"].to_list() == ["review", "review", "auto"]
    assert out["reason"].to_list() == ["review: discarded", "review: kept", None]
    assert out["category"].to_list() == [None, None, "background"]
    assert missing == ["review of instance missing_one: instance no longer exists"]


def test_review_url_and_fingerprint(catalog, monkeypatch):
    monkeypatch.delenv("CASTFORGE_REVIEW_URL", raising=False)
    assert rs.review_url("sintel", "identities") == "http://127.0.0.1:8765/films/sintel/identities"
    monkeypatch.setenv("CASTFORGE_REVIEW_URL", "http://box:9000/")
    assert rs.review_url() == "http://box:9000/"
    before = rs.review_fingerprint(catalog, FILM)
    rs.record_decision(catalog, FILM, "keep", "i", None)
    assert rs.review_fingerprint(catalog, FILM) != before
