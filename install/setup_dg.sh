#!/usr/bin/env bash
# .venv-dg/: the `dg` command (dagster-dg-cli) for `dg check defs` / `dg dev`, layered over the project's environment
# (install/layered_venv.sh: dagster-dg-cli's newest release pins an older dagster; dg loads the code location in its
# own interpreter, against the project's dagster 1.13). Usage: install/setup_dg.sh [PROJECT_VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
source install/layered_venv.sh
VENV=${1:-.venv}
DG=${VENV_DG:-.venv-dg}
layered_venv "$DG" "$VENV"
"$VENV/bin/python" -m pip --python "$DG/bin/python" install -q --no-deps \
  dagster-dg-cli==1.13.27 dagster-dg-core==1.13.27 dagster-cloud-cli==1.13.27 dagster-rest-resources==0.29.27 \
  click-aliases==1.0.7 yaspin==3.5.1 github3.py==4.0.1 gitpython==3.2.1 questionary==2.1.1 validators==0.36.0 \
  markdown==3.11.3 termcolor==3.3.0 prompt_toolkit==3.0.53 jsonschema==4.26.0 referencing==0.37.0 \
  rpds-py==2026.9.1 jsonschema-specifications==2025.9.1 2>&1 | sed "/is ignored: it is neither a file nor a directory/d"
"$DG/bin/dg" --version
