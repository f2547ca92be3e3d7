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


def test_the_cores_a_step_kept_busy_alone_come_from_the_trees_cpu_samples():
    # frames alone 10 s at 1.9 cores after the soundtrack's branch, instances alone 99.5 s at 2 cores, a short
    # step alone (under 2 s) left out: the samples are 0.5 s apart
    from datetime import timezone

    steps = [_step("frames", 10, 40), _step("audio", 10, 30), _step("instances", 40, 139.5),
             _step("filtered_instances", 139.5, 140.5)]
    origin = datetime(2026, 12, 2, 4, 0, 0)
    rate = {0: 0.0, 10: 2.0, 30: 1.9, 40: 2.0, 139.5: 1.0}   # cores busy from each second on (from the origin)
    samples, cpu = [], 0.0
    for tenth in range(0, 1500):
        at = tenth / 10
        samples.append((origin + timedelta(seconds=at), cpu))
        cpu += 0.1 * rate[max(k for k in rate if k <= at)]
    # Dagster's times are aware (UTC), the sampler's naive UTC
    aware = [{**s, "started_at": s["started_at"].replace(tzinfo=timezone.utc),
              "finished_at": s["finished_at"].replace(tzinfo=timezone.utc)} for s in steps]
    line = _bench().timeline(aware, samples)
    assert line["alone_s"] == {"instances": 99.5, "frames": 10.0, "filtered_instances": 1.0}
    assert line["alone_cores"] == {"instances": 2.0, "frames": 1.9}
    assert "alone_cores" not in _bench().timeline(steps)
