"""The real chain on the Sintel trailer: frames -> instances -> filtered_instances (offline segmenter) ->
face_embeddings -> identity_clusters, then a review rename that carries over to a re-run."""

import json

import polars as pl

from resources.storage import FilmWorkspace


def test_sintel_chain_identities_from_real_cutouts(sintel_frames_home, copy_home):
    from orchestration.cli import materialize_film

    home = copy_home(sintel_frames_home)
    # a 52 s trailer: clusters sized for a clip, not for a feature film (the 3d preset's 10)
    result = materialize_film("sintel", ["identity_clusters"], {"identity_clusters": {"min_cluster_size": 4}})
    assert result.success
    workspace = FilmWorkspace("sintel", home)
    kept = workspace.read_table("filtered_instances").filter(pl.col("kept"))
    ii = workspace.read_table("instance_identities")
    faces = workspace.read_table("faces")
    assert ii.height == kept.height and set(ii["instance_id"]) == set(kept["instance_id"])
    assert faces.height > 10 and faces["instance_id"].is_in(kept["instance_id"]).all()
    # every face lies inside its instance's box
    boxes = faces.join(kept.select("instance_id", "x0", "y0", "x1", "y1"), on="instance_id")
    centre_x, centre_y = (boxes["fx0"] + boxes["fx1"]) / 2, (boxes["fy0"] + boxes["fy1"]) / 2
    assert ((centre_x >= boxes["x0"]) & (centre_x <= boxes["x1"]) & (centre_y >= boxes["y0"])
            & (centre_y <= boxes["y1"])).all()
    with_shot = ii.join(kept.select("instance_id", "shot"), on="instance_id").filter(pl.col("by") == "face")
    shaman = with_shot.filter(pl.col("shot") == 1, pl.col("identity") != "noise")["identity"].unique().to_list()
    sintel = with_shot.filter(pl.col("shot").is_in([5, 10]), pl.col("identity") != "noise")["identity"].unique()
    assert len(shaman) == 1 and sintel.to_list() != shaman and len(sintel) == 1
    summary = json.loads((workspace.artefact_dir("identities") / "identity_clustering.json").read_text())
    assert summary["identities_with_faces"] >= 2
    # the catalog sees the relations
    from resources.catalog import Catalog

    catalog = Catalog(home)
    catalog.refresh_views()
    assert catalog.query("SELECT count(*) AS n FROM instance_identities WHERE film = 'sintel'")["n"][0] == ii.height
    assert catalog.query("SELECT count(*) AS n FROM faces WHERE len(embedding) = 128")["n"][0] == faces.height
    # a name given in review carries over to a re-run
    from resources import review_state

    review_state.record_decision(catalog, "sintel", "rename", shaman[0], "The Shaman")
    assert materialize_film("sintel", ["identity_clusters"],
                            {"identity_clusters": {"min_cluster_size": 4}}).success
    identities = workspace.read_table("identities")
    assert identities.filter(pl.col("identity") == shaman[0])["name"].to_list() == ["The Shaman"]
