"""The sidecar_subtitles_sensor on real files: the Sintel trailer registered as a film with its `audio` materialised,
a SubRip file made from the AMI excerpt's reference turns put beside it, edited, removed."""

import json
import shutil
from pathlib import Path

from dagster import DagsterInstance, SensorResult, build_sensor_context

from resources.catalog import Catalog
from resources.ingest import ingest_source
from resources.store import StorageResource
from sensors.sidecar_sensor import sidecar_subtitles_job, sidecar_subtitles_sensor
from sensors.sidecars import compare_sidecars, describe_change, sidecar_signatures
from tests.conftest import build_film
from tests.subtitled_film import reference_turns, write_srt

SINTEL = "media/video/sintel_trailer_480x204.mp4"
TEST_VIDEO = "media/video/pyscenedetect/testvideo.mp4"


def _tick(home: Path, cursor: str | None) -> SensorResult:
    context = build_sensor_context(instance=DagsterInstance.get(), cursor=cursor,
                                   resources={"storage": StorageResource(home=str(home))})
    result = sidecar_subtitles_sensor(context)
    assert isinstance(result, SensorResult) and not result.dynamic_partitions_requests  # never a new partition
    return result


def _settled(home: Path, cursor: str | None) -> SensorResult:
    """Two ticks: the first sees the change, the second (the same files) asks for the run."""
    first = _tick(home, cursor)
    assert not first.run_requests and "waiting for them to settle" in first.skip_reason.skip_message
    return _tick(home, first.cursor)


def test_a_sidecar_added_edited_and_removed_beside_a_film_asks_for_one_run_of_audio_each_time(shared, castforge_home,
                                                                                           tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    film = shutil.copy(shared / SINTEL, library / "Sintel.mp4")
    assert build_film(castforge_home, Path(film), "sintel", ["audio"]).success
    other = shutil.copy(shared / TEST_VIDEO, library / "Test video.mp4")  # registered, its audio never materialised
    ingest_source(Catalog(castforge_home), Path(other), "test_video")
    DagsterInstance.get().add_dynamic_partitions("film", ["test_video"])

    baseline = _tick(castforge_home, None)  # films met for the first time: their sidecars recorded, no run
    assert not baseline.run_requests and set(json.loads(baseline.cursor)) == {"sintel", "test_video"}

    sidecar = write_srt(reference_turns(shared), library / "Sintel.en.srt")
    write_srt(reference_turns(shared), library / "Sintel2.srt")  # another film's name: no film of that name
    write_srt(reference_turns(shared), library / "Test video.srt")  # a film whose audio never ran: its first run
    (castforge_home / "drop").mkdir(parents=True, exist_ok=True)
    write_srt(reference_turns(shared), castforge_home / "drop" / "Orphan.srt")  # no film at all
    added = _settled(castforge_home, baseline.cursor)
    assert [(r.job_name, r.partition_key) for r in added.run_requests] == [("sidecar_subtitles_changed", "sintel")]
    assert added.run_requests[0].tags["castforge/sidecar_change"] == "added Sintel.en.srt"

    again = _tick(castforge_home, json.loads(json.dumps(added.cursor)))  # once per change, across restarts too
    assert not again.run_requests and again.skip_reason.skip_message.startswith("no sidecar subtitle file")

    # what the run does first: `audio` reads the new file as the film's transcript
    assert build_film(castforge_home, Path(film), "sintel", ["audio"]).success
    cues = Catalog(castforge_home).query("SELECT DISTINCT source FROM subtitle_cues WHERE film = 'sintel'")
    assert cues["source"].to_list() == ["sidecar Sintel.en.srt"]

    sidecar.write_text(sidecar.read_text().replace("says", "said"))
    edited = _settled(castforge_home, again.cursor)
    assert [r.tags["castforge/sidecar_change"] for r in edited.run_requests] == ["edited Sintel.en.srt"]
    assert edited.run_requests[0].run_key != added.run_requests[0].run_key

    sidecar.unlink()
    removed = _settled(castforge_home, edited.cursor)
    assert [r.tags["castforge/sidecar_change"] for r in removed.run_requests] == ["removed Sintel.en.srt"]
    assert not _tick(castforge_home, removed.cursor).run_requests


def test_the_job_runs_audio_and_what_is_downstream_of_it_only():
    from orchestration.definitions import build_definitions

    job = build_definitions().resolve_job_def(sidecar_subtitles_job.name)
    keys = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert {"audio", "vocals", "diarization", "voice_map", "multimodal_datasets"} <= keys
    assert not keys & {"frames", "instances", "faces", "identity_clusters"}


def test_a_tick_only_lists_and_stats(tmp_path, monkeypatch):
    """Names, sizes and times, never bytes: a tick over many films stays light (issue #17)."""
    (tmp_path / "A.mkv").write_bytes(b"\0" * 10)
    (tmp_path / "A.en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n")
    (tmp_path / "A.notes.txt").write_text("not a subtitle file")
    (tmp_path / "B.mkv").write_bytes(b"\0" * 10)

    def no_reading(*_args, **_kwargs):
        raise AssertionError("a tick read a file's bytes")
    monkeypatch.setattr(Path, "read_bytes", no_reading)
    monkeypatch.setattr(Path, "read_text", no_reading)
    monkeypatch.setattr(Path, "open", no_reading)
    signatures = sidecar_signatures({"a": tmp_path / "A.mkv", "b": tmp_path / "B.mkv", "gone": tmp_path / "C.mkv"})
    assert [name for name, _, _ in signatures["a"]] == ["A.en.srt"] and signatures["b"] == []
    assert "gone" not in signatures  # its source is missing: nothing known, nothing asked
    scan = compare_sidecars({"a": []}, json.dumps({"a": {"seen": signatures["a"], "settled": signatures["a"]}}))
    assert scan.waiting == ["a"] and not scan.changed
    assert describe_change(signatures["a"], []) == "removed A.en.srt"
