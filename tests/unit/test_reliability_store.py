"""Issue 11 item 8: the franchise prototype store written by two films at once keeps both films' rows."""

import subprocess
import sys
from pathlib import Path

import polars as pl

from assets.identities.stable_ids import load_store, store_path, unlock_store
from resources.paths import REPO_ROOT

CLUSTER_ONE_FILM = """
import sys, time
import numpy as np
from pathlib import Path
from assets.identities.stable_ids import load_store, match_ids, update_store

path, film, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(seed)
vectors = rng.normal(size=(2, 64))
groups = [{"space": "face:test", "vector": v / np.linalg.norm(v)} for v in vectors]
store = load_store(path)
print("LOADED", flush=True)
time.sleep(1.0)  # the other film's run reads the store meanwhile (before the fix)
ids = match_ids(groups, store, {"face": 0.9})
update_store(path, store, groups, ids, {}, film)
print("IDS", ",".join(ids), flush=True)
"""


def test_two_films_clustered_at_once_mint_distinct_ids_and_keep_both(tmp_path: Path):
    path = store_path(tmp_path, "saga")
    runs = [subprocess.Popen([sys.executable, "-c", CLUSTER_ONE_FILM, str(path), film, str(seed)], cwd=REPO_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for film, seed in (("film_a", 1), ("film_b", 2))]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    minted = [line.split()[1].split(",") for out in outputs for line in out.splitlines() if line.startswith("IDS")]
    assert len({i for ids in minted for i in ids}) == 4, minted  # no id minted twice
    store = load_store(path)
    assert sorted(store["film"].to_list()) == ["film_a", "film_a", "film_b", "film_b"]
    assert store["identity"].n_unique() == 4
    unlock_store(path)


def test_a_failed_run_releases_the_lock_when_its_table_is_freed(tmp_path: Path):
    path = store_path(tmp_path, "saga")
    store = load_store(path)
    assert isinstance(store, pl.DataFrame)
    del store  # the run failed between load_store and update_store
    probe = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                            "from assets.identities.stable_ids import load_store; "
                            "load_store(Path(sys.argv[1])); print('GOT')", str(path)],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert "GOT" in probe.stdout, probe.stderr
