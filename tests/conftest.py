"""Shared fixtures: a temporary CASTFORGE_HOME, the ../shared media, and films already taken through `frames`."""

import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from resources.paths import ensure_dagster_home, shared_dir


def _import_anyio_eagerly() -> None:
    """anyio imports its submodules lazily, and pytest rewrites them on import (anyio is a pytest plugin): an
    ast.parse. Starlette's TestClient first reaches some of them (anyio.open_file) in its portal thread, and CPython
    3.11's AST state once raised "AST constructor recursion depth mismatch" there in a CI run. Imported here, on the
    main thread at start-up, they are parsed once before any thread runs."""
    import importlib
    import pkgutil

    try:
        import anyio._core
    except ImportError:
        return
    for module in pkgutil.iter_modules(anyio._core.__path__, "anyio._core."):
        try:
            importlib.import_module(module.name)
        except ImportError:   # an optional backend's module (its library absent)
            pass


_import_anyio_eagerly()

SINTEL = "media/video/sintel_trailer_480x204.mp4"
KNN_TRAIN = "media/faces/knn_examples/train"
KNN_TEST = "media/faces/knn_examples/test"
BENCH_DIR = Path(__file__).resolve().parents[1] / "bench"


def load_bench(name: str) -> ModuleType:
    """bench/<name>.py loaded as a module (the bench scripts are not a package), as ``<name>_bench``."""
    spec = importlib.util.spec_from_file_location(f"{name}_bench", BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kept_cut_masks(bench: ModuleType, rgb, out_dir: Path) -> list:
    """The kept cut-outs' masks (bool arrays) of one composite frame ``rgb`` cut through the real instances core with
    the anime preset, as ``bench`` (bench/composites.py, ``load_bench("composites")``) cuts it; the artefacts go to
    ``out_dir``."""
    import cv2

    _, decided, _, _ = bench.cut_frames([rgb], [0], out_dir, "characters", bench.preset_sections("anime"),
                                        anime_faces=True)
    return [cv2.imread(r["mask_path"], cv2.IMREAD_GRAYSCALE) > 0 for r in decided.iter_rows(named=True) if r["kept"]]


def kenney_wheel_or_skip() -> Path:
    """The wheel holding Kenney's CC0 characters (``install/fetch_bench_media.sh``), or the test skipped naming it."""
    from assets.instances.kenney_characters import kenney_wheel

    try:
        return kenney_wheel()
    except FileNotFoundError as missing:
        pytest.skip(str(missing))


def kenney_tune_film(seed: int):
    """The Kenney tune film of ``seed`` at 480 rows as ``bench/kenney_film.py`` builds it: (its plan, one dict a shot,
    and ``render(shot)`` giving that shot's frames as ``render_shot`` yields them); skips without the Kenney
    characters."""
    import zipfile

    wheel = kenney_wheel_or_skip()
    film = load_bench("kenney_film")
    backgrounds = film.shot_backgrounds("tune", 480)

    def render(shot: dict):
        with zipfile.ZipFile(wheel) as archive:
            drawings = [film.sprites(archive, c, 480) for c in shot["characters"]]
        return film.render_shot(backgrounds[shot["background"]][1], shot, drawings)

    return film.plan_film("tune", 12, seed, (3.0, 5.0), len(backgrounds)), render


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


# Unit tests that take seconds each on a quiet machine (real DSP on synthetic voices, ffmpeg encodes, Dagster runs and
# instances, subprocesses, timed lock waits, the CLIP tokenizer's transformers import) are `slow`, so `make test-fast`
# stays under a minute; `make test` runs them. Module -> test function names (every parametrisation); a test checks
# that each name exists (tests/unit/test_layout_tiers.py). The fast tier keeps the configuration layering
# (test_film_settings), cache-key (test_stage_contract) and stale-selection (test_selection) tests.
SLOW_TESTS = {
    "test_audio_core": {"test_extract_silent_audio_has_no_loudness", "test_nme_sc_estimates_the_number_of_speakers",
                        "test_separate_file_in_segments_is_seamless", "test_voice_features_measure_pitch",
                        "test_overshoot_past_full_scale_is_clipped_not_wrapped"},
    "test_audio_overlap": {"test_enhanced_count_on_synthetic_voices"},
    "test_audio_active_speakers": {"test_the_moving_mouth_names_its_voice_and_the_offset"},
    "test_captions": {"test_clip_tokenizer_is_clip", "test_compose_keeps_prefix_and_trigger_and_fits_77_tokens"},
    "test_catalog_portable": {"test_a_held_lock_is_waited_for_once_and_the_wait_is_recorded",
                              "test_a_lock_held_past_the_bound_is_one_clear_error"},
    "test_datasets": {"test_item_captions_stay_within_clip_tokens"},
    "test_console": {"test_a_review_marks_its_dependants_stale_in_dagster_from_the_first_decision",
                     "test_one_line_per_step_with_counts_progress_and_the_rest_in_the_log_file"},
    "test_media_and_catalog": {"test_catalog_views_span_films_and_survive_a_concurrent_writer"},
    "test_reliability_frames": {"test_a_truncated_webm_is_refused_at_ingest_naming_both_durations"},
    "test_reliability_install": {"test_pyproject_dependencies_are_enough_to_load_the_code_location"},
    "test_reliability_runs": {"test_a_run_whose_process_is_gone_is_failed_and_frees_its_slot",
                              "test_dagster_yaml_enables_run_monitoring_and_is_upgraded",
                              "test_runs_clear_by_id_and_dead_staging_folders"},
    "test_reliability_store": {"test_two_films_clustered_at_once_mint_distinct_ids_and_keep_both"},
    "test_review_app": {"test_identity_members_page_through_in_the_view_order_and_follow_the_review",
                        "test_identities_view_applies_the_review_and_suggests_merges"},
    "test_review_asset": {"test_an_asset_that_depends_on_the_review_goes_stale_when_the_review_changes",
                          "test_the_cli_reports_a_runless_observation"},
    "test_selection": {"test_status_lists_assets_in_graph_order_with_stale_failed_and_what_rows_count"},
}


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
        if getattr(item, "originalname", item.name) in SLOW_TESTS.get(path.stem, ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def movenet(shared):
    """MoveNet Lightning (int8, LiteRT), the default profile's pose estimator on the CPU."""
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    return LitertMoveNetPoseEstimator(str(shared / "models/pose/movenet_singlepose_lightning_int8_4.tflite"))


@pytest.fixture(scope="session")
def kenney_sprite_faces(tmp_path_factory) -> tuple:
    """Kenney's six characters standing in the tune poses of two views (idle: front; jump, walk0: three-quarter),
    each as drawn and mirrored, 360 rows tall on a grey 480-row frame: (identified instances, their drawn faces
    as the faces stage stores them (YuNet at the 2D threshold, else the LBP cascade), true views)."""
    import zipfile

    import cv2
    import numpy as np
    import polars as pl

    from assets.faces.core import head_pose
    from assets.instances.kenney_characters import CHARACTERS, read_sprite, upscale_rgba
    from resources.face_analyzer import FaceAnalyzerResource

    views = load_bench("kenney_views")
    analyzer = FaceAnalyzerResource(drawn_detectors=["yunet", "anime"]).get(anime=True)
    out = tmp_path_factory.mktemp("standing")
    rows, faces, truth = [], [], []
    with zipfile.ZipFile(kenney_wheel_or_skip()) as archive:
        for character in CHARACTERS:
            for pose in ("idle", "jump", "walk0"):
                for mirrored in (False, True):
                    rgba = upscale_rgba(read_sprite(archive, character, pose), 360 / 128)
                    rgba = np.ascontiguousarray(rgba[:, ::-1]) if mirrored else rgba
                    h, w = rgba.shape[:2]
                    frame = np.full((480, 640, 3), 150, np.uint8)
                    alpha = rgba[..., 3:] / 255.0
                    frame[60:60 + h, 100:100 + w] = (rgba[..., :3] * alpha + 150 * (1 - alpha)).astype(np.uint8)
                    instance_id = f"{character}_{pose}_{int(mirrored)}"
                    path = out / f"{instance_id}.png"
                    cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
                    rows.append({"instance_id": instance_id, "frame_id": "f0", "path": str(path), "crop_x0": 100,
                                 "crop_y0": 60, "x0": 100.0, "y0": 60.0, "x1": 100.0 + w, "y1": 60.0 + h,
                                 "identity": character, "label": character})
                    truth.append(views.VIEW_OF_POSE[pose])
                    found = analyzer.detect(frame, "yunet") or analyzer.detect(frame, "anime")
                    for face in found:
                        x0, y0, x1, y1 = face.box
                        landmarks = None if face.landmarks is None else np.asarray(face.landmarks, np.float32)
                        faces.append({"instance_id": instance_id, "fx0": x0, "fy0": y0, "fx1": x1, "fy1": y1,
                                      "face_size": min(x1 - x0, y1 - y0), "yaw": head_pose(landmarks)[0],
                                      "landmarks": None if landmarks is None else landmarks.reshape(-1).tolist()})
    return pl.DataFrame(rows), pl.DataFrame(faces, schema_overrides={"landmarks": pl.List(pl.Float32)}), truth
