"""`castforge materialize --threads` on a real film: one run, independent steps on threads of one process."""

import polars as pl


def _materialized(result) -> set[str]:
    return {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}


def test_materialize_with_threads_runs_a_real_film_in_one_run(copy_home, knn_train_frames_home, shared):
    from orchestration.cli import materialize_film
    from resources.storage import FilmWorkspace

    home = copy_home(knn_train_frames_home)
    result = materialize_film("knn_train", ["instances", "audio"], threads=True)
    assert result.success
    assert {"instances", "audio"} <= _materialized(result)
    engine = [e.message for e in result.all_events if e.event_type_value == "ENGINE_EVENT"]
    assert any("threads" in (message or "") for message in engine), engine
    workspace = FilmWorkspace("knn_train", home)
    assert workspace.read_table("instances").filter(pl.col("face_count") > 0).height >= 8
    assert workspace.read_table("audio").height == 0   # photos have no soundtrack: an empty table, not an error
