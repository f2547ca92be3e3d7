"""pose_subclusters -> captions -> character_datasets materialised on a real film (the knn_examples photos as film
`knn_train`: real faces, real upstream stages), then re-exported after a review renames one identity."""

import json

import polars as pl
import pytest

CHAIN = ["identity_clusters", "pose_subclusters", "captions", "character_datasets"]
OVERRIDES = {"identity_clusters": {"min_cluster_size": 2}}


def snapshot(folder):
    return {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.mark.timeout(600)
def test_chain_on_real_photos_and_incremental_reexport_after_review(knn_train_frames_home, copy_home):
    home = copy_home(knn_train_frames_home)
    assert _materialize(["character_datasets"], home)
    tables = home / "films" / "knn_train" / "tables"
    kept = pl.read_parquet(tables / "filtered_instances.parquet").filter(pl.col("kept"))
    assigned = pl.read_parquet(tables / "instance_identities.parquet").filter(pl.col("identity") != "noise")
    identified = set(kept["instance_id"]) & set(assigned["instance_id"])
    assert len(identified) >= 4, "the face stages should group the photos of the same people"

    poses = pl.read_parquet(tables / "poses.parquet")
    assert set(poses["instance_id"]) == identified
    for pose in poses.iter_rows(named=True):
        assert (pose["keypoints"] is not None and len(pose["keypoints"]) == 51) or pose["no_pose_reason"]
        assert pose["view"] in ("front", "three_quarter", "profile", "back")
        assert pose["view_source"] == "face"  # every photo has a detected face: its yaw decides
    pose_dir = home / "films" / "knn_train" / "pose_subclusters"
    summary = json.loads((pose_dir / "pose_subclustering.json").read_text())
    assert sum(s["count"] for s in summary["subclusters"].values()) == len(identified)
    assert all((pose_dir / f).is_dir() for f in summary["subclusters"])

    captions = pl.read_parquet(tables / "captions.parquet")
    assert set(captions["instance_id"]) == identified
    labels = dict(zip(poses["instance_id"], poses["label"]))
    for cap in captions.iter_rows(named=True):
        # preset 3d prefix, then the identity as trigger word
        assert cap["caption"].startswith(f"a 3d animated character, smooth shading, {labels[cap['instance_id']]}")
        assert cap["clip_tokens"] <= 77

    items = pl.read_parquet(tables / "dataset_items.parquet")
    assert set(items["instance_id"]) == identified
    for item in items.iter_rows(named=True):
        # the caption's trigger word is film-scoped until the identity is named; the crop adds its phrase
        text = (home / item["caption_path"]).read_text().strip()
        assert text == item["caption"] and item["trigger"].startswith("knn_train_char")
        assert text.startswith(f"a 3d animated character, smooth shading, {item['trigger']}")
        assert (home / item["image_path"]).exists() and max(item["width"], item["height"]) == 512
    assert {"full", "head"} <= set(items["crop"])  # every photo has a face: head crops
    datasets = home / "films" / "knn_train" / "datasets"
    manifest = json.loads((datasets / "manifest.json").read_text())
    assert manifest["instances"] == len(identified) and manifest["items"] == items.height
    assert pl.read_parquet(datasets / "knn_train_dataset.parquet").height == items.height

    # one name per character in every export (issue #13): the captions table, the pose folders, the kohya folders,
    # the Parquet and COCO call an unnamed identity by the same film-scoped word (never its id, identity_000)
    names_agree(home, items, captions, poses)

    # review: name one identity; only its files change, the others stay untouched
    from resources.catalog import Catalog
    from resources.review_state import record_decision

    renamed = assigned.filter(pl.col("instance_id").is_in(list(identified)))["identity"][0]
    before = snapshot(datasets / "kohya")
    record_decision(Catalog(home), "knn_train", "rename", renamed, "Mira Vale")
    assert _materialize(CHAIN, home)
    items2 = pl.read_parquet(tables / "dataset_items.parquet")
    mine = items2.filter(pl.col("identity") == renamed)
    assert mine.height and (mine["label"] == "mira_vale").all()
    assert all(p.startswith("films/knn_train/datasets/kohya/10_mira_vale/") for p in mine["image_path"])
    assert all("Mira Vale" in (home / p).read_text() for p in mine["caption_path"])
    after = snapshot(datasets / "kohya")
    old_folder = f"10_{items.filter(pl.col('identity') == renamed)['trigger'][0]}/"
    others = {p: t for p, t in before.items() if not str(p).startswith(old_folder)}
    assert others and len(others) < len(before)
    assert all(after.get(p) == t for p, t in others.items())
    assert any(d.name.startswith("mira_vale_") for d in pose_dir.iterdir())
    captions2 = pl.read_parquet(tables / "captions.parquet")
    assert set(captions2.filter(pl.col("identity") == renamed)["trigger"]) == {"Mira Vale"}
    names_agree(home, items2, captions2, pl.read_parquet(tables / "poses.parquet"))


def names_agree(home, items, captions, poses):
    """Every place the knn_train export names a character uses the dataset's trigger word and folder label."""
    trigger = dict(zip(items["identity"], items["trigger"]))
    label = dict(zip(items["identity"], items["label"]))
    assert all(t == "Mira Vale" or t.startswith("knn_train_char") for t in trigger.values())
    assert {i: t for i, t in zip(captions["identity"], captions["trigger"]) if i in trigger} == trigger
    assert all(c.split(", ")[2] == t for c, t in zip(captions["caption"], captions["trigger"]))
    assert not any(t.startswith("identity_") for t in captions["trigger"])
    pose_label = dict(zip(poses["instance_id"], poses["label"]))
    assert all(pose_label[i] == label[d] for i, d in zip(items["instance_id"], items["identity"]))
    assert all(f.startswith(f"{pose_label[i]}_") for i, f in zip(poses["instance_id"], poses["folder"]))
    datasets = home / "films" / "knn_train" / "datasets"
    assert {p.name.split("_", 1)[1] for p in (datasets / "kohya").iterdir()} == set(label.values())
    parquet = pl.read_parquet(datasets / "knn_train_dataset.parquet")
    assert set(zip(parquet["identity"], parquet["trigger"])) == {(label[i], trigger[i]) for i in trigger}
    categories = json.loads((datasets / "coco_instances.json").read_text())["categories"]
    assert {c["castforge_identity"]: c["name"] for c in categories} == trigger


def _materialize(selection, home):
    from dagster import DagsterInstance

    from orchestration.cli import materialize_film

    return materialize_film("knn_train", selection, OVERRIDES, instance=DagsterInstance.get()).success
