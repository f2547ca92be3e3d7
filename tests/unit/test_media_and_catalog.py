import multiprocessing
import shutil
import time
from pathlib import Path

import polars as pl
import pytest

from orchestration.ingest import ingest_source
from resources.catalog import Catalog
from resources.errors import BadMediaError, CastforgeError
from resources.media import film_slug, mp4_cut_before_index, probe
from resources.storage import FilmWorkspace


@pytest.mark.parametrize(("name", "slug"), [
    ("Sintel Trailer (2010)", "sintel_trailer_2010"),
    ("千と千尋 - Spirited Away", "spirited_away"),
    ("Amélie", "amelie"),
])
def test_film_slug(name, slug):
    assert film_slug(name) == slug


def test_film_slug_of_a_name_with_no_ascii_is_stable():
    assert film_slug("千と千尋") == film_slug("千と千尋") and film_slug("千と千尋").startswith("film_")


def test_probe_real_video(shared):
    info = probe(shared / "media/video/sintel_trailer_480x204.mp4")
    assert (info.kind, info.width, info.height, info.has_audio) == ("video", 480, 204, True)
    assert 50 < info.duration_s < 54 and info.fps == pytest.approx(24, abs=0.01)
    webm = probe(shared / "media/video/big_buck_bunny_0_30.webm")
    assert webm.kind == "video" and webm.width == 1280 and webm.has_audio


def _truncated(source: Path, target: Path, fraction: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


@pytest.mark.parametrize("case", ["empty", "text", "half_copied", "missing", "single_image", "empty_folder"])
def test_probe_bad_input_names_the_file_and_reason(shared, tmp_path, case):
    path = tmp_path / f"bad {case}.mp4"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "text":
        path.write_text("this is not a video\n" * 100)
    elif case == "half_copied":
        _truncated(shared / "media/video/sintel_trailer_480x204.mp4", path, 0.02)
    elif case == "single_image":
        path = tmp_path / "photo.jpg"
        shutil.copy(shared / "media/faces/knn_examples/test/obama1.jpg", path)
    elif case == "empty_folder":
        path = tmp_path / "nothing here"
        path.mkdir()
    with pytest.raises(BadMediaError) as error:
        probe(path)
    assert str(path) in str(error.value) and error.value.reason


def test_half_copied_mp4_with_its_index_at_the_end_is_called_truncated(shared, tmp_path):
    # Penny & Chip keeps its 'moov' index after the media data (no faststart): half a copy has no index, and
    # FFmpeg alone said only "is not a readable video or audio file (InvalidDataError: Invalid data found ...)"
    half = _truncated(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4", tmp_path / "pc half.mp4", 0.5)
    with pytest.raises(BadMediaError) as error:
        probe(half)
    message = str(error.value)
    assert str(half) in message and "is truncated" in message and "'mdat' box" in message and "'moov'" in message
    assert mp4_cut_before_index(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4") is None
    assert mp4_cut_before_index(shared / "media/video/sintel_trailer_480x204.mp4") is None


def test_catalog_views_span_films_and_survive_a_concurrent_writer(tmp_path):
    catalog = Catalog(tmp_path)
    for film, n in [("a", 2), ("b", 3)]:
        FilmWorkspace(film, tmp_path).write_table("frames", pl.DataFrame({"frame_id": [f"f{i}" for i in range(n)]}))
    catalog.refresh_views()
    counts = catalog.query("SELECT film, count(*) AS n FROM frames GROUP BY film ORDER BY film")
    assert counts.rows() == [("a", 2), ("b", 3)]
    # another process holds the database for writing for a while; our write waits and then lands
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Event()
    holder = spawn.Process(target=_hold_lock, args=(str(catalog.path), ready, 1.5))
    holder.start()
    assert ready.wait(30)
    started = time.monotonic()
    catalog.execute("INSERT INTO decisions (decision_id, film, kind, created_at) VALUES ('d1', 'a', 'keep', now())")
    holder.join()
    assert time.monotonic() - started > 0.5
    assert catalog.query("SELECT count(*) AS n FROM decisions")["n"][0] == 1


def _hold_lock(path: str, ready, seconds: float) -> None:
    import duckdb

    con = duckdb.connect(path)
    ready.set()
    time.sleep(seconds)
    con.close()


def test_ingest_is_idempotent_and_refuses_a_taken_name(shared, tmp_path):
    catalog = Catalog(tmp_path)
    video = shared / "media/video/pyscenedetect/testvideo.mp4"
    first = ingest_source(catalog, video)
    assert first.created and first.film == "testvideo"
    again = ingest_source(catalog, video, "another_name")
    assert not again.created and again.film == "testvideo" and "already ingested" in again.message
    with pytest.raises(CastforgeError, match="already exists"):
        ingest_source(catalog, shared / "media/video/sintel_trailer_480x204.mp4", "testvideo")
    record = catalog.film("testvideo")
    assert record["kind"] == "video" and record["frame_count"] >= 719 and len(record["content_hash"]) == 64
