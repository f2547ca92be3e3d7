"""`castforge review` says where it serves. Session 36 (h14): following the README, `castforge review` sat silent (its
URL was logged at INFO, which the console does not show without -v); the first line is now the URL, and it answers."""

import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from resources.paths import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_review_prints_the_url_it_serves_and_that_url_answers(castforge_home: Path, shared: Path):
    from resources.catalog import Catalog
    from resources.ingest import ingest_source

    ingest_source(Catalog(castforge_home), shared / "media/characters_rgba", "characters")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "review", "--port", str(port),
                                "--no-dagster"], cwd=REPO_ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "castforge review printed nothing within 60 s"
        first = process.stdout.readline().strip()
        assert first == f"castforge review: serving http://127.0.0.1:{port}/ (Ctrl-C stops it)"
        url = first.split("serving ", 1)[1].split()[0]
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "api/films", timeout=2) as answer:
                    films = json.load(answer)
                break
            except OSError:
                time.sleep(0.2)
        assert [f["film"] for f in films] == ["characters"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_summary_names_the_review_url_in_use_or_the_command_that_serves_it(castforge_home: Path, shared: Path,
                                                                                monkeypatch):
    """Session 38 (h27): the summary's `next:` line named http://127.0.0.1:8765 while the review was served on
    another --port, and named a URL when nothing served it."""
    from orchestration.summary import review_step
    from resources.catalog import Catalog
    from resources.ingest import ingest_source
    from resources.review_server import served_url
    from resources.review_state import review_url

    ingest_source(Catalog(castforge_home), shared / "media/characters_rgba", "characters")
    idle = _free_port()   # nothing serves it: the line says which command would
    monkeypatch.setenv("CASTFORGE_REVIEW_URL", f"http://127.0.0.1:{idle}")
    assert review_step(review_url("characters")) == (
        f"start `castforge review --port {idle}` and review cut-outs and identities at "
        f"http://127.0.0.1:{idle}/films/characters/instances")
    monkeypatch.delenv("CASTFORGE_REVIEW_URL")

    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "review", "--port", str(port),
                                "--no-dagster"], cwd=REPO_ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if served_url():
                break
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/films/characters/instances"
        assert review_url("characters") == url   # was http://127.0.0.1:8765/films/characters/instances
        assert review_step(review_url("characters")) == (
            f"review cut-outs and identities at {url} (`castforge review` serves it)")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not list((castforge_home / "review_servers").glob("*.json")) and served_url() is None
