"""`castforge materialize` (threads, the default) interrupted while a step runs: the run ends promptly, the
interrupted stage leaves no output and no hold behind, and what earlier steps wrote is intact; it exits 130 and
says on stderr which step was interrupted."""

import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resources.paths import REPO_ROOT

FILM = "talk"
STOP_WITHIN_S = 30      # the step stops at its next Python instruction; a bound, not a timing


def _held(lock: Path) -> bool:
    """Whether another process holds ``lock``'s flock (the stage hold of the embedded default)."""
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".hold"}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_ends_releases_the_stage_and_keeps_earlier_outputs(castforge_home, shared, signum):
    from resources.catalog import Catalog
    from resources.ingest import ingest_source
    from resources.storage import FilmWorkspace

    ingest_source(Catalog(castforge_home), shared / "media/audio/pyannote_sample/sample.wav", FILM)
    workspace = FilmWorkspace(FILM, castforge_home)
    hold = Path(workspace.stage_record_path("diarization")).with_suffix(".hold")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    run = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "materialize", FILM, "--select", "diarization"],
                           cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True,  # default signal handlers, whatever the shell running pytest set
                           preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGTERM)])
    try:
        deadline = time.monotonic() + 600
        while not _held(hold) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.poll() is None, f"the run ended before diarization started:\n{run.stdout.read()}"
        earlier = _digests(workspace.root)   # audio (and vocals) committed before diarization took its hold
        assert "tables/audio.parquet" in earlier
        os.kill(run.pid, signum)
        sent = time.monotonic()
        output, err = run.communicate(timeout=STOP_WITHIN_S + 60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert time.monotonic() - sent < STOP_WITHIN_S, output
    assert run.returncode == 130, output + err
    said = err.strip().splitlines()   # stdout may go nowhere: stderr says which step and that it was interrupted
    assert any(line.startswith("castforge: step diarization failed: ") and "KeyboardInterrupt" in line
               for line in said), err
    assert "castforge: interrupted (Ctrl-C or SIGTERM)" in said, err
    failures = [line for line in output.splitlines() if "diarization" in line and "FAILED" in line]
    assert len(failures) == 1 and "KeyboardInterrupt" in failures[0], output   # reported once, as interrupted
    assert not _held(hold)
    after = _digests(workspace.root)
    assert {k: after.get(k) for k in earlier} == earlier          # earlier outputs untouched
    assert not workspace.stage_record_path("diarization").exists()  # the interrupted stage committed nothing
    assert not (workspace.root / "tables/speech_segments.parquet").exists()
    assert not [p.name for p in workspace.root.iterdir() if ".staging." in p.name]   # its staging folder is gone
