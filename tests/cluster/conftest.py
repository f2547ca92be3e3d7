"""Loopback services for the cluster tier: a throwaway Postgres and moto's S3 server (both skipped, with the reason,
where Debian's postgresql or .venv-cluster from install/setup_cluster.sh are missing)."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from resources.paths import REPO_ROOT

CLUSTER_PY = REPO_ROOT / ".venv-cluster" / "bin" / "python"
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=None, key=lambda p: int(p.parent.name))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throwaway Postgres on a free loopback port (as the postgres user when we are root); yields its URL base."""
    if PG_BIN is None or not (PG_BIN / "postgres").exists():
        pytest.skip("Debian's postgresql is not installed (apt-get install postgresql)")
    if not CLUSTER_PY.exists():
        pytest.skip(".venv-cluster is missing (bash install/setup_cluster.sh)")
    base = Path(tempfile.mkdtemp(prefix="castforge-pg-"))
    base.chmod(0o755)
    data, port = base / "data", free_port()
    run_as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    if run_as:
        shutil.chown(base, "postgres")
    try:
        subprocess.run([*run_as, str(PG_BIN / "initdb"), "-D", str(data), "-U", "castforge", "--auth=trust",
                        "-E", "UTF8"], check=True, capture_output=True, timeout=120)
        subprocess.run([*run_as, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "30",
                        "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {base}", "start"],
                       check=True, capture_output=True, timeout=60)
        yield f"127.0.0.1:{port}", port
    finally:
        subprocess.run([*run_as, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)



@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on a free loopback port with one bucket, ``castforge``; yields the AWS settings to use."""
    if not (REPO_ROOT / ".venv-cluster" / "bin" / "moto_server").exists():
        pytest.skip(".venv-cluster has no moto server (bash install/setup_cluster.sh)")
    port = free_port()
    server = subprocess.Popen([str(REPO_ROOT / ".venv-cluster" / "bin" / "moto_server"), "-H", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    settings = {"AWS_ACCESS_KEY_ID": "castforge", "AWS_SECRET_ACCESS_KEY": "castforge-secret",
                "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "moto_server did not start"
                time.sleep(0.2)
        code = "import boto3; boto3.client('s3').create_bucket(Bucket='castforge')"
        subprocess.run([str(CLUSTER_PY), "-c", code], env={**os.environ, **settings}, check=True, timeout=60,
                       capture_output=True)
        yield settings
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
