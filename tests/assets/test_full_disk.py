"""A stage on a full disk: one message that names the film, the stage and the disk; nothing of the stage kept, the
film's earlier results intact, no temporary file left behind; the same command resumes once there is room. The real
`castforge` command runs on a real small filesystem: a tmpfs mounted in a private mount namespace (``unshare``), so
the machine's own disks are never filled, and the mount goes away with the namespace."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from resources.paths import REPO_ROOT

SCRIPT = r"""
set -u
mount -t tmpfs -o size=48m tmpfs "$MNT"
export CASTFORGE_HOME="$MNT/home" DAGSTER_HOME="$MNT/home/dagster" CASTFORGE_MIN_FREE_MB=0
cf() { "$PY" -m orchestration.cli "$@"; }
state() {  # every file of the film with its digest, and the hidden leftovers (staging folders, temporary files)
  "$PY" - "$CASTFORGE_HOME/films/s" <<'PY'
import hashlib, json, sys
from pathlib import Path
root = Path(sys.argv[1])
files = {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
         for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(".") and p.suffix != ".hold"}
hidden = [str(p.relative_to(root)) for p in root.rglob(".*") if p.suffix != ".hold"]
print(json.dumps({"files": files, "hidden": hidden}))
PY
}
mount -t tmpfs -o size=100k tmpfs "$TINY"   # too small for the run's own records (Dagster's home, the catalog)
CASTFORGE_HOME="$TINY/home" DAGSTER_HOME="$TINY/home/dagster" cf ingest "$VIDEO" --film s > /dev/null 2> "$OUT/tiny.err"
echo "tiny $?" >> "$OUT/rc"
cf ingest "$VIDEO" --film s > /dev/null; echo "ingest $?" >> "$OUT/rc"
cf materialize s --select frames > /dev/null 2>&1; echo "first $?" >> "$OUT/rc"
state > "$OUT/before.json"
# leave about 1.5 MB: far less than the key frames of the run below need
free=$("$PY" -c "import shutil; print(shutil.disk_usage('$MNT').free)")
dd if=/dev/zero of="$MNT/filler" bs=65536 count=$(( (free - 1572864) / 65536 )) status=none
cf materialize s --select frames --set frames.frames_per_shot=12 > /dev/null 2> "$OUT/full.err"
echo "full $?" >> "$OUT/rc"
state > "$OUT/after_full.json"
cf status s > "$OUT/status.txt" 2>&1
CASTFORGE_MIN_FREE_MB=40 cf materialize s --select frames --set frames.frames_per_shot=12 > /dev/null \
  2> "$OUT/floor.err"; echo "floor $?" >> "$OUT/rc"
CASTFORGE_MIN_FREE_MB=40 cf status s > "$OUT/status_floor.txt" 2>&1
rm "$MNT/filler"
cf materialize s --select frames --set frames.frames_per_shot=12 > "$OUT/resumed.out" 2>&1; echo "resumed $?" >> "$OUT/rc"
state > "$OUT/resumed.json"
"""


def _private_tmpfs_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


def test_a_full_disk_is_named_keeps_earlier_results_and_the_run_resumes(tmp_path, shared):
    if not _private_tmpfs_works():
        pytest.skip("needs `unshare -rm` and a tmpfs mount in a private namespace (user namespaces off here)")
    mount, tiny, out = tmp_path / "mnt", tmp_path / "tiny", tmp_path / "out"
    mount.mkdir(), tiny.mkdir(), out.mkdir()
    env = {**os.environ, "MNT": str(mount), "TINY": str(tiny), "OUT": str(out), "PY": sys.executable, "PYTHONPATH": str(REPO_ROOT),
           "VIDEO": str(shared / "media/video/sintel_trailer_480x204.mp4")}
    subprocess.run(["unshare", "-rm", "bash", "-c", SCRIPT], cwd=REPO_ROOT, env=env, check=True, timeout=600)

    rc = dict(line.split() for line in (out / "rc").read_text().splitlines())
    assert rc == {"tiny": "2", "ingest": "0", "first": "0", "full": "1", "floor": "1", "resumed": "0"}
    tiny_said = (out / "tiny.err").read_text().strip().splitlines()
    assert len(tiny_said) == 1 and tiny_said[0].startswith("castforge: ")   # no traceback
    assert f"the disk holding {tiny}/home is full" in tiny_said[0] and "run the same command again" in tiny_said[0]

    full = (out / "full.err").read_text()
    assert (f"step frames failed: DiskFullError: film 's', stage 'frames': the disk holding {mount}/home/films/s "
            "is full") in full
    assert "nothing of the stage was kept, earlier results are intact" in full
    assert "run the same command again" in full
    before, after = (json.loads((out / f).read_text()) for f in ("before.json", "after_full.json"))
    assert len(before["files"]) > 50                    # key frames, their tables and the stage record
    assert after == before                              # the earlier frames, byte for byte, and no leftovers
    assert before["hidden"] == []
    status = (out / "status.txt").read_text()
    assert "frames" in status and "is full" in status  # the catalog recorded why
    assert f"home {mount}/home: " in status and "free on its disk" in status and "will not start" not in status
    assert "under CASTFORGE_MIN_FREE_MB (40.0 MB): stages will not start" in (out / "status_floor.txt").read_text()

    floor = (out / "floor.err").read_text()
    assert "under CASTFORGE_MIN_FREE_MB (40.0 MB): the stage did not start" in floor

    resumed = json.loads((out / "resumed.json").read_text())
    assert "frames" in (out / "resumed.out").read_text() and "1 done" in (out / "resumed.out").read_text()
    assert resumed["hidden"] == []
    assert resumed["files"]["tables/frames.parquet"] != before["files"]["tables/frames.parquet"]
