"""The steps' expected costs and their longest remaining path, which the threaded executor starts ready steps by."""

import json
from pathlib import Path

import pytest

from orchestration.step_costs import (STEP_SECONDS, UNKNOWN_FILM_MINUTES, expected_seconds, film_history,
                                      longest_remaining)

GRAPH = Path(__file__).resolve().parents[1] / "e2e" / "asset_graph.json"


def test_the_longest_remaining_path_counts_the_most_costly_chain_below_a_step():
    # a -> b -> d and a -> c -> d: b's chain is the costlier one; e hangs alone
    needs = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": []}
    seconds = {"a": 1.0, "b": 5.0, "c": 2.0, "d": 3.0, "e": 4.0}
    assert longest_remaining(needs, seconds) == {"a": 9.0, "b": 8.0, "c": 5.0, "d": 3.0, "e": 4.0}


def test_steps_outside_the_run_and_unknown_costs_count_nothing():
    needs = {"late": ["early_not_in_run"], "check": ["late"]}
    assert longest_remaining(needs, {"late": 2.0}) == {"late": 2.0, "check": 0.0}


def test_the_films_last_run_wins_over_the_table_and_the_table_scales_with_the_film():
    seconds = expected_seconds(["effects", "av_sync", "frames_decode_coverage"], 10.0, {"effects": 3.5})
    fixed, per_minute = STEP_SECONDS["av_sync"]
    assert seconds == {"effects": 3.5, "av_sync": pytest.approx(fixed + 10 * per_minute),
                       "frames_decode_coverage": 0.0}
    fixed, per_minute = STEP_SECONDS["effects"]
    assert expected_seconds(["effects"], None) == {"effects": pytest.approx(fixed + UNKNOWN_FILM_MINUTES * per_minute)}


def test_the_table_names_only_assets_of_the_graph():
    # a renamed asset would silently cost nothing: the asset graph snapshot must know every name
    assert set(STEP_SECONDS) <= set(json.loads(GRAPH.read_text()))


def test_the_tail_starts_with_the_steps_heading_the_most_work():
    # the whole graph's tail after identity_clusters, ordered by the table: the chain shot_analysis -> motion ->
    # effects -> character_datasets outranks identity_references, which nothing waits for
    graph = json.loads(GRAPH.read_text())
    needs = {name: node["deps"] for name, node in graph.items() if node["kind"] == "materializable"}
    remaining = longest_remaining(needs, expected_seconds(needs, 6.0))
    assert remaining["pose_subclusters"] > remaining["identity_references"]
    assert remaining["shot_analysis"] > remaining["voice_map"] > remaining["identity_references"]
    assert remaining["frames"] > remaining["audio"]


def test_the_catalog_gives_the_films_minutes_and_each_stages_last_successful_seconds(tmp_path):
    from datetime import datetime

    from resources.catalog import Catalog

    catalog = Catalog(tmp_path)
    catalog.insert_rows("films", [{"film": "f", "source_path": "x.mp4", "content_hash": "h", "kind": "video",
                                   "duration_s": 360.0, "ingested_at": datetime(2026, 12, 2)}])
    # the last success counts; a later failure or cache hit says nothing of what the stage costs
    catalog.insert_rows("materializations", [
        {"film": "f", "asset": asset, "status": status, "duration_s": seconds, "finished_at": datetime(2026, 12, 2, h)}
        for asset, status, seconds, h in (("effects", "success", 7.0, 1), ("effects", "success", 5.0, 2),
                                          ("effects", "failed", 1.0, 3), ("effects", "cached", 0.1, 4),
                                          ("voice_map", "success", 11.0, 1))])

    class Storage:
        def catalog(self):
            return catalog

    assert film_history(Storage(), "f") == (6.0, {"effects": 5.0, "voice_map": 11.0})
    assert film_history(Storage(), None) == (None, {})
    assert film_history(Storage(), "unknown") == (None, {})
