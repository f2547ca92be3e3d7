"""The cluster profile on loopback: deploy/cluster.sh starts Postgres (the Dagster instance), Redis and two Celery
workers (queues gpu and cpu); `castforge backfill` runs three small films (one photo each, from
../shared/media/faces/knn_examples) through frames and instances across them. Every step succeeds, the model step
(instances, gpu pool) ran on the gpu worker and frames on the cpu worker, the rows equal a single-process run of
the same films, the gpu worker loaded its segmentation models once and reused them for the later films, and no
connection waited on the catalog lock for more than a second.

Skipped, with the reason, where Debian's postgresql / redis-server or .venv-cluster (install/setup_cluster.sh) are
missing. About 2-3 minutes on 2 cores (most of it the instances step loading its models once per film)."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from resources.catalog import Catalog
from resources.paths import REPO_ROOT

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

CLUSTER_PY = REPO_ROOT / ".venv-cluster" / "bin" / "python"
PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
PHOTOS = {"alex": "train/alex_lacamoire/img1.jpg", "obama": "test/obama1.jpg", "jon": "test/johnsnow_test1.jpg"}
SELECT = "frames,instances"


def _missing() -> str | None:
    if not PG_BINS:
        return "Debian's postgresql is not installed (apt-get install postgresql)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    if not CLUSTER_PY.exists():
        return ".venv-cluster is missing (bash install/setup_cluster.sh)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path, shared: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASTFORGE_", "DAGSTER_"))}
    env.update(CASTFORGE_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), CASTFORGE_MODELS=str(shared / "models"),
               HF_HUB_OFFLINE="1", PYTHONWARNINGS="ignore::UserWarning", **extra)
    return env


def _castforge(python: Path | str, env: dict[str, str], *args: str, timeout: int = 600) -> str:
    done = subprocess.run([str(python), "-m", "orchestration.cli", *args], cwd=REPO_ROOT, env=env, text=True,
                          capture_output=True, timeout=timeout)
    assert done.returncode == 0, f"castforge {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


def _rows(home: Path) -> dict[tuple[str, str], tuple[str, int]]:
    rows = Catalog(home).query("SELECT film, asset, status, row_count FROM materializations "
                               "QUALIFY row_number() OVER (PARTITION BY film, asset ORDER BY finished_at DESC) = 1")
    return {(r["film"], r["asset"]): (r["status"], r["row_count"]) for r in rows.to_dicts()}


@pytest.fixture(scope="module")
def films(shared, tmp_path_factory) -> Path:
    """Three one-photo films (folders of links to the shared photos)."""
    root = tmp_path_factory.mktemp("cluster_films")
    for film, photo in PHOTOS.items():
        (root / film).mkdir()
        (root / film / Path(photo).name).symlink_to(shared / "media/faces/knn_examples" / photo)
    return root


@pytest.fixture(scope="module")
def single_process_rows(shared, films, tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("single") / "home"
    env = _env(home, shared)
    for film in PHOTOS:
        _castforge(sys.executable, env, "ingest", str(films / film))
        _castforge(sys.executable, env, "materialize", film, "--select", SELECT)
    return _rows(home)


@pytest.fixture(scope="module")
def cluster(shared):
    missing = _missing()
    if missing:
        pytest.skip(missing)
    # Postgres runs as the postgres user when we are root: its folders must be reachable by it (pytest's are 0700)
    base = Path(tempfile.mkdtemp(prefix="castforge-cluster-"))
    base.chmod(0o755)
    home = base / "home"
    env = _env(home, shared, CASTFORGE_CLUSTER_DIR=str(base / "cluster"),
               CASTFORGE_PG_PORT=str(_free_port()), CASTFORGE_REDIS_PORT=str(_free_port()))
    script = REPO_ROOT / "deploy" / "cluster.sh"
    try:
        subprocess.run(["bash", str(script), "up"], env=env, check=True, timeout=180, capture_output=True, text=True)
        settings = subprocess.run(["bash", str(script), "env"], env=env, check=True, capture_output=True,
                                  text=True).stdout
        env.update(re.findall(r"^export (\w+)=(.*)$", settings.replace("\\ ", " "), flags=re.M))
        yield home, base / "cluster", env
    finally:
        subprocess.run(["bash", str(script), "down"], env=env, timeout=120, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_three_films_across_the_workers_equal_a_single_process_run(cluster, films, single_process_rows):
    home, cluster_dir, env = cluster
    assert env["CASTFORGE_PROFILE"] == "cluster" and env["CASTFORGE_POSTGRES_URL"].startswith("postgresql")
    for film in PHOTOS:
        _castforge(CLUSTER_PY, env, "ingest", str(films / film))
    _castforge(CLUSTER_PY, env, "backfill", *PHOTOS, "--select", SELECT, "--parallel", "3")

    rows = _rows(home)
    for film in PHOTOS:
        for asset in SELECT.split(","):
            assert rows[(film, asset)][0] == "success", (film, asset, rows.get((film, asset)))
    assert rows == single_process_rows
    assert all(count >= 1 for (_, asset), (_, count) in rows.items() if asset == "frames")

    logs = {queue: (cluster_dir / "logs" / f"worker-{queue}.log").read_text() for queue in ("gpu", "cpu")}
    for film_step, queue in (("instances", "gpu"), ("frames", "cpu")):
        done = re.findall(rf" - {film_step} - STEP_SUCCESS", logs[queue])
        assert len(done) == len(PHOTOS), f"{film_step} ran {len(done)}x on the {queue} worker"
        other = "cpu" if queue == "gpu" else "gpu"
        assert not re.search(rf" - {film_step} - STEP_START", logs[other]), f"{film_step} ran on the {other} worker"
    # the gpu worker kept its segmentation models across the three films' steps (CASTFORGE_KEEP_MODELS)
    built = len(re.findall(r"model cache: built SegmenterResource", logs["gpu"]))
    reused = len(re.findall(r"model cache: reusing SegmenterResource", logs["gpu"]))
    assert built >= 1 and reused >= len(PHOTOS) - 1, f"segmenter built {built}x, reused {reused}x"
    waits = [float(w) for w in re.findall(r"catalog: waited ([0-9.]+) s", "".join(logs.values()))]
    assert max(waits, default=0.0) < 1.0, f"catalog lock waits: {waits}"


def test_a_worker_killed_mid_step_has_its_step_run_again_and_the_run_succeeds(cluster, films, shared):
    """The gpu worker's process is killed (SIGKILL) while it executes `instances`: Celery puts the step back on the
    queue (acks late, rejected on worker loss), a fresh worker process runs it, the run succeeds and the film's
    frames stay intact."""
    import signal
    import time

    home, cluster_dir, env = cluster
    film = "killed"
    (films / film).mkdir()
    (films / film / "kit_with_rose.jpg").symlink_to(shared / "media/faces/knn_examples/test/kit_with_rose.jpg")
    _castforge(CLUSTER_PY, env, "ingest", str(films / film))
    _castforge(CLUSTER_PY, env, "backfill", film, "--select", "frames")
    frames_before = _rows(home)[(film, "frames")]
    log = cluster_dir / "logs" / "worker-gpu.log"
    seen = log.read_text().count(" - instances - STEP_START")
    backfill = subprocess.Popen([str(CLUSTER_PY), "-m", "orchestration.cli", "backfill", film, "--select", SELECT],
                                cwd=REPO_ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while log.read_text().count(" - instances - STEP_START") == seen:
            assert time.monotonic() < deadline and backfill.poll() is None, "instances never started"
            time.sleep(0.5)
        worker = int((cluster_dir / "worker-gpu.pid").read_text())
        children = subprocess.run(["pgrep", "-P", str(worker)], capture_output=True, text=True).stdout.split()
        assert children, "the gpu worker has no pool process"
        os.kill(int(children[0]), signal.SIGKILL)
        _, stderr = backfill.communicate(timeout=400)
    finally:
        if backfill.poll() is None:
            backfill.kill()
    assert backfill.returncode == 0, stderr[-3000:]
    text = log.read_text()
    assert "WorkerLostError" in text and text.count(" - instances - STEP_START") == seen + 2
    rows = _rows(home)
    assert rows[(film, "instances")][0] == "success" and rows[(film, "frames")][1] == frames_before[1]
