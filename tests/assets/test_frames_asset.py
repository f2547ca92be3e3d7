import shutil

import polars as pl
import pytest

from orchestration.cli import main, materialize_film
from resources.catalog import Catalog
from resources.errors import ConfigError
from resources.storage import FilmWorkspace
from tests.conftest import build_film


def test_frames_rerun_is_cached_and_a_failed_run_keeps_the_previous_result(shared, castforge_home, tmp_path):
    video = tmp_path / "clip.mp4"
    shutil.copy(shared / "media/video/pyscenedetect/testvideo.mp4", video)
    result = build_film(castforge_home, video, "tv", ["frames"])
    assert result.success
    workspace, catalog = FilmWorkspace("tv", castforge_home), Catalog(castforge_home)
    first = workspace.read_table("frames")
    files = sorted(p.name for p in (castforge_home / "films/tv/frames").glob("*.jpg"))
    assert first.filter(pl.col("kept")).height == len(files) > 0
    assert workspace.read_table("shots").height == 3

    assert materialize_film("tv", ["frames"]).success
    assert workspace.read_table("frames").equals(first)
    statuses = catalog.query("SELECT status FROM materializations WHERE film = 'tv' ORDER BY finished_at")["status"]
    assert statuses.to_list() == ["success", "cached"]

    with pytest.raises(ConfigError, match="frames.mode must be one of"):  # refused before anything runs
        materialize_film("tv", ["frames"], {"frames": {"mode": "every_frame"}})
    video.unlink()  # the source moved away: a run with new settings fails, naming the file
    failed = materialize_film("tv", ["frames"], {"frames": {"frames_per_shot": 2}})
    assert not failed.success
    assert workspace.read_table("frames").equals(first)
    assert sorted(p.name for p in (castforge_home / "films/tv/frames").glob("*.jpg")) == files
    assert not list((castforge_home / "films/tv").glob(".frames.staging.*"))
    last = catalog.last_materializations("tv").row(0, named=True)
    assert last["status"] == "failed" and str(video) in last["error"]

    # the catalog is queryable across films from DuckDB
    assert catalog.query("SELECT count(*) AS n FROM frames WHERE kept")["n"][0] == len(files)


def test_cli_ingest_materialize_with_overrides_and_status(shared, castforge_home, capsys):
    video = shared / "media/video/pyscenedetect/testvideo.mp4"
    assert main(["ingest", str(video), "--film", "Test Video"]) == 0
    assert capsys.readouterr().out.strip() == "test_video"
    assert main(["ingest", str(video)]) == 0
    assert "already ingested as film 'test_video'" in capsys.readouterr().err
    assert main(["materialize", "test_video", "--select", "frames", "--set", "frames.mode=interval",
                 "--set", "frames.interval_s=4"]) == 0
    frames = FilmWorkspace("test_video", castforge_home).read_table("frames")
    assert frames.height == 6  # one every 4 s over 24 s
    assert main(["status", "test_video"]) == 0
    out = capsys.readouterr().out
    # the frames on disk were made with this run's --set, not the film's settings: status says so
    assert "test_video" in out and "frames               STALE" in out and "(parameters changed)" in out
    assert main(["materialize", "nope"]) == 2
    assert "not ingested" in capsys.readouterr().err
    assert main(["materialize", "test_video", "--set", "frames.mode=bogus"]) == 2  # a user mistake, before running
    assert "frames.mode must be one of" in capsys.readouterr().err


def test_an_audio_only_film_has_an_empty_frames_table(shared, castforge_home):
    assert build_film(castforge_home, shared / "media/audio/pyannote_sample/sample.wav", "sample", ["frames"]).success
    workspace = FilmWorkspace("sample", castforge_home)
    assert workspace.read_table("frames").is_empty() and workspace.read_table("shots").is_empty()
