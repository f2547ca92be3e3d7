"""CASTFORGE_CATALOG parsing and the errors a misconfigured shared catalog gives (the Postgres runs themselves are in
tests/cluster/test_shared_catalog.py)."""

from pathlib import Path

import duckdb
import pytest

from resources import catalog_shared as cs
from resources.catalog import Catalog
from resources.errors import CastforgeError


@pytest.mark.parametrize("setting", [None, "", "duckdb", "embedded", " DuckDB "])
def test_the_embedded_default_stays_one_duckdb_file(tmp_path, monkeypatch, setting):
    monkeypatch.delenv(cs.SETTING, raising=False)
    catalog = Catalog(tmp_path, url=setting)
    assert catalog.shared is None
    catalog.insert_rows("films", [{"film": "a", "source_path": "a.mp4", "content_hash": "h", "kind": "video",
                                   "ingested_at": "2026-01-01 00:00:00"}])
    assert catalog.films()["film"].to_list() == ["a"] and (tmp_path / "catalog.duckdb").exists()


@pytest.mark.parametrize(("setting", "kind", "dsn"), [
    ("postgresql://cf@db:5432/castforge", "postgres", "postgresql://cf@db:5432/castforge?connect_timeout=5"),
    ("postgresql://cf@db/castforge?sslmode=require", "postgres",
     "postgresql://cf@db/castforge?sslmode=require&connect_timeout=5"),
    ("host=db dbname=castforge", "postgres", "host=db dbname=castforge connect_timeout=5"),
    ("postgresql://cf@db/c?connect_timeout=2", "postgres", "postgresql://cf@db/c?connect_timeout=2"),
    ("ducklake:postgres:host=db dbname=lake", "ducklake", "ducklake:postgres:host=db dbname=lake connect_timeout=5"),
])
def test_settings_name_the_shared_database_and_never_hang(tmp_path, monkeypatch, setting, kind, dsn):
    monkeypatch.delenv(cs.DATA_SETTING, raising=False)
    shared = cs.shared_catalog(setting, tmp_path)
    assert (shared.kind, shared.dsn) == (kind, dsn)
    if kind == "ducklake":
        assert shared.data_path == f"{tmp_path}/catalog_lake/"


def test_ducklake_data_goes_where_castforge_catalog_data_says(tmp_path, monkeypatch):
    monkeypatch.setenv(cs.DATA_SETTING, "/mnt/share/lake")
    assert cs.shared_catalog("ducklake:postgres:dbname=x", tmp_path).data_path == "/mnt/share/lake/"


def test_an_unknown_setting_is_refused_with_the_choices(tmp_path):
    with pytest.raises(CastforgeError, match="CASTFORGE_CATALOG='mysql://u:\\*\\*\\*@h/d' is not understood"):
        cs.shared_catalog("mysql://u:secret@h/d", tmp_path)


def test_passwords_are_masked_in_messages():
    assert cs.redact("postgresql://cf:hunter2@db/x") == "postgresql://cf:***@db/x"
    assert cs.redact("host=db password=hunter2 dbname=x") == "host=db password=*** dbname=x"


@pytest.mark.skipif(duckdb.__version__ == "1.4.4", reason="this DuckDB matches the duckdb-ext-* wheels")
def test_a_duckdb_without_matching_extensions_says_to_use_the_cluster_environment(tmp_path):
    catalog = Catalog(tmp_path, url="postgresql://cf@127.0.0.1:1/x")
    with pytest.raises(CastforgeError, match=r"\.venv-cluster.*duckdb 1\.4\.4"):
        catalog.films()
    assert not (tmp_path / "catalog.duckdb").exists()
