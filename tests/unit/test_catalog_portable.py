"""The catalog keeps working when CASTFORGE_HOME is moved or mounted elsewhere (views name their Parquet files
relative to the home), and a held lock is waited for once, bounded, reported."""

import multiprocessing
import shutil
import time

import duckdb
import polars as pl
import pytest

from resources import catalog as catalog_module
from resources.catalog import Catalog, CatalogBusyError
from resources.storage import FilmWorkspace
from tests.unit.test_media_and_catalog import _hold_lock


def _home_with_frames(home):
    for film, n in [("a", 2), ("b", 3)]:
        FilmWorkspace(film, home).write_table("frames", pl.DataFrame({"frame_id": [f"f{i}" for i in range(n)]}))
    catalog = Catalog(home)
    catalog.refresh_views()
    catalog.execute("INSERT INTO decisions (decision_id, film, kind, created_at) VALUES ('d1', 'a', 'keep', now())")
    return catalog


def test_a_moved_home_keeps_its_views_and_rows(tmp_path):
    first = tmp_path / "first" / "home"
    _home_with_frames(first)
    moved = tmp_path / "elsewhere" / "mounted_home"
    moved.parent.mkdir()
    shutil.move(first, moved)
    # the stored view names no absolute path ...
    con = duckdb.connect(str(moved / "catalog.duckdb"), read_only=True)
    sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'frames'").fetchone()[0]
    assert str(tmp_path) not in sql and "films/*/tables/frames.parquet" in sql
    # ... and resolves against the home it is opened from (as a plain DuckDB user would, with the search path)
    con.execute(f"SET file_search_path = '{moved}'")
    assert con.execute("SELECT count(*) FROM frames").fetchone()[0] == 5
    con.close()
    catalog = Catalog(moved)
    assert catalog.query("SELECT film, count(*) AS n FROM frames GROUP BY film ORDER BY film").rows() == [
        ("a", 2), ("b", 3)]
    assert catalog.query("SELECT count(*) AS n FROM decisions")["n"][0] == 1


def _held(catalog: Catalog, seconds: float):
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Event()
    holder = spawn.Process(target=_hold_lock, args=(str(catalog.path), ready, seconds))
    holder.start()
    assert ready.wait(30)
    return holder


def test_a_held_lock_is_waited_for_once_and_the_wait_is_recorded(tmp_path):
    catalog = _home_with_frames(tmp_path)
    before = len(catalog_module.LOCK_WAITS)
    holder = _held(catalog, 1.0)
    catalog.execute("INSERT INTO decisions (decision_id, film, kind, created_at) VALUES ('d2', 'a', 'keep', now())")
    holder.join()
    waits = catalog_module.LOCK_WAITS[before:]
    assert len(waits) == 1 and 0.3 < waits[0] < 5
    assert catalog.query("SELECT count(*) AS n FROM decisions")["n"][0] == 2


def test_a_lock_held_past_the_bound_is_one_clear_error(tmp_path):
    catalog = _home_with_frames(tmp_path)
    busy = Catalog(tmp_path, lock_wait_s=0.5)
    holder = _held(catalog, 4.0)
    started = time.monotonic()
    with pytest.raises(CatalogBusyError, match="CASTFORGE_CATALOG_LOCK_WAIT_S=0.5"):
        busy.query("SELECT count(*) FROM decisions")
    assert time.monotonic() - started < 2.5   # bounded: no nested retries multiplying the wait
    holder.join()
