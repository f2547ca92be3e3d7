"""Kubernetes, checked offline (no cluster, no image registry here): the `k8s` profile's executor config and the run
launcher config of deploy/k8s (the image's dagster.k8s.yaml and the Helm values' k8sRunLauncher section) are
validated by dagster-k8s' own config types in .venv-cluster, and dagster-k8s renders the Job of each step as the
executor would launch it: the model (gpu pool) steps request and are limited to one nvidia.com/gpu and tolerate the
GPU taint, the other steps request none, every step mounts the shared home and the read-only weights, and the
Postgres URL comes from its secret (never copied into a Job's spec). About 20 s (loading the Definitions)."""

import json
import os
import subprocess

import pytest

from resources.paths import REPO_ROOT
from tests.cluster.conftest import CLUSTER_PY

pytestmark = [pytest.mark.cluster]

RENDER = r"""
import json, os, re, sys, tempfile
from pathlib import Path
import yaml
from dagster import DagsterRun
from dagster._config import process_config
from dagster_k8s import K8sRunLauncher
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import UserDefinedDagsterK8sConfig, construct_dagster_k8s_job
from kubernetes.client import ApiClient

values = yaml.safe_load(Path("deploy/k8s/values.yaml").read_text())
instance = yaml.safe_load(Path("deploy/k8s/dagster.k8s.yaml").read_text())
# the code server's environment as the values give it (a secret's value is a placeholder): whatever the image's
# instance and the launcher read from the environment must be there
deployment = values["dagster-user-deployments"]["deployments"][0]
os.environ.update({e["name"]: e.get("value", "SECRET-PLACEHOLDER") for e in deployment["env"]})
os.environ["CASTFORGE_HOME"] = sys.argv[1]   # this machine's stand-in for the volume

from orchestration.definitions import build_definitions
from orchestration.executors import gpu_pool_steps

defs = build_definitions("k8s")
job = defs.get_job_def("film_pipeline")
resolved = job.executor_def.config_schema.resolve_config({})
assert resolved.success, resolved.errors
executor_config = resolved.value["config"]

snake = lambda key: re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
chart = values["runLauncher"]["config"]["k8sRunLauncher"]
chart = {snake(k): ({snake(i): j for i, j in v.items()} if k == "runK8sConfig" else v) for k, v in chart.items()}
kubeconfig = Path(tempfile.mkdtemp()) / "config"   # parsed, never contacted: the launcher loads one at start
kubeconfig.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "c",
    "clusters": [{"name": "k", "cluster": {"server": "https://127.0.0.1:1"}}], "users": [{"name": "u", "user": {}}],
    "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}]}))
offline = {"load_incluster_config": False, "kubeconfig_file": str(kubeconfig)}
errors = {}
for source, config in (("dagster.k8s.yaml", instance["run_launcher"]["config"]),
                       ("values.yaml", {**instance["run_launcher"]["config"], **chart})):
    checked = process_config(K8sRunLauncher.config_type(), {**config, **offline})
    errors[source] = [e.message for e in checked.errors or []]
    if source == "values.yaml" and checked.success:
        launcher = K8sRunLauncher.from_config_value(None, checked.value)

def step_job(op):
    run = DagsterRun(job_name="film_pipeline", run_id="0" * 36)
    context = K8sContainerContext.create_for_run(run, launcher, include_run_tags=False)
    override = UserDefinedDagsterK8sConfig.from_dict(executor_config["per_step_k8s_config"].get(op, {}))
    context = context.merge(K8sContainerContext(run_k8s_config=override))   # as the executor merges them
    config = context.get_k8s_job_config("registry.example.org/castforge:dev", launcher)
    rendered = construct_dagster_k8s_job(config, ["dagster", "api", "execute_step"], f"dagster-step-{op}"[:63],
                                         component="step_worker", user_defined_k8s_config=context.run_k8s_config)
    return ApiClient().sanitize_for_serialization(rendered)

ops = sorted(node.name for node in job.graph.node_dict.values())
print(json.dumps({"errors": errors, "ops": ops, "gpu": sorted(gpu_pool_steps(defs)),
                  "per_step": sorted(executor_config["per_step_k8s_config"]),
                  "jobs": {op: step_job(op) for op in ops} if not any(errors.values()) else {}}))
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    if not CLUSTER_PY.exists():
        pytest.skip(".venv-cluster is missing (bash install/setup_cluster.sh)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASTFORGE_", "DAGSTER_", "KUBE"))}
    env.update(PYTHONPATH=str(REPO_ROOT), PYTHONWARNINGS="ignore", DAGSTER_HOME=str(tmp_path_factory.mktemp("dg")))
    done = subprocess.run([str(CLUSTER_PY), "-c", RENDER, str(tmp_path_factory.mktemp("home"))], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pod(job: dict) -> tuple[dict, dict]:
    spec = job["spec"]["template"]["spec"]
    return spec, spec["containers"][0]


def test_the_launcher_and_executor_configs_are_valid_for_dagster_k8s(rendered):
    assert rendered["errors"] == {"dagster.k8s.yaml": [], "values.yaml": []}
    assert rendered["gpu"] and rendered["per_step"] == rendered["gpu"]    # every model step, nothing else
    assert set(rendered["jobs"]) == set(rendered["ops"])


def test_model_steps_get_one_gpu_and_the_rest_none(rendered):
    for op, job in rendered["jobs"].items():
        spec, container = _pod(job)
        resources = container["resources"]
        gpus = {resources.get(part, {}).get("nvidia.com/gpu") for part in ("requests", "limits")}
        assert gpus == ({"1"} if op in rendered["gpu"] else {None}), (op, resources)
        assert resources["requests"]["memory"] == "2Gi"    # the run pod config reaches every step
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
        assert spec["serviceAccountName"] == "castforge" and container["image"].endswith("castforge:dev")


def test_every_step_mounts_the_home_and_reads_postgres_from_its_secret(rendered):
    for op, job in rendered["jobs"].items():
        spec, container = _pod(job)
        mounts = {m["mountPath"]: (m["name"], m.get("readOnly", False)) for m in container["volumeMounts"]}
        assert mounts == {"/data/castforge": ("castforge-home", False), "/models": ("castforge-models", True)}, op
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]}
        assert claims == {"castforge-home": "castforge-home", "castforge-models": "castforge-models"}, op
        env = {e["name"]: e for e in container["env"]}
        assert env["CASTFORGE_POSTGRES_URL"].get("valueFrom") == {
            "secretKeyRef": {"name": "castforge-postgres", "key": "url"}}, op
        assert "SECRET-PLACEHOLDER" not in json.dumps(job), f"{op}: the Postgres URL was copied into the Job spec"
        assert env["CASTFORGE_PROFILE"]["value"] == "k8s"
