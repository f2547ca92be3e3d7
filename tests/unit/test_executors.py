"""Executors chosen by profile, steps routed by pool, and unreachable services named at start (no cluster needed)."""

import importlib.util
import socket
import time

import dagster as dg
import pytest

from orchestration import executors
from orchestration.executors import (ServiceUnreachableError, check_cluster_services, executor_for, executor_name,
                                     gpu_pool_steps, queue_for_step, resource_profile)


def test_each_profile_has_its_executor_and_the_override_is_checked(monkeypatch):
    monkeypatch.delenv("CASTFORGE_EXECUTOR", raising=False)
    assert [executor_name(p) for p in ("local", "gpu", "cluster", "k8s")] == ["in_process", "multiprocess",
                                                                              "celery", "k8s"]
    assert executor_for("local") is dg.in_process_executor and executor_for("gpu") is dg.multiprocess_executor
    monkeypatch.setenv("CASTFORGE_EXECUTOR", "multiprocess")
    assert executor_for("local") is dg.multiprocess_executor
    monkeypatch.setenv("CASTFORGE_EXECUTOR", "threads")
    with pytest.raises(ValueError, match="CASTFORGE_EXECUTOR='threads'"):
        executor_name("local")


def test_cluster_profiles_run_the_local_or_gpu_resource_set(monkeypatch):
    monkeypatch.delenv("CASTFORGE_BACKENDS", raising=False)
    assert (resource_profile("cluster"), resource_profile("k8s"), resource_profile("local")) == ("local", "gpu", "local")
    monkeypatch.setenv("CASTFORGE_BACKENDS", "gpu")
    assert resource_profile("cluster") == "gpu" and resource_profile("local") == "local"


def test_model_steps_go_to_the_gpu_queue_and_an_explicit_tag_wins():
    assert queue_for_step("gpu", {}) == "gpu"
    assert queue_for_step(None, {}) == "cpu"
    assert queue_for_step("gpu", {"dagster-celery/queue": "big-gpu"}) == "big-gpu"
    import assets

    steps = gpu_pool_steps(dg.load_defs(assets))
    assert {"instances", "face_embeddings"} <= set(steps) and "frames" not in steps and "audio" not in steps


@pytest.mark.skipif(importlib.util.find_spec("dagster_celery") is not None, reason="dagster-celery is installed here")
def test_without_the_cluster_environment_the_error_names_it():
    with pytest.raises(ImportError, match=r"\.venv-cluster.*setup_cluster\.sh"):
        executor_for("cluster")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]   # closed once we leave: nothing listens there


def test_an_unreachable_service_is_one_clear_error_naming_it_and_its_setting(monkeypatch):
    port = _closed_port()
    monkeypatch.setenv("CASTFORGE_CELERY_BROKER", f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    with pytest.raises(ServiceUnreachableError, match=rf"Redis at 127.0.0.1:{port} \(CASTFORGE_CELERY_BROKER="):
        check_cluster_services()
    with socket.socket() as redis_stand_in:   # Redis answers; Postgres (with a password in its URL) does not
        redis_stand_in.bind(("127.0.0.1", 0))
        redis_stand_in.listen()
        url = f"redis://127.0.0.1:{redis_stand_in.getsockname()[1]}/0"
        monkeypatch.setenv("CASTFORGE_CELERY_BROKER", url)
        monkeypatch.setenv("CASTFORGE_CELERY_RESULTS", url)
        monkeypatch.setenv("CASTFORGE_POSTGRES_URL", f"postgresql+psycopg2://cf:secret@127.0.0.1:{port}/cf")
        with pytest.raises(ServiceUnreachableError, match="Postgres .*CASTFORGE_POSTGRES_URL") as error:
            check_cluster_services()
        assert "secret" not in str(error.value)
    assert time.monotonic() - started < 2 * executors.SERVICE_TIMEOUT_S + 1


@pytest.mark.parametrize("template", ["deploy/dagster.cluster.yaml", "deploy/k8s/dagster.k8s.yaml"])
def test_the_instance_templates_are_valid_dagster_instances(template, tmp_path, monkeypatch):
    import shutil

    from dagster._core.instance.config import dagster_instance_config

    from resources.paths import REPO_ROOT

    shutil.copy(REPO_ROOT / template, tmp_path / "dagster.yaml")
    monkeypatch.setenv("CASTFORGE_POSTGRES_URL", "postgresql+psycopg2://castforge@127.0.0.1:5439/castforge")
    monkeypatch.setenv("CASTFORGE_K8S_NAMESPACE", "castforge")
    config, _ = dagster_instance_config(str(tmp_path))
    assert "postgres" in config["storage"] and config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    assert config["run_monitoring"]["enabled"]
