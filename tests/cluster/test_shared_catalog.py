"""The shared catalog (CASTFORGE_CATALOG) against a real Postgres on loopback: two writer processes (.venv-cluster,
DuckDB 1.4.4 with the duckdb-ext-* wheels) write films, materializations and review decisions at once, to Postgres
tables and to a DuckLake catalog (Postgres metadata, Parquet data under the home). Every row arrives, review
transactions stay serial (each revision once: a conflicting one runs again), no connection waits on a file lock and no catalog.duckdb appears;
the per-film Parquet views read beside the shared tables. An unreachable Postgres is named within seconds.

Skipped, with the reason, where Debian's postgresql or .venv-cluster (install/setup_cluster.sh) are missing.
About 30 s on 2 cores."""

import json
import os
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest

from resources.paths import REPO_ROOT
from tests.cluster.conftest import CLUSTER_PY, PG_BIN, free_port

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

ROWS_PER_WRITER = 10

# One writer: waits for the start file, then per item ingests a film, records two materializations and one review
# decision whose revision is "the film's count + 1" (a check-then-write that only a serial transaction keeps unique).
WRITER = r"""
import json, os, sys, time
from datetime import datetime
from pathlib import Path
from resources.catalog import Catalog, LOCK_WAITS
from resources.catalog_shared import CONFLICT_RETRIES
name, home, start, n = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
catalog = Catalog(home)
catalog.ensure_schema()
while not start.exists():
    time.sleep(0.01)
began = time.monotonic()
for i in range(n):
    film = f"{name}_{i}"
    now = datetime.now()
    catalog.insert_rows("films", [{"film": film, "source_path": f"drop/{film}.mp4", "content_hash": film,
                                   "kind": "video", "ingested_at": now}])
    catalog.insert_rows("materializations", [{"film": film, "asset": asset, "status": "success", "row_count": i,
                                              "finished_at": now} for asset in ("frames", "instances")])
    def decide(con, i=i):
        revision = con.execute("SELECT count(*) FROM decisions WHERE film = 'shared_review'").fetchone()[0] + 1
        con.execute("INSERT INTO decisions (decision_id, film, kind, item_id, created_at, revision) "
                    "VALUES (?, 'shared_review', 'keep', ?, now(), ?)", [f"{name}_{i}", f"{name}_{i}", revision])
    catalog.transaction(decide)
print(json.dumps({"seconds": time.monotonic() - began, "lock_waits": LOCK_WAITS, "retries": CONFLICT_RETRIES}))
"""


def _createdb(port: int, name: str) -> None:
    subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "castforge", name],
                   check=True, capture_output=True, timeout=30)


def _env(home: Path, setting: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASTFORGE_", "DAGSTER_"))}
    env.update(CASTFORGE_HOME=str(home), CASTFORGE_CATALOG=setting, PYTHONPATH=str(REPO_ROOT))
    return env


def _query(env: dict[str, str], sql: str) -> list[dict]:
    code = ("import sys, json; from resources.catalog import Catalog; "
            "print(json.dumps(Catalog().query(sys.argv[1]).to_dicts(), default=str))")
    done = subprocess.run([str(CLUSTER_PY), "-c", code, sql], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", ["postgres", "ducklake"])
def test_two_writer_processes_share_the_catalog_without_lock_waits(postgres, tmp_path, kind):
    host, port = postgres
    _createdb(port, f"catalog_{kind}")
    home = tmp_path / "home"
    setting = (f"postgresql://castforge@{host}/catalog_{kind}" if kind == "postgres" else
               f"ducklake:postgres:host=127.0.0.1 port={port} user=castforge dbname=catalog_{kind}")
    env = _env(home, setting)
    # a per-film Parquet relation, as a workspace writes one: the views must read it beside the shared tables
    (home / "films" / "writer_a_0" / "tables").mkdir(parents=True)
    pl.DataFrame({"frame_id": ["f1", "f2"], "film": ["writer_a_0"] * 2}).write_parquet(
        home / "films" / "writer_a_0" / "tables" / "frames.parquet")

    start = tmp_path / "start"
    writers = [subprocess.Popen([str(CLUSTER_PY), "-c", WRITER, name, str(home), str(start), str(ROWS_PER_WRITER)],
                                cwd=REPO_ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for name in ("writer_a", "writer_b")]
    time.sleep(3)   # both attached (the extensions load in about 1-2 s)
    start.touch()
    reports = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))

    # no file lock anywhere; the review transactions (all on one film) may run again after a conflict, bounded
    assert all(report["lock_waits"] == [] for report in reports), reports
    assert all(report["seconds"] < 120 for report in reports), reports
    print(kind, json.dumps([{"seconds": round(r["seconds"], 2), "conflict_retries": len(r["retries"])}
                            for r in reports]))
    assert not (home / "catalog.duckdb").exists()
    films = _query(env, "SELECT count(*) AS n, count(DISTINCT film) AS d FROM films")[0]
    assert films == {"n": 2 * ROWS_PER_WRITER, "d": 2 * ROWS_PER_WRITER}
    counts = _query(env, "SELECT asset, count(*) AS n, sum(row_count)::BIGINT AS s FROM materializations "
                         "GROUP BY asset ORDER BY asset")
    expected = 2 * sum(range(ROWS_PER_WRITER))
    assert counts == [{"asset": "frames", "n": 2 * ROWS_PER_WRITER, "s": expected},
                      {"asset": "instances", "n": 2 * ROWS_PER_WRITER, "s": expected}]
    revisions = _query(env, "SELECT count(*) AS n, count(DISTINCT revision) AS d, max(revision) AS m "
                            "FROM decisions WHERE film = 'shared_review'")[0]
    assert revisions == {"n": 2 * ROWS_PER_WRITER, "d": 2 * ROWS_PER_WRITER, "m": 2 * ROWS_PER_WRITER}
    joined = _query(env, "SELECT f.film, count(*) AS frames FROM films f JOIN frames USING (film) GROUP BY f.film")
    assert joined == [{"film": "writer_a_0", "frames": 2}]
    if kind == "ducklake":
        assert list((home / "catalog_lake").rglob("*.parquet")), "DuckLake wrote no Parquet data under the home"


def test_an_unreachable_postgres_is_named_within_seconds(tmp_path):
    if not CLUSTER_PY.exists():
        pytest.skip(".venv-cluster is missing (bash install/setup_cluster.sh)")
    env = _env(tmp_path / "home", f"postgresql://castforge@127.0.0.1:{free_port()}/nowhere")
    began = time.monotonic()
    done = subprocess.run([str(CLUSTER_PY), "-c", "from resources.catalog import Catalog; Catalog().films()"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and time.monotonic() - began < 15
    assert "CASTFORGE_CATALOG" in done.stderr and "cannot attach the shared catalog" in done.stderr
