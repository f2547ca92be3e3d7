"""bench/film_scale.py's timeline: from the steps' start and end times, the seconds each step ran by itself (the
stretches where a one-threaded step leaves the other core idle), the seconds with no step and with 2 at once."""

from datetime import datetime, timedelta

from tests.conftest import load_bench


def _bench():
    return load_bench("film_scale")


def _step(asset: str, start: float, end: float) -> dict:
    origin = datetime(2026, 12, 2, 4, 0, 0)
    return {"asset": asset, "started_at": origin + timedelta(seconds=start),
            "finished_at": origin + timedelta(seconds=end)}


def test_a_step_alone_overlapped_steps_and_gaps_are_told_apart():
    # the shape of a whole run: the soundtrack's branch beside frames, instances alone, two tail steps at once
    steps = [_step("frames", 10, 40), _step("audio", 10, 16), _step("vocals", 16, 21), _step("diarization", 21, 30),
             _step("instances", 40.5, 140), _step("face_embeddings", 140.5, 185),
             _step("shot_analysis", 186, 200), _step("voice_map", 186, 210)]
    line = _bench().timeline(steps)
    assert line["steps"][:2] == [["frames", 0.0, 30.0], ["audio", 0.0, 6.0]]
    assert line["alone_s"] == {"instances": 99.5, "face_embeddings": 44.5, "frames": 10.0, "voice_map": 10.0}
    assert line["concurrent_s"] == {"1": 164.0, "2": 34.0}
    assert line["idle_s"] == 2.0   # 40 -> 40.5, 140 -> 140.5, 185 -> 186


def test_no_steps_give_an_empty_timeline():
    assert _bench().timeline([]) == {"steps": [], "alone_s": {}, "idle_s": 0.0, "concurrent_s": {}}


def test_a_dagster_runs_steps_are_read_from_its_event_log(tmp_path):
    import dagster as dg

    @dg.asset
    def upstream() -> int:
        return 1

    @dg.asset
    def downstream(upstream: int) -> int:
        return upstream + 1

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert dg.materialize([upstream, downstream], instance=instance).success
    steps = _bench().dagster_steps(tmp_path)
    assert [s["asset"] for s in steps] == ["upstream", "downstream"]
    assert steps[0]["started_at"] <= steps[0]["finished_at"] <= steps[1]["started_at"] <= steps[1]["finished_at"]
    line = _bench().timeline(steps)
    assert set(line["alone_s"]) == {"upstream", "downstream"} and line["concurrent_s"].keys() <= {"1"}
