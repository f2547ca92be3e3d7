"""The review's instance view says why an instance is noise (identity_clusters' ``why``), until a decision
places it."""

import polars as pl
from fastapi.testclient import TestClient

from orchestration.review.app import create_app
from tests.unit.test_review_app import FILM, make_film, post

WHY = "no face (face too small: 24 px < 32 px (yunet)); no identity whose appearance it could be compared with"


def test_noise_items_carry_their_reason_until_a_decision_moves_them(castforge_home):
    workspace = make_film(castforge_home)
    table = workspace.read_table("instance_identities")
    table = table.with_columns(
        pl.when(pl.col("instance_id") == "b4").then(pl.lit("noise")).otherwise(pl.col("identity")).alias("identity"),
        pl.when(pl.col("instance_id") == "b4").then(pl.lit(WHY)).otherwise(None).alias("why"))
    workspace.write_table("instance_identities", table)
    client = TestClient(create_app(castforge_home), base_url="http://127.0.0.1")
    items = {item["instance_id"]: item for item in client.get(f"/api/films/{FILM}/instances").json()["items"]}
    assert items["b4"]["identity"] == "noise" and items["b4"]["why"] == WHY
    assert all(item["why"] is None for name, item in items.items() if name != "b4")
    moved = post(client, "decisions", 0, [{"kind": "move", "item_id": "b4", "from_value": "noise",
                                           "to_value": "identity_001"}])
    assert moved.status_code == 200, moved.text
    items = {item["instance_id"]: item for item in client.get(f"/api/films/{FILM}/instances").json()["items"]}
    assert items["b4"]["identity"] == "identity_001" and items["b4"]["why"] is None
