import json
import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, SensorResult, build_sensor_context

from resources.catalog import Catalog
from resources.store import StorageResource
from sensors.drop_folder import QUIET_ENV, drop_folder_sensor
from sensors.ingest_job import INGEST_JOB, ingest_drop_job
from sensors.scan import paths_open_for_writing, scan_drop_folder
from tests.made_archives import write_libarchive

TEST_VIDEO = "media/video/pyscenedetect/testvideo.mp4"


@pytest.fixture
def drop(castforge_home: Path, monkeypatch) -> Path:
    monkeypatch.setenv(QUIET_ENV, "0")  # the quiet period has its own test; here two equal ticks suffice
    folder = castforge_home / "drop"
    folder.mkdir(parents=True)
    return folder


def _tick(home: Path, cursor: str | None) -> SensorResult:
    context = build_sensor_context(instance=DagsterInstance.get(), cursor=cursor,
                                   resources={"storage": StorageResource(home=str(home))})
    result = drop_folder_sensor(context)
    assert isinstance(result, SensorResult)
    return result


def _run_ingests(home: Path, result: SensorResult) -> list:
    """Execute the ingest runs a tick requested, as the daemon would."""
    outcomes = []
    for request in result.run_requests:
        if request.job_name == INGEST_JOB:
            run = ingest_drop_job.execute_in_process(run_config=request.run_config, instance=DagsterInstance.get(),
                                                     resources={"storage": StorageResource(home=str(home))})
            assert run.success
            outcomes.append(run.output_for_node("ingest_dropped"))
    return outcomes


def _ticks_until_requests(home: Path, cursor: str | None, ticks: int = 3) -> SensorResult:
    for _ in range(ticks):
        result = _tick(home, cursor)
        if result.run_requests:
            return result
        cursor = result.cursor
    raise AssertionError(f"no run requested after {ticks} ticks: {result.skip_reason}")


