#!/usr/bin/env bash
# .venv-cluster/: what the scale-out profiles need (dagster-postgres, dagster-celery with redis, dagster-k8s).
# Their newest releases (0.29.27) pin dagster==1.13.27 while the project runs dagster 1.13.28, so, as for .venv-dg,
# they get a small environment layered over the project's (install/layered_venv.sh), installed without their dagster
# pin, with their other dependencies named and pinned here. The embedded default (.venv) is unchanged.
# The shared catalog (CASTFORGE_CATALOG=postgresql://... or ducklake:...) needs DuckDB's postgres / ducklake / httpfs
# extensions; their PyPI wheels are built for DuckDB 1.4.4 exactly, so .venv-cluster pins that DuckDB beside them
# (it shadows the project's newer DuckDB there; the embedded default keeps it). Artefacts on object storage
# (CASTFORGE_ARTEFACTS=s3://...) go through s3fs; moto's S3 server stands in for S3 on loopback in tests/cluster.
# Usage: install/setup_cluster.sh [PROJECT_VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
source install/layered_venv.sh
VENV=${1:-.venv}
CL=${VENV_CLUSTER:-.venv-cluster}
layered_venv "$CL" "$VENV"
"$VENV/bin/python" -m pip --python "$CL/bin/python" install -q --no-deps \
  dagster-postgres==0.29.27 dagster-celery==0.29.27 dagster-k8s==0.29.27 psycopg2-binary==2.9.13 \
  celery==5.7.0 kombu==5.7.0 billiard==4.3.2 vine==5.1.0 amqp==5.4.2 redis==8.1.0 tzlocal==5.4.5 \
  click-didyoumean==0.3.1 click-plugins==1.1.1.2 click-repl==0.4.1 prompt-toolkit==3.0.53 \
  kubernetes==36.0.3 durationpy==0.11 google-auth==2.63.0 pyasn1==0.6.5 pyasn1-modules==0.4.2 \
  requests-oauthlib==2.0.0 oauthlib==4.0.1 websocket-client==1.9.2 cryptography==50.0.2 \
  duckdb==1.4.4 duckdb-ext-postgres==1.4.4.20260205 duckdb-ext-ducklake==1.4.4.20260205 \
  duckdb-ext-httpfs==1.4.4.20260205 \
  s3fs==2026.9.0 aiobotocore==3.10.0 aioitertools==0.13.0 botocore==1.43.117 boto3==1.43.117 s3transfer==0.19.3 \
  jmespath==1.1.0 wrapt==2.5.2 \
  moto==5.2.5 flask==3.1.3 flask-cors==6.0.5 werkzeug==3.1.9 blinker==1.9.0 itsdangerous==2.2.0 \
  responses==0.26.3 xmltodict==1.0.4 py-partiql-parser==0.6.3 \
  2>&1 | sed "/is ignored: it is neither a file nor a directory/d"
