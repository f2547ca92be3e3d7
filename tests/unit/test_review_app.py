"""The review web app's HTTP surface on a small hand-made film: JSON views, decisions, conflicts, media safety."""

from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient

from orchestration.review.app import create_app
from resources import review_state as rs
from resources.catalog import Catalog
from resources.storage import FilmWorkspace

FILM = "toy"


def make_film(home: Path, film: str = FILM, n: int = 6) -> FilmWorkspace:
    """A film with ``n`` RGBA cut-outs, two identities (a0-a2, b3-b5) and face embeddings."""
    catalog = Catalog(home)
    catalog.insert_rows("films", [{"film": film, "source_path": "/nowhere", "content_hash": film, "kind": "images",
                                   "ingested_at": datetime(2026, 1, 1)}])
    workspace = FilmWorkspace(film, home)
    cut_dir = workspace.artefact_dir("instances")
    cut_dir.mkdir(parents=True)
    ids, paths = [], []
    for i in range(n):
        image = np.zeros((300, 240, 4), np.uint8)
        cv2.circle(image, (120, 150), 80 + 5 * i, (40 * i, 200, 255 - 40 * i, 255), -1)
        path = cut_dir / f"cut{i}.png"
        cv2.imwrite(str(path), image)
        ids.append(f"{'ab'[i * 2 // n]}{i}")
        paths.append(workspace.relative(path))
    workspace.write_table("filtered_instances", pl.DataFrame({
        "instance_id": ids, "frame_id": [f"frame{i:03d}" for i in range(n)], "shot": [0] * n, "path": paths,
        "area": [1000.0] * n, "score": [0.9] * n, "kept": [True] * (n - 1) + [False],
        "reason": [None] * (n - 1) + ["too_small"], "decided_by": ["auto"] * n}))
    half = n // 2
    workspace.write_table("instance_identities", pl.DataFrame({
        "instance_id": ids, "identity": ["identity_000"] * half + ["identity_001"] * (n - half),
        "source": ["auto"] * n, "confidence": [0.9] * n, "by": ["face"] * n}))
    workspace.write_table("identities", pl.DataFrame({
        "identity": ["identity_000", "identity_001"], "name": [None, None], "size": [half, n - half],
        "has_faces": [True, True], "prototype_instance_id": [ids[0], ids[half]]}))
    rng = np.random.default_rng(0)
    base = rng.normal(size=(2, 16))
    embeddings = [(base[0 if i < half else 1] + (0.9 if i == 0 else 0.1) * rng.normal(size=16)).tolist()
                  for i in range(n)]
    workspace.write_table("faces", pl.DataFrame({
        "face_id": [f"f{i}" for i in range(n)], "instance_id": ids, "face_size": [50.0] * n,
        "embedding": embeddings, "crop_path": paths}))
    return workspace


@pytest.fixture
def client(castforge_home):
    make_film(castforge_home)
    return TestClient(create_app(castforge_home), base_url="http://127.0.0.1")


def post(client, path, revision, decisions=None):
    body = {"expected_revision": revision}
    if decisions is not None:
        body["decisions"] = decisions
    return client.post(f"/api/films/{FILM}/{path}", json=body)


def test_pages_render_and_list_the_film(client):
    assert FILM in client.get("/").text
    for page in ("", "/instances", "/identities"):
        response = client.get(f"/films/{FILM}{page}")
        assert response.status_code == 200, page
    assert client.get("/films/nope/instances").status_code == 404
    assert client.get(f"/films/{FILM}/settings").status_code == 404


def test_instances_keep_discard_and_undo(client, castforge_home):
    items = client.get(f"/api/films/{FILM}/instances").json()["items"]
    assert [i["instance_id"] for i in items] == ["a0", "a1", "a2", "b3", "b4", "b5"]
    assert items[-1]["auto_kept"] is False and items[-1]["reason"] == "too_small"
    answer = post(client, "decisions", 0, [{"kind": "keep", "item_id": "a0"}, {"kind": "discard", "item_id": "a1"}])
    assert answer.status_code == 200 and answer.json()["revision"] == 1
    assert post(client, "decisions", 1, [{"kind": "tag", "item_id": "a0", "to_value": "object"}]).status_code == 200
    state = client.get(f"/api/films/{FILM}/state").json()
    assert (state["reviewed"], state["kept"], state["discarded"], state["tagged"]) == (2, 1, 1, 1)
    assert post(client, "undo", 2).json() == {"revision": 3, "can_redo": True, "undone_revision": 2,
                                               "undone": ["tag a0 to object"]}  # says what it took back
    assert rs.instance_review(Catalog(castforge_home), FILM) == {"a0": {"kept": True, "category": None},
                                                                 "a1": {"kept": False, "category": None}}