def test_a_dropped_video_is_ingested_in_a_run_then_gets_its_film_run(shared, castforge_home, drop, monkeypatch):
    video = drop / "test video é.mp4"
    source = (shared / TEST_VIDEO).read_bytes()
    video.write_bytes(source[: len(source) // 3])  # a copy in progress
    first = _tick(castforge_home, None)
    assert not first.run_requests and "waiting for test video é.mp4" in first.skip_reason.skip_message
    video.write_bytes(source)  # the copy grew and finished
    second = _tick(castforge_home, first.cursor)
    assert not second.run_requests  # changed since the last tick: not yet

    # the tick itself never reads a file's contents: hashing and probing happen in the ingest run
    import resources.ingest as ingest_module

    def no_reading(*_):
        raise AssertionError("a sensor tick read a file")
    with monkeypatch.context() as patched:
        patched.setattr(ingest_module, "content_hash", no_reading)
        patched.setattr(ingest_module, "probe", no_reading)
        third = _tick(castforge_home, second.cursor)
    assert [r.job_name for r in third.run_requests] == [INGEST_JOB]
    assert _run_ingests(castforge_home, third) == ["test_video_e"]
    assert DagsterInstance.get().has_dynamic_partition("film", "test_video_e")
    # the review revision is observed at ingest, so the first review decision shows the film's assets stale
    from dagster import AssetKey

    observed = DagsterInstance.get().fetch_observations(AssetKey("review_decisions"), limit=5).records
    assert [r.partition_key for r in observed] == ["test_video_e"]

    fourth = _tick(castforge_home, third.cursor)
    assert [(r.job_name, r.partition_key) for r in fourth.run_requests] == [("film_pipeline", "test_video_e")]
    # the cursor survives a restart: nothing is requested again
    fifth = _tick(castforge_home, json.loads(json.dumps(fourth.cursor)))
    assert not fifth.run_requests and not fifth.dynamic_partitions_requests


def test_an_image_folder_is_a_film_and_an_unreadable_file_is_rejected_with_a_reason(shared, castforge_home, drop):
    shutil.copytree(shared / "media/faces/knn_examples/test", drop / "Stills")
    (drop / "notes.mkv").write_text("not a video at all\n" * 50)
    result = _ticks_until_requests(castforge_home, None)
    assert sorted(_run_ingests(castforge_home, result), key=str) == [None, "stills"]
    assert not (drop / "notes.mkv").exists()
    reason = (drop / "rejected" / "notes.mkv.reason.txt").read_text()
    assert "notes.mkv" in reason and "not a readable video" in reason
    assert (drop / "rejected" / "notes.mkv").exists()
    after = _tick(castforge_home, result.cursor)  # the rejected folder itself is not a candidate
    assert [(r.job_name, r.partition_key) for r in after.run_requests] == [("film_pipeline", "stills")]


def test_a_dropped_audio_file_becomes_an_audio_film_and_unknown_files_are_reported_once(shared, castforge_home,
                                                                                         drop):
    shutil.copy(shared / "media/audio/ami_seriously/mixture.wav", drop / "Meeting.wav")
    (drop / "notes.docx").write_bytes(b"PK\x03\x04 not castforge's business")
    first = _tick(castforge_home, None)
    second = _tick(castforge_home, first.cursor)
    assert json.loads(first.cursor)["reported"] == ["notes.docx"]
    assert _run_ingests(castforge_home, second) == ["meeting"]
    assert Catalog(castforge_home).film("meeting")["kind"] == "audio"
    assert (drop / "notes.docx").exists()  # left alone, reported on the first tick only
    assert scan_drop_folder(drop, second.cursor, now=1e10).unknown == []


def test_sidecar_subtitles_in_the_drop_folder_are_neither_films_nor_reported(tmp_path: Path):
    """``Film.en.srt`` beside ``Film.mkv`` is read by the film's audio stage (session 39), not ingested or reported."""
    from sensors.scan import classify

    for name in ("Film.en.srt", "Film.ass", "Film.SSA", "Film.vtt"):
        (tmp_path / name).write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n")
        assert classify(tmp_path / name) == "ignored"
    scan = scan_drop_folder(tmp_path, None, now=1e10)
    assert scan.ready == [] and scan.unknown == []


def test_quiet_period_and_open_for_writing_hold_an_entry_back(shared, castforge_home, drop):
    video = drop / "slow copy.mp4"
    video.write_bytes((shared / TEST_VIDEO).read_bytes())
    mtime = video.stat().st_mtime
    first = scan_drop_folder(drop, None, now=mtime + 1, quiet_s=30)
    later = scan_drop_folder(drop, json.dumps(first.cursor), now=mtime + 20, quiet_s=30)
    assert not later.ready and "of the 30 s quiet period" in later.waiting[0][1]
    quiet = scan_drop_folder(drop, json.dumps(later.cursor), now=mtime + 40, quiet_s=30)
    assert quiet.ready == [video]
    with open(video, "ab") as writer:  # a copy that paused: unchanged, quiet, but still open for writing
        writer.flush()
        busy = paths_open_for_writing(drop)
        assert str(video.resolve()) in busy
        held = scan_drop_folder(drop, json.dumps(later.cursor), now=mtime + 40, quiet_s=30, open_for_writing=busy)
        assert not held.ready and held.waiting[0][1].startswith("open for writing by pid")


@pytest.mark.slow
def test_a_rejected_entry_that_changes_afterwards_is_retried(shared, castforge_home, drop):
    source = (shared / TEST_VIDEO).read_bytes()
    video = drop / "paused.mp4"
    video.write_bytes(source[: len(source) // 2])  # the copy paused long enough to be taken as finished
    result = _ticks_until_requests(castforge_home, None)
    assert _run_ingests(castforge_home, result) == [None]  # rejected: truncated
    rejected = drop / "rejected" / "paused.mp4"
    assert rejected.exists() and (drop / "rejected" / "paused.mp4.reason.txt").read_text().startswith("paused.mp4: ")
    rejected.write_bytes(source)  # the writer finishes its copy inside rejected/
    retry = _ticks_until_requests(castforge_home, result.cursor)
    assert (drop / "paused.mp4").exists() and not rejected.exists()
    assert _run_ingests(castforge_home, retry) == ["paused"]


@pytest.mark.slow
def test_one_bad_entry_never_stops_the_tick(shared, castforge_home, drop):
    from PIL import Image

    folder = drop / "Huge stills"
    folder.mkdir()
    Image.new("L", (20000, 10000), 90).save(folder / "poster_200mp.jpg", quality=60)  # 200 MP
    shutil.copy(shared / "media/faces/knn_examples/test/obama_and_biden.jpg", folder / "small.jpg")
    (drop / "empty.mp4").write_bytes(b"")
    (drop / "garbage.mkv").write_bytes(b"\x00" * 5000)
    shutil.copy(shared / TEST_VIDEO, drop / "good.mp4")
    result = _ticks_until_requests(castforge_home, None)
    films = _run_ingests(castforge_home, result)
    assert sorted(f for f in films if f) == ["good", "huge_stills"]
    assert (drop / "rejected" / "garbage.mkv").exists() and (drop / "empty.mp4").exists()  # empty: still waiting
    after = _tick(castforge_home, result.cursor)
    assert sorted(r.partition_key for r in after.run_requests) == ["good", "huge_stills"]


def test_a_name_that_is_not_utf_8_is_reported_and_the_rest_go_on(shared, castforge_home, drop):
    """A video unpacked from an old Japanese archive keeps its Shift-JIS name: no run, tag or cursor can carry it
    (before, its ingest run failed in the catalog's write). It is named with what it likely says, left alone, and
    picked up once renamed."""
    import os

    misnamed = Path(os.fsdecode(bytes(drop) + b"/" + "テスト動画".encode("shift_jis") + b".mp4"))
    shutil.copy(shared / TEST_VIDEO, misnamed)
    shutil.copy(shared / TEST_VIDEO, drop / "good.mp4")
    result = _ticks_until_requests(castforge_home, None)
    assert [r.run_config["ops"]["ingest_dropped"]["config"]["path"] for r in result.run_requests] == \
        [str(drop / "good.mp4")]
    result.cursor.encode("utf-8")
    scan = scan_drop_folder(drop, None, now=1e10)
    assert [name for name, _ in scan.misnamed] == ["\\x83e\\x83X\\x83g\\x93\\xae\\x89\\xe6.mp4"]
    assert "read as cp932 it is 'テスト動画.mp4'" in scan.misnamed[0][1]
    assert scan_drop_folder(drop, json.dumps(scan.cursor), now=1e10).misnamed == []  # reported once
    assert misnamed.exists()
    misnamed.rename(drop / "テスト動画.mp4")
    after = _ticks_until_requests(castforge_home, result.cursor)
    assert str(drop / "テスト動画.mp4") in [r.run_config["ops"]["ingest_dropped"]["config"]["path"]
                                          for r in after.run_requests]


def test_a_dropped_folder_of_episodes_becomes_one_film_each(shared, castforge_home, drop):
    """A series folder: one ingest run, a film per episode (the bad one rejected with its reason), then a pipeline
    run for each."""
    from tests.made_media import PENNY_AND_CHIP, run_ffmpeg

    series = drop / "Penny Show"
    series.mkdir()
    for k, start in ((1, "0"), (2, "60")):
        run_ffmpeg("-ss", start, "-t", "10", "-i", str(shared / PENNY_AND_CHIP), "-c", "copy",
                   str(series / f"Penny Show - {k:02d}.mp4"))
    (series / "Penny Show - 03.mp4").write_bytes(b"\x00" * 5000)
    result = _ticks_until_requests(castforge_home, None)
    assert _run_ingests(castforge_home, result) == [["penny_show_01", "penny_show_02"]]
    assert (drop / "rejected" / "Penny Show - 03.mp4").exists()
    after = _tick(castforge_home, result.cursor)
    assert sorted(r.partition_key for r in after.run_requests) == ["penny_show_01", "penny_show_02"]
    # next week's episode lands in the same folder: one more film and its run, the others left as they are
    run_ffmpeg("-ss", "120", "-t", "10", "-i", str(shared / PENNY_AND_CHIP), "-c", "copy",
               str(series / "Penny Show - 04.mp4"))
    again = _ticks_until_requests(castforge_home, after.cursor)
    assert _run_ingests(castforge_home, again) == [["penny_show_01", "penny_show_02", "penny_show_04"]]
    newest = _tick(castforge_home, again.cursor)
    assert [r.partition_key for r in newest.run_requests] == ["penny_show_04"]


@pytest.mark.parametrize("archive_name", ["Fan Pack.zip", "Fan Pack.tar.gz"])
def test_a_dropped_archive_of_images_becomes_an_image_set_and_gets_its_run(shared, castforge_home, drop,
                                                                         archive_name):
    images = [(name, (shared / "media/characters_rgba" / name).read_bytes())
              for name in ("sita_front.png", "saha_front.png")]
    archive_format = ("zip", None) if archive_name.endswith(".zip") else ("gnutar", "gzip")
    write_libarchive(drop / archive_name, images, *archive_format)
    result = _ticks_until_requests(castforge_home, None)
    assert _run_ingests(castforge_home, result) == ["fan_pack"]
    assert Catalog(castforge_home).film("fan_pack")["source_path"] == str(drop.resolve() / ".unpacked" / "fan_pack")
    after = _tick(castforge_home, result.cursor)
    assert [r.partition_key for r in after.run_requests] == ["fan_pack"]
    assert scan_drop_folder(drop, after.cursor, now=1e10).unknown == []  # the unpacked folder is not an entry
