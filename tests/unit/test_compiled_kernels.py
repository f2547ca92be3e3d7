"""The set-up warm-up (install/warm_numba.py -> resources/compiled_kernels.warm_kernels) reaches every cached numba
kernel of the package: in a process with an empty numba cache, each kernel ``cached_kernels`` finds holds a compiled
signature after it, so a new ``@njit(cache=True)`` kernel that the warm-up does not call fails here; and a second
process finds them all in the cache (it compiles nothing)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from resources.compiled_kernels import PACKAGES, cached_kernels

ROOT = Path(__file__).resolve().parents[2]
WARM_AND_COUNT = ("import json; from resources.compiled_kernels import cached_kernels, warm_kernels; warm_kernels(); "
                  "print(json.dumps({name: len(kernel.signatures) for name, kernel in cached_kernels().items()}))")


def test_cached_kernels_are_every_cached_njit_of_the_package():
    """``cached_kernels`` (dispatchers found by importing the modules) against the source's own decorators: every
    ``@njit(cache=True ...)`` that is not inlined into its callers."""
    declared = 0
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for decorator in re.findall(r"^@(?:numba\.)?njit\(([^)]*)\)", path.read_text(encoding="utf-8"), re.M):
                if "cache=True" in decorator and 'inline="always"' not in decorator:
                    declared += 1
    kernels = cached_kernels()
    assert len(kernels) == declared
    assert {"resources.backends.grabcut_compiled._learn_models", "resources.backends.felzenszwalb._root",
            "resources.area_resize._area_rows", "assets.audio.pyin_viterbi._sparse_viterbi"} <= set(kernels)
    assert "resources.backends.grabcut_compiled._density" not in kernels   # inline="always": compiled into callers


def _warm_in_process(cache: Path) -> tuple[dict[str, int], str]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "NUMBA_DEBUG_CACHE": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", WARM_AND_COUNT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout


@pytest.mark.slow  # compiles every kernel from nothing: ~40 CPU-s
def test_warm_up_compiles_every_cached_kernel_then_only_loads(tmp_path):
    signatures, _ = _warm_in_process(tmp_path)
    assert len(signatures) >= 29
    assert [name for name, count in signatures.items() if not count] == []
    assert len(list(tmp_path.rglob("*.nbi"))) >= len(signatures)   # each kernel's index, in the cache folder named
    _, log = _warm_in_process(tmp_path)
    saved = [line for line in log.splitlines() if "data saved" in line]
    assert saved == []                                            # warm: every kernel loaded, none compiled again
