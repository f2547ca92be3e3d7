"""Stale selection: after a complete run nothing upstream is rebuilt; a review decision (a rename) makes the stages
that apply the review stale and, through them, every output that reads identities, voice_map included."""

import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from assets.stage_contract import load_contracts
from orchestration.selection import graph_order, run_selection, stale_reason, upstream_graph
from resources.catalog import Catalog
from resources.relations import written_by
from resources.storage import FilmWorkspace


@pytest.fixture(scope="module")
def complete_home(tmp_path_factory) -> Path:
    """A CASTFORGE_HOME where every stage of the graph ran once for film `f` (empty tables with the declared
    columns, real stage records); built once, copied for each test."""
    from orchestration.definitions import build_definitions
    from resources.paths import shared_dir
    from resources.relations import RELATIONS
    from tests.conftest import _point_env_at, _restore

    home = tmp_path_factory.mktemp("complete") / "home"
    previous = _point_env_at(home, shared_dir())
    try:
        catalog = Catalog(home)
        catalog.insert_rows("films", [{"film": "f", "source_path": "f.mp4", "content_hash": "c", "kind": "video",
                                       "ingested_at": datetime(2026, 11, 30)}])
        workspace = FilmWorkspace("f", home)
        graph = upstream_graph(list(build_definitions("local").assets))
        contracts = load_contracts()
        for asset in graph_order(graph):
            tables = {name: pl.DataFrame({c: [] for c in RELATIONS[name].columns}) for name in written_by(asset)}
            with contracts[asset].stage_run(workspace, catalog, None, {}) as stage:
                stage.commit(tables.pop(asset, pl.DataFrame({"row": []})), tables)
    finally:
        _restore(previous)
    return home


@pytest.fixture
def complete_film(complete_home, castforge_home):
    from orchestration.definitions import build_definitions

    shutil.copytree(complete_home, castforge_home, dirs_exist_ok=True)
    graph = upstream_graph(list(build_definitions("local").assets))
    return FilmWorkspace("f", castforge_home), Catalog(castforge_home), graph


def test_nothing_upstream_is_rebuilt_after_a_complete_run(complete_film):
    workspace, catalog, graph = complete_film
    assert run_selection(workspace, graph, ["voice_map"], catalog) == ["voice_map"]
    assert all(stale_reason(workspace, catalog, asset) is None for asset in graph)


def test_a_rename_reaches_identities_and_voice_map(complete_film):
    from resources import review_state

    workspace, catalog, graph = complete_film
    review_state.record_decision(catalog, "f", "rename", "identity_000", "Sintel")
    assert stale_reason(workspace, catalog, "identity_clusters") == "review changed"
    needed = run_selection(workspace, graph, ["voice_map", "character_datasets"], catalog)
    assert {"filtered_instances", "face_embeddings", "identity_clusters", "voice_map", "pose_subclusters",
            "captions", "character_datasets"} <= set(needed)
    assert needed.index("identity_clusters") < needed.index("voice_map")
    assert "frames" not in needed and "instances" not in needed   # upstream of the review: still current


def test_changed_parameters_and_overrides_make_an_ancestor_stale(complete_film, castforge_home):
    workspace, catalog, graph = complete_film
    assert "instances" in run_selection(workspace, graph, ["face_embeddings"], catalog,
                                        {"instances": {"margin": 0.2}})
    films = castforge_home / "configs" / "films"
    films.mkdir(parents=True)
    (films / "f.yaml").write_text("frames: {frames_per_shot: 4}\n")
    assert stale_reason(workspace, catalog, "frames") == "parameters changed"
    assert run_selection(workspace, graph, ["instances"], catalog) == ["frames", "instances"]


def test_status_lists_assets_in_graph_order_with_stale_failed_and_what_rows_count(complete_film, capsys):
    from orchestration.cli import main
    from orchestration.cli_status import asset_states
    from resources import review_state
    from resources.lineage import record_failure
    from resources.relations import RELATIONS

    workspace, catalog, graph = complete_film
    review_state.record_decision(catalog, "f", "rename", "identity_000", "Sintel")
    # a run that failed before its stage started (a missing input, a bad parameter) is recorded too
    record_failure(catalog, "f", "captions", "run-1", ValueError("captions.max_tokens must be > 0"))
    states = {row["asset"]: row for row in asset_states("f")}
    assert list(states) == graph_order(graph)
    assert states["frames"]["state"] == "current" and states["frames"]["counts"] == RELATIONS["frames"].description
    assert states["identity_clusters"]["state"] == "stale" and states["identity_clusters"]["why"] == "review changed"
    assert states["voice_map"]["state"] == "stale" and "identity_clusters" in states["voice_map"]["why"]
    assert states["captions"]["state"] == "failed" and "max_tokens" in states["captions"]["why"]
    assert main(["status", "f"]) == 0
    out = capsys.readouterr().out
    assert "identity_clusters    STALE" in out and "(review changed)" in out and "captions             FAILED" in out


def test_a_table_changed_under_its_record_is_stale_and_pulled_into_the_run(complete_film):
    workspace, catalog, graph = complete_film   # by hand, or a run killed between the table and its record
    table = workspace.read_table("instances")
    workspace.write_table("instances", pl.concat([table, table.clear(1)], how="vertical_relaxed"))
    assert stale_reason(workspace, catalog, "instances") == "instances changed on disk"
    assert run_selection(workspace, graph, ["filtered_instances"], catalog) == ["instances", "filtered_instances"]


def test_a_changed_segmenter_rule_makes_the_stored_cut_outs_stale(complete_film, tmp_path, monkeypatch):
    """The characters segmenter's rules live under resources/backends/, outside the instances package: a change
    there makes `castforge status` say the stored cut-outs are stale and pulls `instances` into a run of a later
    asset, as a run of `instances` itself re-cuts (the segmenter's code is in its described model)."""
    from assets.instances import assets as instance_assets
    from assets.stage_contract import CONTRACTS, StageContract
    from resources.backends import segmenter_code

    workspace, catalog, graph = complete_film
    backends = Path(segmenter_code.__file__).parent
    copy = tmp_path / "resources" / "backends"
    copy.mkdir(parents=True)
    for pattern in segmenter_code.SEGMENTER_SOURCES:
        for source in backends.glob(pattern):
            shutil.copy(source, copy / source.name)
    for name in segmenter_code.SEGMENTER_SHARED_SOURCES:
        shutil.copy(backends.parent / name, copy.parent / name)
    stored = CONTRACTS["instances"]

    def instances_contract() -> StageContract:   # the contract as a process importing the copied code makes it
        return StageContract("instances", stored.params, reads=stored.reads, package_dir=stored.package_dir,
                             per_shot_presets=True,
                             extra_code=lambda: segmenter_code.segmenter_code_version(copy))

    monkeypatch.setitem(CONTRACTS, "instances", stored)   # restored after the test
    instances_contract()
    assert stale_reason(workspace, catalog, "instances") is None   # the same code: current
    rule = copy / "character_extent.py"
    rule.write_text(rule.read_text() + "\nCHANGED_RULE = 1\n")
    instances_contract()
    assert stale_reason(workspace, catalog, "instances") == "code changed"
    assert run_selection(workspace, graph, ["face_embeddings"], catalog)[:3] == [
        "instances", "filtered_instances", "face_embeddings"]
    assert instance_assets.CONTRACT is stored