def test_a_stale_tab_gets_a_conflict_with_a_reason(client):
    assert post(client, "decisions", 0, [{"kind": "keep", "item_id": "a0"}]).status_code == 200
    stale = post(client, "decisions", 0, [{"kind": "discard", "item_id": "a0"}])
    assert stale.status_code == 409
    assert "another tab" in stale.json()["detail"] and stale.json()["revision"] == 1


@pytest.mark.parametrize("body, status", [
    ({"decisions": [{"kind": "keep", "item_id": "a0"}]}, 422),  # no expected_revision
    ({"expected_revision": 0, "decisions": []}, 422),
    ({"expected_revision": 0, "decisions": [{"kind": "delete_everything", "item_id": "a0"}]}, 422),
    ({"expected_revision": 0, "decisions": [{"kind": "tag", "item_id": "a0", "to_value": "spaceship"}]}, 400),
    ({"expected_revision": 0, "decisions": [{"kind": "merge", "item_id": "identity_000",
                                             "to_value": "identity_000"}]}, 400),
    ({"expected_revision": -1, "decisions": [{"kind": "keep", "item_id": "a0"}]}, 422),
])
def test_malformed_requests_are_refused_with_a_reason(client, body, status):
    response = client.post(f"/api/films/{FILM}/decisions", json=body)
    assert response.status_code == status
    assert response.json()["detail"]
    assert client.post(f"/api/films/{FILM}/undo", json={"expected_revision": 0}).status_code == 400  # nothing to undo


def test_identities_view_applies_the_review_and_suggests_merges(client):
    view = client.get(f"/api/films/{FILM}/identities").json()
    assert [i["identity"] for i in view["identities"]] == ["identity_000", "identity_001"]
    first = view["identities"][0]
    assert first["members"][0]["instance_id"] == "a0"  # the outlier embedding is shown first
    assert post(client, "decisions", 0, [{"kind": "rename", "item_id": "identity_000",
                                          "to_value": "<b>luca</b> & co"}]).status_code == 200
    split = post(client, "decisions", 1, [{"kind": "split", "item_id": "identity_001", "to_value": "new",
                                           "payload": {"instance_ids": ["b4", "b5"]}}])
    assert split.status_code == 200
    (split_x,) = split.json()["minted"]  # the server mints new identity ids
    assert post(client, "decisions", 2, [{"kind": "move", "item_id": "a2", "from_value": "identity_000",
                                          "to_value": "identity_001"}]).status_code == 200
    view = client.get(f"/api/films/{FILM}/identities").json()
    sizes = {i["identity"]: (i["name"], i["size"]) for i in view["identities"]}
    # an unnamed identity is shown by the name every export gives it (the film-scoped trigger), not by its id
    assert sizes == {"identity_000": ("<b>luca</b> & co", 2), "identity_001": ("toy_char1", 2),
                     split_x: ("toy_char0", 2)}
    page = client.get(f"/films/{FILM}").text
    assert "&lt;b&gt;luca&lt;/b&gt; &amp; co" in page and "<b>luca</b>" not in page


def test_an_undone_rename_baked_into_the_identities_table_is_not_shown(client, castforge_home):
    assert post(client, "decisions", 0, [{"kind": "rename", "item_id": "identity_000",
                                          "to_value": "hero"}]).status_code == 200
    workspace = FilmWorkspace(FILM, castforge_home)  # identity_clusters re-ran and stored the name
    table = workspace.read_table("identities").drop("film")
    workspace.write_table("identities", table.with_columns(
        pl.when(pl.col("identity") == "identity_000").then(pl.lit("hero")).otherwise(pl.lit("villain")).alias("name")))
    assert post(client, "undo", 1).status_code == 200
    names = {i["identity"]: i["name"] for i in client.get(f"/api/films/{FILM}/identities").json()["identities"]}
    assert names == {"identity_000": "toy_char0", "identity_001": "villain"}


def test_merge_suggestions_rank_similar_prototypes(castforge_home):
    from orchestration.review.data import merge_suggestions

    a = np.array([1.0, 0.0, 0.0])
    suggestions = merge_suggestions({"x": a, "y": np.array([0.9, 0.436, 0.0]), "z": np.array([0.0, 0.0, 1.0])},
                                    {"x": "Xena"})
    assert [(s["a"], s["b"]) for s in suggestions] == [("x", "y")] and suggestions[0]["a_name"] == "Xena"


