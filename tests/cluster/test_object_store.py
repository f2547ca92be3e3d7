"""Artefacts on object storage (CASTFORGE_ARTEFACTS=s3://...) against moto's S3 server on loopback, with the shared
catalog in a loopback Postgres: machine A (its own CASTFORGE_HOME) ingests a photo film and runs `frames`; machine B
(an empty home) runs `instances`. B fetches the frames table, its stage record and the frame image from the bucket
instead of recomputing them, its instances are published to the bucket, and a catalog view reads the instances table
straight from S3 (DuckDB httpfs). About 1 min on 2 cores (the instances step loads its models). A folder
published again is never listed with files missing while it is replaced (5 s)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from resources.paths import REPO_ROOT
from tests.cluster.conftest import CLUSTER_PY

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
PHOTO = "train/alex_lacamoire/img1.jpg"
BUCKET = "s3://castforge/studio"


def _env(home: Path, shared: Path, catalog: str, s3: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASTFORGE_", "DAGSTER_", "AWS_"))}
    env.update(CASTFORGE_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), CASTFORGE_MODELS=str(shared / "models"),
               CASTFORGE_CATALOG=catalog, CASTFORGE_ARTEFACTS=BUCKET, HF_HUB_OFFLINE="1",
               PYTHONWARNINGS="ignore::UserWarning", **s3)
    return env


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(CLUSTER_PY), *args], cwd=REPO_ROOT, env=env, text=True, capture_output=True,
                          timeout=600)
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


def _inspect(env: dict[str, str]) -> dict:
    code = r"""
import json, s3fs
from resources.catalog import Catalog
from resources.object_store import s3_options
catalog = Catalog()
rows = catalog.query("SELECT asset, status, row_count FROM materializations WHERE film = 'alex' ORDER BY finished_at")
fs = s3fs.S3FileSystem(**s3_options())
view = catalog.query("SELECT count(*) AS n FROM instances WHERE film = 'alex'")["n"][0]
print(json.dumps({"runs": rows.rows(), "keys": sorted(fs.find("castforge/studio/films/alex")), "view": int(view)}))
"""
    return json.loads(_run(env, "-c", code).strip().splitlines()[-1])


def test_a_second_machine_runs_the_next_stage_from_the_bucket(postgres, s3_server, shared, tmp_path):
    host, port = postgres
    from tests.cluster.test_shared_catalog import _createdb
    _createdb(port, "objects")
    catalog = f"postgresql://castforge@{host}/objects"
    film = tmp_path / "films" / "alex"
    film.mkdir(parents=True)
    (film / "img1.jpg").symlink_to(shared / "media/faces/knn_examples" / PHOTO)
    machine_a, machine_b = tmp_path / "a", tmp_path / "b"

    env_a = _env(machine_a, shared, catalog, s3_server)
    _run(env_a, "-m", "orchestration.cli", "ingest", str(film))
    _run(env_a, "-m", "orchestration.cli", "materialize", "alex", "--select", "frames")
    env_b = _env(machine_b, shared, catalog, s3_server)
    _run(env_b, "-m", "orchestration.cli", "materialize", "alex", "--select", "instances")

    seen = _inspect(env_b)
    assert [asset for asset, status, _ in seen["runs"] if status == "success"] == ["frames", "instances"], seen
    instances = next(count for asset, status, count in seen["runs"] if asset == "instances")
    assert instances >= 1 and seen["view"] == instances
    keys = {key.split("films/alex/", 1)[1] for key in seen["keys"]}
    assert {"tables/frames.parquet", "tables/frames.stage.json", "tables/instances.parquet"} <= keys
    assert any(k.startswith("frames/") and k.endswith(".jpg") for k in keys)
    assert any(k.startswith("instances/") and k.endswith(".png") for k in keys)
    # B fetched A's frame image rather than decoding the film again
    fetched = sorted((machine_b / "films" / "alex" / "frames").rglob("*.jpg"))
    assert fetched and all(f"frames/{p.relative_to(machine_b / 'films' / 'alex' / 'frames')}" in keys
                           for p in fetched)


REPUBLISH = r"""
import json, sys
from pathlib import Path
from resources.object_store import ArtefactMirror
home = Path(sys.argv[1])
folder = home / "films" / "alex" / "instances"
def fill(files):
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
mirror = ArtefactMirror("s3://castforge/republish", home)
fill({"a.png": "old a", "b.png": "old b", "gone.png": "old", "shot_1/c.png": "old c"})
mirror.publish_dir(folder)
for p in sorted(folder.rglob("*"), reverse=True):
    p.unlink() if p.is_file() else p.rmdir()
fill({"a.png": "new a", "b.png": "new b", "shot_1/c.png": "new c", "shot_2/d.png": "new d"})
prefix = "castforge/republish/films/alex/instances/"
seen = []   # what a reader listing the folder finds before and after every request the republish makes
def listing():
    return sorted(k[len(prefix):] for k in mirror.fs.find(prefix))
for method in ("put", "rm"):
    original = getattr(mirror.fs, method)
    def watched(*args, original=original, **kwargs):
        seen.append(listing())
        out = original(*args, **kwargs)
        seen.append(listing())
        return out
    setattr(mirror.fs, method, watched)
mirror.publish_dir(folder)
texts = {name: mirror.fs.cat_file(prefix + name).decode() for name in listing()}
print(json.dumps({"seen": seen, "final": texts}))
"""


def test_a_republished_folder_is_never_seen_half_uploaded(s3_server, tmp_path):
    """A folder published again (a stage re-run) keeps every name readable throughout: the new objects are uploaded
    first, then only the keys the new folder dropped are removed (deleting first left a listing with no files)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASTFORGE_", "AWS_"))}
    env.update(s3_server)
    done = subprocess.run([str(CLUSTER_PY), "-c", REPUBLISH, str(tmp_path)], cwd=REPO_ROOT, env=env, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    old, new = {"a.png", "b.png", "gone.png", "shot_1/c.png"}, {"a.png", "b.png", "shot_1/c.png", "shot_2/d.png"}
    assert report["seen"], "the republish made no put/rm request"
    for listed in report["seen"]:
        assert old <= set(listed) or new <= set(listed), f"a reader saw a half folder: {listed}"
    assert report["final"] == {"a.png": "new a", "b.png": "new b", "shot_1/c.png": "new c", "shot_2/d.png": "new d"}
