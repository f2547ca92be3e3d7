"""Two workers never write the same film's stage at once (issue 17, Faults): two processes open the same film's
stage together; the later one waits on the first one's hold (a flock beside the stage record here; a lease in a
shared catalog in tests/cluster/test_shared_prototypes.py), enters only once the first has committed and left, and
finds its result cached instead of writing the stage again. A stage of another film does not wait. About 5 s."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resources.paths import REPO_ROOT

pytestmark = pytest.mark.slow   # three processes importing polars and DuckDB: out of `make test-fast`

# One worker: waits for the start file, opens the stage and, unless its result is cached, holds it `hold_s` seconds.
WORKER = r"""
import json, sys, time
from pathlib import Path
import polars as pl
from resources.catalog import Catalog
from resources.lineage import StageRun
from resources.storage import FilmWorkspace
home, film, who, start, hold_s = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4]), float(sys.argv[5])
workspace, catalog = FilmWorkspace(film, home), Catalog(home)
catalog.ensure_schema()
print("READY", flush=True)
while not start.exists():
    time.sleep(0.01)
began = time.time()
with StageRun(workspace, catalog, "probe_stage", "v1", {"p": 1}, {}, run_id=who) as stage:
    entered, cached = time.time(), stage.cached
    if not cached:
        time.sleep(hold_s)
        stage.commit(pl.DataFrame({"item": [who]}))
print(json.dumps({"who": who, "began": began, "entered": entered, "left": time.time(), "cached": cached,
                  "writer": workspace.read_table("probe_stage")["item"][0]}))
"""


def run_workers(home: Path, films: list[str], env: dict[str, str], python: str = sys.executable,
                hold_s: float = 1.5) -> list[dict]:
    """One worker per film name, all started at once; a worker that writes its stage holds it ``hold_s``."""
    start = home.parent / f"start-{time.monotonic_ns()}"
    workers = []
    for i, film in enumerate(films):
        workers.append(subprocess.Popen([python, "-c", WORKER, str(home), film, f"w{i}", str(start), str(hold_s)],
                                        cwd=REPO_ROOT, env=env, text=True, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE))
    try:
        for worker in workers:   # imported, catalog attached (skipping anything a library prints first)
            if not any(line.strip() == "READY" for line in worker.stdout):
                raise AssertionError(f"a worker exited before it was ready: {worker.stderr.read()[-3000:]}")
        start.touch()
        reports = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err[-3000:]
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    return reports


def test_the_same_films_stage_is_written_once_and_another_film_does_not_wait(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASTFORGE_", "DAGSTER_"))}
    env["CASTFORGE_HOME"] = str(tmp_path / "home")
    same_a, same_b, other = run_workers(tmp_path / "home", ["film_a", "film_a", "film_b"], env)
    first, second = sorted([same_a, same_b], key=lambda r: r["entered"])
    assert not first["cached"] and second["cached"], (first, second)      # written once, then served
    assert second["entered"] >= first["left"] - 0.05, (first, second)    # never inside the stage together
    assert first["writer"] == second["writer"] == first["who"]
    assert not other["cached"] and other["entered"] < first["left"], (first, other)   # another film: no wait