def test_media_serves_only_images_inside_film_workspaces(client, castforge_home):
    item = client.get(f"/api/films/{FILM}/instances").json()["items"][0]
    full = client.get(item["image"])
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    thumb = client.get(item["thumb"].replace("w=200", "w=100"))  # served at the next fixed width, 128
    assert thumb.status_code == 200
    small = cv2.imdecode(np.frombuffer(thumb.content, np.uint8), cv2.IMREAD_UNCHANGED)
    assert small.shape == (160, 128, 4)  # aspect and alpha kept
    (castforge_home / "secret.png").write_bytes(full.content)
    (castforge_home / "films" / FILM / "tables" / "notes.txt").write_text("x")
    for url, status in [("/media/secret.png", 403), ("/media/films/../secret.png", 403),
                        ("/media/films/toy/%2e%2e/%2e%2e/secret.png", 403), ("/media/..%2f..%2fetc%2fpasswd", 403),
                        ("/media/films/toy/tables/notes.txt", 403), ("/media/films/toy/instances/none.png", 404),
                        (item["image"] + "?w=5", 422)]:
        assert client.get(url).status_code == status, url


def test_identity_members_page_through_in_the_view_order_and_follow_the_review(client, castforge_home):
    workspace = make_film(castforge_home, "big", n=40)  # identity_000: a0..b19 (20 items)
    whole = client.get("/api/films/big/identities", params={"members": 1000}).json()["identities"][0]
    order = [m["instance_id"] for m in whole["members"]]
    first = client.get("/api/films/big/identities", params={"members": 8}).json()["identities"][0]
    assert [m["instance_id"] for m in first["members"]] == order[:8] and first["more"] == 12
    pages, offset = [], 8
    while True:
        page = client.get("/api/films/big/identities/identity_000/members", params={"offset": offset, "limit": 5}).json()
        assert page["revision"] == 0 and page["size"] == 20
        pages += [m["instance_id"] for m in page["members"]]
        offset += len(page["members"])
        if not page["more"]:
            break
    assert pages == order[8:]
    # a later page's item can be moved; the next page reflects the change (no stale cached view)
    late = order[-1]
    answer = client.post("/api/films/big/decisions", json={"expected_revision": 0, "decisions": [
        {"kind": "move", "item_id": late, "from_value": "identity_000", "to_value": "identity_001"}]})
    assert answer.status_code == 200
    page = client.get("/api/films/big/identities/identity_000/members", params={"offset": 0, "limit": 100}).json()
    assert page["revision"] == 1 and page["size"] == 19 and late not in [m["instance_id"] for m in page["members"]]
    # a re-materialised table is picked up too
    assignments = workspace.read_table("instance_identities").drop("film", strict=False)
    workspace.write_table("instance_identities", assignments.with_columns(pl.lit("identity_000").alias("identity")))
    page = client.get("/api/films/big/identities/identity_000/members", params={"limit": 1}).json()
    assert page["size"] == 39 and page["more"] == 38
    assert client.get("/api/films/big/identities/nobody/members").status_code == 404
    assert client.get("/api/films/big/identities/identity_000/members", params={"limit": 0}).status_code == 422


def test_thumbnail_of_a_real_cutout_is_opencvs_resize_of_it(shared, tmp_path):
    """The review grid's thumbnail (read through resources.image_codec) has the pixels of cv2.imread + INTER_AREA."""
    from orchestration.review.app import thumbnail

    source = next(iter(sorted((shared / "media/characters_rgba").glob("*.png"))))
    bgra = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
    films_root = tmp_path / "films"
    cutout = films_root / "toy" / "instances" / "a.png"
    cutout.parent.mkdir(parents=True)
    cv2.imwrite(str(cutout), bgra)  # as instances writes its cut-outs
    made = thumbnail(cutout, (128, 512), films_root)
    scale = min(128 / bgra.shape[1], 512 / bgra.shape[0])
    expected = cv2.resize(bgra, (max(1, round(bgra.shape[1] * scale)), max(1, round(bgra.shape[0] * scale))),
                          interpolation=cv2.INTER_AREA)
    assert made != cutout and np.array_equal(cv2.imread(str(made), cv2.IMREAD_UNCHANGED), expected)
