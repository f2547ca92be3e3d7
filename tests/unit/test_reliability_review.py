"""Issue 11 items 2 and 6: review decisions cannot write outside CASTFORGE_HOME; the review API has limits."""

from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from assets.identities.outputs import write_folders
from orchestration.review.app import create_app
from orchestration.review.limits import MAX_BODY_BYTES, THUMB_WIDTHS, prune_thumbnails
from resources.errors import CastforgeError
from resources.storage import FilmWorkspace, contained
from tests.unit.test_review_app import FILM, make_film, post


@pytest.fixture
def client(castforge_home: Path) -> TestClient:
    make_film(castforge_home)
    return TestClient(create_app(castforge_home), base_url="http://127.0.0.1")


@pytest.mark.parametrize("decision", [
    {"kind": "split", "item_id": "identity_000", "to_value": "../../../../tmp/x", "payload": {"instance_ids": ["a1"]}},
    {"kind": "move", "item_id": "a1", "from_value": "identity_000", "to_value": "/tmp/escape"},
    {"kind": "merge", "item_id": "identity_001", "to_value": "identity_999"},
    {"kind": "move", "item_id": "a1", "from_value": "../x", "to_value": "identity_001"},
    {"kind": "rename", "item_id": "../../etc", "to_value": "a name"},
])
def test_identity_ids_that_are_not_known_are_refused(client, decision):
    response = post(client, "decisions", 0, [decision])
    assert response.status_code == 400 and "has no identity" in response.json()["detail"]
    assert client.get(f"/api/films/{FILM}/state").json()["revision"] == 0  # nothing recorded


def test_new_identities_get_server_minted_ids_and_names_stay_free_text(client):
    split = post(client, "decisions", 0, [{"kind": "split", "item_id": "identity_000", "to_value": "new",
                                           "payload": {"instance_ids": ["a1"]}}])
    (minted,) = split.json()["minted"]
    assert minted.startswith("split_") and contained(Path("/x"), minted) == Path("/x") / minted
    # the minted id is known from now on: moving into it and renaming it work; the name is any text
    assert post(client, "decisions", 1, [{"kind": "move", "item_id": "a2", "from_value": "identity_000",
                                          "to_value": minted}]).status_code == 200
    assert post(client, "decisions", 2, [{"kind": "rename", "item_id": minted,
                                          "to_value": "../../Sintel / the hero"}]).status_code == 200
    sizes = {i["identity"]: i["size"] for i in client.get(f"/api/films/{FILM}/identities").json()["identities"]}
    assert sizes[minted] == 2


def test_writers_refuse_paths_that_leave_the_workspace(tmp_path: Path):
    staging = tmp_path / "films" / "f" / ".identities.staging"
    staging.mkdir(parents=True)
    assignments = pl.DataFrame({"instance_id": ["a"], "identity": ["../../../../outside"]})
    empty_faces = pl.DataFrame(schema={"instance_id": pl.String, "face_id": pl.String, "crop_path": pl.String})
    with pytest.raises(CastforgeError, match="not a name inside"):
        write_folders(staging, tmp_path / "films/f/identities", assignments, pl.DataFrame({"instance_id": ["a"]}),
                      empty_faces, lambda p: tmp_path / p)
    assert not (tmp_path.parent / "outside").exists()
    for bad in ("../other_film", "/abs", "a/../../b"):
        with pytest.raises(CastforgeError):
            FilmWorkspace(bad, tmp_path)
    with pytest.raises(CastforgeError):
        FilmWorkspace("f", tmp_path).artefact_dir("../../x")


def test_request_body_size_is_limited(client):
    huge = {"expected_revision": 0, "decisions": [{"kind": "keep", "item_id": "a0", "from_value": "x" * 190}] * 20000}
    response = client.post(f"/api/films/{FILM}/decisions", json=huge)
    assert response.status_code == 413 and "over" in response.json()["detail"]
    chunks = (b"x" * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 2))  # chunked: no Content-Length
    response = client.post(f"/api/films/{FILM}/decisions", content=chunks,
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert client.get(f"/api/films/{FILM}/state").json()["revision"] == 0


@pytest.mark.parametrize("decision", [
    {"kind": "split", "item_id": "identity_000", "to_value": "new", "payload": {"instance_ids": "a1"}},
    {"kind": "split", "item_id": "identity_000", "to_value": "new", "payload": {"instance_ids": [1, 2]}},
    {"kind": "split", "item_id": "identity_000", "to_value": "new", "payload": {"instance_ids": ["a1"], "x": 1}},
    {"kind": "keep", "item_id": 5},
    {"kind": "keep", "item_id": "a0", "surprise": True},
])
def test_strict_types_are_422_with_a_reason(client, decision):
    response = post(client, "decisions", 0, [decision])
    assert response.status_code == 422 and response.json()["detail"]


def test_media_paths_with_nul_bytes_are_400_and_thumbnail_widths_are_a_fixed_set(client, castforge_home):
    item = client.get(f"/api/films/{FILM}/instances").json()["items"][0]
    assert client.get(f"/media/films/{FILM}/instances/cut0%00.png").status_code == 400
    cache = castforge_home / "films" / FILM / ".review_cache" / "thumbs"
    for width in range(17, 240, 3):  # 75 different widths asked for
        assert client.get(f"{item['image']}?w={width}").status_code == 200
    assert 0 < len(list(cache.glob("*.png"))) <= len([w for w in THUMB_WIDTHS if w < 240])
    for i in range(6):
        (cache / f"extra{i}.png").write_bytes(b"x")
    assert prune_thumbnails(cache, max_files=3) > 0 and len(list(cache.glob("*.png"))) == 3


@pytest.mark.parametrize("host, status", [("127.0.0.1:8765", 200), ("localhost", 200), ("[::1]:8765", 200),
                                          ("evil.example", 400), ("127.0.0.1.evil.example:8765", 400), ("", 400)])
def test_only_the_host_names_it_was_started_for_are_answered(client, host, status):
    response = client.get("/api/films", headers={"host": host})
    assert response.status_code == status
    if status == 400:
        assert "is not served here" in response.json()["detail"]
