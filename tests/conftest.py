"""Shared fixtures: a temporary CASTFORGE_HOME, the ../shared media, and films already taken through `frames`."""

import os
import shutil
from pathlib import Path

import pytest

from resources.paths import ensure_dagster_home, shared_dir

SINTEL = "media/video/sintel_trailer_480x204.mp4"
KNN_TRAIN = "media/faces/knn_examples/train"
KNN_TEST = "media/faces/knn_examples/test"


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if path is None:
        pytest.skip("../shared (or CASTFORGE_SHARED) with the real media and models is not present")
    return path


def _point_env_at(home: Path, shared: Path | None) -> dict[str, str | None]:
    values = {
        "CASTFORGE_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "CASTFORGE_MODELS": str(shared / "models") if shared else "",
        "HF_HUB_OFFLINE": "1",
    }
    previous = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    ensure_dagster_home()
    return previous


def _restore(previous: dict[str, str | None]) -> None:
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def castforge_home(tmp_path: Path) -> Path:
    """An empty CASTFORGE_HOME for one test, with CASTFORGE_MODELS at ../shared/models when present."""
    home = tmp_path / "home"
    previous = _point_env_at(home, shared_dir())
    yield home
    _restore(previous)


def build_film(home: Path, source: Path, film: str, selection: list[str], run_config: dict | None = None):
    """Ingest ``source`` as ``film`` under ``home`` and materialise ``selection`` (and what it needs) in process."""
    from dagster import DagsterInstance

    from orchestration.cli import materialize_film
    from resources.ingest import ingest_source
    from resources.catalog import Catalog

    instance = DagsterInstance.get()
    outcome = ingest_source(Catalog(home), source, film)
    instance.add_dynamic_partitions("film", [outcome.film])
    return materialize_film(outcome.film, selection, run_config or {}, instance=instance)


def _prepared_home(tmp_path_factory, shared: Path, source: str, film: str, selection: list[str]) -> Path:
    home = tmp_path_factory.mktemp(f"{film}_base") / "home"
    previous = _point_env_at(home, shared)
    try:
        result = build_film(home, shared / source, film, selection)
        assert result.success
    finally:
        _restore(previous)
    return home


@pytest.fixture(scope="session")
def sintel_frames_home(tmp_path_factory, shared: Path) -> Path:
    """A CASTFORGE_HOME (read-only for tests: copy it) holding film `sintel` with `frames` materialised."""
    return _prepared_home(tmp_path_factory, shared, SINTEL, "sintel", ["frames"])


@pytest.fixture(scope="session")
def knn_train_frames_home(tmp_path_factory, shared: Path) -> Path:
    """Like sintel_frames_home, for the labelled face photos (knn_examples/train) as film `knn_train`."""
    return _prepared_home(tmp_path_factory, shared, KNN_TRAIN, "knn_train", ["frames"])


@pytest.fixture
def copy_home(tmp_path: Path):
    """Copy a prepared home into this test's tmp dir and point the environment at the copy."""
    restores = []

    def _copy(base: Path) -> Path:
        home = tmp_path / "home"
        shutil.copytree(base, home, symlinks=True)
        # absolute paths inside the Dagster instance's storage point at the base: start a fresh instance
        shutil.rmtree(home / "dagster", ignore_errors=True)
        restores.append(_point_env_at(home, shared_dir()))
        from dagster import DagsterInstance

        from resources.catalog import Catalog

        DagsterInstance.get().add_dynamic_partitions("film", Catalog(home).films()["film"].to_list())
        return home

    yield _copy
    for previous in reversed(restores):
        _restore(previous)


# Test tiers (markers registered in pyproject.toml): a test's tier follows from where it lives; unit modules that
# run real model backends are named here (or set `pytestmark = pytest.mark.backends` themselves).
TIER_BY_FOLDER = {"assets": "assets", "e2e": "e2e", "ui": "ui"}
BACKEND_MODULES = ("backends", "sam2", "qwen", "esrgan", "anime_faces", "2d_identity", "face_landmarks",
                   "instances_cutouts")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "shared" in item.fixturenames:  # reads the real media or models in ../shared: not the fast tier
            item.add_marker(pytest.mark.media)
        path = Path(str(item.fspath))
        folder = path.parent.name
        if folder in TIER_BY_FOLDER:
            item.add_marker(getattr(pytest.mark, TIER_BY_FOLDER[folder]))
        elif folder == "unit" and any(name in path.stem for name in BACKEND_MODULES):
            item.add_marker(pytest.mark.backends)
