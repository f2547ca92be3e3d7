#!/usr/bin/env bash
# Creates .venv/ with everything castforge needs. CPU machines get the CPU torch and the fixes from
# ../shared/ENVIRONMENT.md; a machine with CUDA (nvidia-smi answers) gets the stock wheels. Both install
# install/requirements.txt constrained by install/requirements.lock (one resolved, pinned set written by
# install/lock.sh), so both get the same versions (antlr4 4.13, duckdb 1.x, OpenCV 4.14, ...), and end with `pip check`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
export PIP_PROGRESS_BAR=off
$PIP install -q --upgrade "pip>=25.3" wheel "setuptools>=77.0.3,<81"
# animeface (2D anime faces) reads Pillow's internal struct and needs Pillow <= 11.3, older than the main
# environment's: it gets its own small environment, driven as a subprocess (resources/backends/animeface.py).
AF=${VENV_ANIMEFACE:-.venv-animeface}
[ -x "$AF/bin/python" ] || "$PY" -m venv "$AF"
"$AF/bin/python" -m pip install -q "pillow==11.3.0" "animeface==2.0.3" 2>&1 | sed "/is ignored: it is neither a file nor a directory/d"
# AnimeFace's C library built with -O3 (half the wheel's CPU a frame; the wheel's build stays the fallback)
bash install/build_nvxs.sh "$AF"
# media the benches read beside ../shared (Kenney's CC0 characters inside arcade's wheel; nothing installed)
PYTHON="$VENV/bin/python" bash install/fetch_bench_media.sh
# environments layered over $VENV (they read its packages through a .pth file): built once $VENV is complete
warm_caches() {
  $VENV/bin/python install/warm_numba.py   # librosa's gufuncs compiled once, before any two processes race for them
}
layered_envs() {
  bash install/setup_dg.sh "$VENV"   # .venv-dg: the `dg` command (dg check defs)
  bash install/setup_cluster.sh "$VENV"   # .venv-cluster: dagster-postgres/celery/k8s for the scale-out profiles
}
L=install/requirements.lock
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  # the locked versions; torch and torchvision come as the index's CUDA builds of them (sam2's build uses the same)
  $PIP install -c $L --build-constraint $L -r install/requirements.txt
  $PIP install --no-deps -e .
  $PIP check
  warm_caches
  layered_envs
  exit 0
fi
export SAM2_BUILD_CUDA=0
C=install/constraints-cpu.txt
# CPU wheels of torch are on PyTorch's CPU index (PyPI's are CUDA builds): named here, so a pip without a
# pre-configured source of them finds them. TORCH_CPU_INDEX names a mirror; a pip already configured with a wheel
# folder that holds the CPU torch (as on the development machines, which cannot reach that index) gets no extra index.
TORCH_SOURCES=$($PIP index versions torch 2>/dev/null || true)
if [ -n "${TORCH_CPU_INDEX:-}" ]; then
  CPU_INDEX="--extra-index-url $TORCH_CPU_INDEX"
elif [[ "$TORCH_SOURCES" == *"2.13.0+cpu"* ]]; then
  CPU_INDEX=""
else
  CPU_INDEX="--extra-index-url https://download.pytorch.org/whl/cpu"
fi
$PIP install -q $CPU_INDEX -c $C -c $L --build-constraint $C torch==2.13.0
$PIP install -q $CPU_INDEX -c $C -c $L --build-constraint $C -r install/requirements.txt 2>&1 | sed "/is ignored: it is neither a file nor a directory/d"
# torchaudio has no CPU build for torch 2.13: install it without its torch pin and drop its CUDA-linked
# extensions so it runs in pure-Python mode (loading goes through torchcodec).
$PIP install $CPU_INDEX -c $C -c $L --no-deps "torchaudio==2.11.0"
SITE=$($VENV/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -f "$SITE"/torchaudio/lib/*.so
$PIP install --no-deps -e .
$PIP check
$VENV/bin/python -c "import resources.backends.torch_cpu_fixes as f; f.apply(); import torchvision, torchaudio; print('torch stack ok')"
warm_caches
layered_envs
