"""Fixtures for the browser tests: the review film (see review_film.py), the review server started in its own
session and stopped by its pid, and Debian's Chromium driven by Playwright."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from resources.paths import REPO_ROOT, shared_dir
from review_film import CHAIN, CLUSTER_CONFIG, FILM, materialise
from tests.conftest import _point_env_at, _restore

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _fresh_copy(base: Path, home: Path) -> None:
    shutil.copytree(base, home, symlinks=True)
    # absolute paths inside the Dagster instance's storage point at the base: start a fresh instance
    shutil.rmtree(home / "dagster", ignore_errors=True)


@pytest.fixture(scope="session")
def review_film_base(tmp_path_factory, knn_train_frames_home: Path) -> Path:
    """A read-only home (copy it) with `knn_train` taken through identity_clusters (see review_film.py)."""
    from dagster import DagsterInstance

    home = tmp_path_factory.mktemp("review_base") / "home"
    _fresh_copy(knn_train_frames_home, home)
    previous = _point_env_at(home, shared_dir())
    try:
        DagsterInstance.get().add_dynamic_partitions("film", [FILM])
        materialise(CHAIN, run_config=CLUSTER_CONFIG)
    finally:
        _restore(previous)
    return home


@pytest.fixture
def review_home(tmp_path: Path, review_film_base: Path) -> Path:
    """This test's own copy of the review film, with the environment pointed at it."""
    from dagster import DagsterInstance

    home = tmp_path / "home"
    _fresh_copy(review_film_base, home)
    previous = _point_env_at(home, shared_dir())
    DagsterInstance.get().add_dynamic_partitions("film", [FILM])
    yield home
    _restore(previous)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def review_server(review_home: Path):
    """`castforge review` in a new session with default signal handlers; stopped by its pid."""
    port = _free_port()
    log = open(review_home / "review_server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "review", "--port", str(port)], cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL)
                                                    for s in (signal.SIGINT, signal.SIGTERM)])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if process.poll() is not None:
                raise RuntimeError(f"review server exited: {(review_home / 'review_server.log').read_text()}")
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("review server did not answer within 40 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
