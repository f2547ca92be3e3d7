"""The franchise prototype store in a shared catalog (CASTFORGE_CATALOG = Postgres or DuckLake on a loopback Postgres):
two writer processes cluster films of one franchise at once through load_store / match_ids / update_store. Every
film's identities arrive, no id is minted twice, the recurring character keeps one id, and no prototypes.parquet is
written. A live holder keeps renewing its lease (a claim times out naming it); one killed with SIGKILL is taken
over at once from the same host; another host's lease once it lapses. A film's stage opened by two processes at
once is written by one of them under its lease; the other waits and finds it cached. Skipped, with the reason,
where Debian's postgresql or .venv-cluster are missing. About 2 min on 2 shared cores."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from resources.paths import REPO_ROOT
from tests.cluster.conftest import CLUSTER_PY
from tests.cluster.test_shared_catalog import _createdb, _env

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
FILMS_PER_WRITER = 5

# One writer: per film, the franchise's hero (one direction, a little noise) and one new character of its own.
WRITER = r"""
import json, sys, time, zlib
from pathlib import Path
import numpy as np
from assets.identities.stable_ids import load_store, match_ids, store_path, stored_names, update_store
name, home, start, n = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
path = store_path(home, "saga")
hero = np.random.default_rng(0).normal(size=64)
rng = np.random.default_rng(zlib.crc32(name.encode()))
while not start.exists():
    time.sleep(0.01)
minted = {}
for i in range(n):
    film = f"{name}_{i}"
    vectors = [hero + rng.normal(scale=0.05, size=64), rng.normal(size=64)]
    groups = [{"space": "face:test", "vector": v / np.linalg.norm(v)} for v in vectors]
    store = load_store(path)
    ids = match_ids(groups, store, {"face": 0.8})
    time.sleep(0.05)   # the other writer tries to read the store meanwhile
    names = {**stored_names(store), **({ids[0]: "Hero"} if i == 0 else {})}   # as identity_clusters carries them
    update_store(path, store, groups, ids, names, film)
    minted[film] = ids
print(json.dumps(minted))
"""

READ = r"""
import json, sys
from pathlib import Path
from assets.identities.stable_ids import load_store, store_path
store = load_store(store_path(Path(sys.argv[1]), "saga"))
print(json.dumps(store.drop("prototype").to_dicts()))
"""

# a franchise_prototypes table as sessions before 43 made it (no weights), holding one identity
OLD_TABLE = r"""
import numpy as np
from resources.catalog import Catalog
def make(con):
    con.execute("CREATE TABLE franchise_prototypes (franchise VARCHAR NOT NULL, identity VARCHAR NOT NULL, "
                "space VARCHAR NOT NULL, name VARCHAR, prototype BLOB NOT NULL, film VARCHAR, updated_at VARCHAR)")
    con.execute("INSERT INTO franchise_prototypes VALUES (?, ?, ?, ?, ?, ?, ?)",
                ["saga", "identity_000", "face:m", "Hero", np.array([1, 0, 0], np.float32).tobytes(), "old", "x"])
Catalog().transaction(make)
print("MADE")
"""

# one film on that store: its group keeps the identity, whose prototype becomes the mean of both films' rows
FOLD = r"""
import json, sys
from pathlib import Path
import numpy as np
from assets.identities.stable_ids import load_store, match_ids, prototypes, store_path, stored_names, update_store
path = store_path(Path(sys.argv[1]), "saga")
store = load_store(path)
before = store["weight"].to_list()
face = np.array([0.6, 0.8, 0.0], np.float32)
group = {"space": "face:m", "vector": face, "franchise": {"face:m": (face, 4)}}
ids = match_ids([group], store, {"face": 0.5})
merged = update_store(path, store, [group], ids, stored_names(store), "new")
names, vectors = prototypes(load_store(path), "face:m")
print(json.dumps({"before": before, "ids": ids, "rows": merged.select("film", "weight", "name").rows(),
                  "prototype": [round(float(v), 4) for v in vectors[0]]}))
"""

HOLD = r"""
import sys, time
from pathlib import Path
from assets.identities.stable_ids import load_store, store_path
store = load_store(store_path(Path(sys.argv[1]), "saga"))
print("HELD", flush=True)
time.sleep(600)
"""

# Another machine's holder whose lease lapses in 3 s: the next load waits for the lapse, then takes over.
ELSEWHERE = r"""
import json, sys, time, zlib
from pathlib import Path
from assets.identities.shared_prototypes import shared_store_for
from assets.identities.stable_ids import load_store, store_path
path = store_path(Path(sys.argv[1]), "saga")
shared = shared_store_for(path)
shared.lease.ensure_table()
shared.catalog.transaction(lambda con: (con.execute("DELETE FROM castforge_leases"), con.execute(
    "INSERT INTO castforge_leases VALUES ('franchise:saga', 'other-host:1:abc', ?)", [time.time() + 3])))
began = time.monotonic()
load_store(path)
print(json.dumps({"waited": time.monotonic() - began}))
"""


# While the holder lives it renews its 1.5 s lease: a claim four seconds long times out naming the holder.
PROBE = r"""
import sys
from pathlib import Path
from assets.identities.shared_prototypes import shared_store_for
from assets.identities.stable_ids import store_path
try:
    shared_store_for(store_path(Path(sys.argv[1]), "saga")).acquire(4)
    print("TAKEN")
except TimeoutError as error:
    print(str(error).replace(chr(10), " "))
"""


def _run(env: dict[str, str], code: str, *args: str) -> str:
    done = subprocess.run([str(CLUSTER_PY), "-c", code, *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _catalog_env(postgres, home: Path, kind: str, database: str) -> dict[str, str]:
    """A fresh database ``database`` on the loopback Postgres, as a Postgres or a DuckLake catalog for ``home``."""
    host, port = postgres
    _createdb(port, database)
    return _env(home, f"postgresql://castforge@{host}/{database}" if kind == "postgres" else
                f"ducklake:postgres:host=127.0.0.1 port={port} user=castforge dbname={database}")


@pytest.mark.parametrize("kind", ["postgres", "ducklake"])
def test_two_writers_on_one_franchise_lose_no_prototype(postgres, tmp_path, kind):
    home = tmp_path / "home"
    env = _catalog_env(postgres, home, kind, f"prototypes_{kind}")
    start = tmp_path / "start"
    writers = [subprocess.Popen([str(CLUSTER_PY), "-c", WRITER, name, str(home), str(start), str(FILMS_PER_WRITER)],
                                cwd=REPO_ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for name in ("writer_a", "writer_b")]
    time.sleep(3)   # both imported and attached
    start.touch()
    minted: dict[str, list[str]] = {}
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-3000:]
        minted.update(json.loads(out.strip().splitlines()[-1]))

    heroes = {ids[0] for ids in minted.values()}
    newcomers = [ids[1] for ids in minted.values()]
    assert len(heroes) == 1, minted                       # the recurring character kept one id across writers
    assert len(set(newcomers)) == 2 * FILMS_PER_WRITER and not heroes & set(newcomers), minted  # none minted twice
    rows = json.loads(_run(env, READ, str(home)))
    films = {f"{w}_{i}" for w in ("writer_a", "writer_b") for i in range(FILMS_PER_WRITER)}
    hero = heroes.pop()
    # no film's update was lost: a row per film that showed it (the hero in every film, each newcomer in one)
    assert sorted((r["identity"], r["film"]) for r in rows if r["identity"] != hero) == sorted(
        (ids[1], film) for film, ids in minted.items())
    assert {r["film"] for r in rows if r["identity"] == hero} == films
    assert {r["name"] for r in rows if r["identity"] == hero} == {"Hero"}
    assert not list(home.rglob("prototypes.parquet*")), "the shared store wrote the embedded file"


@pytest.mark.parametrize("kind", ["postgres", "ducklake"])
def test_a_table_from_before_the_weights_gains_them_and_its_rows_still_match(postgres, tmp_path, kind):
    home = tmp_path / "home"
    env = _catalog_env(postgres, home, kind, f"prototypes_old_{kind}")
    assert _run(env, OLD_TABLE) == "MADE"
    folded = json.loads(_run(env, FOLD, str(home)))
    assert folded["before"] == [None] and folded["ids"] == ["identity_000"]
    assert folded["rows"] == [["new", 4, "Hero"], ["old", None, "Hero"]]
    # the old row counts as much as this film's: the mean of (1, 0, 0) and (0.6, 0.8, 0)
    assert folded["prototype"] == [0.8944, 0.4472, 0.0]


def test_a_killed_holder_and_a_lapsed_lease_are_taken_over(postgres, tmp_path):
    host, port = postgres
    _createdb(port, "prototypes_lease")
    home = tmp_path / "home"
    env = {**_env(home, f"postgresql://castforge@{host}/prototypes_lease"), "CASTFORGE_LEASE_S": "1.5"}
    holder = subprocess.Popen([str(CLUSTER_PY), "-c", HOLD, str(home)], cwd=REPO_ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "HELD", holder.stderr.read()[-3000:]
        refused = _run(env, PROBE, str(home))
        assert "has held it for over 4 s" in refused and f":{holder.pid}:" in refused, refused
    finally:
        os.killpg(holder.pid, signal.SIGKILL)   # a worker killed while it holds the store
        holder.wait(timeout=30)
    began = time.monotonic()
    _run(env, READ, str(home))
    assert time.monotonic() - began < 20   # taken over at once (its pid is gone)
    waited = json.loads(_run(env, ELSEWHERE, str(home)))["waited"]
    assert 1.5 < waited < 15, waited


def test_a_films_stage_has_one_writer_with_a_shared_catalog(postgres, tmp_path):
    """The stage hold of tests/unit/test_stage_hold.py as a lease in the shared catalog (no flock file involved)."""
    from tests.unit.test_stage_hold import run_workers

    host, port = postgres
    _createdb(port, "stage_holds")
    home = tmp_path / "home"
    same_a, same_b, other = run_workers(home, ["film_a", "film_a", "film_b"],
                                        _env(home, f"postgresql://castforge@{host}/stage_holds"), str(CLUSTER_PY),
                                        hold_s=4.0)
    first, second = sorted([same_a, same_b], key=lambda r: r["entered"])
    assert not first["cached"] and second["cached"] and second["entered"] >= first["left"] - 0.05, (first, second)
    assert first["writer"] == second["writer"] == first["who"]
    assert not other["cached"] and other["entered"] < first["left"], (first, other)   # another film: no wait
    assert not list(home.rglob("*.hold")), "the shared catalog's lease was not used"
