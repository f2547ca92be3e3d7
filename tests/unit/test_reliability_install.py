"""Issue 11 item 7: one pinned dependency set for both install paths; pyproject enough to load the code location."""

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata

from resources.paths import REPO_ROOT

INSTALL = REPO_ROOT / "install"


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~;\[#]", requirement.strip(), maxsplit=1)[0]).lower()


def _lock() -> dict[str, str]:
    pins = {}
    for line in (INSTALL / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version and "+" not in version, f"requirements.lock: {line!r} is not name==version"
            pins[_name(name)] = version
    return pins


def test_the_lock_pins_every_requirement_and_the_versions_that_broke():
    pins = _lock()
    wanted = [_name(line) for line in (INSTALL / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    missing = [name for name in wanted if name not in pins]
    assert not missing, f"{missing} not in install/requirements.lock: run `bash install/lock.sh` after `make setup`"
    assert pins["antlr4-python3-runtime"].startswith("4.13")  # 4.9 breaks Dagster's selection parser
    assert pins["duckdb"].startswith("1.")  # duckdb 2 breaks dagster-duckdb-polars
    assert {pins[n].split(".")[0] for n in ("opencv-python", "opencv-python-headless")} == {"4"}  # 5: no Haar
    assert pins["hydra-core"].startswith("1.4") and pins["torch"] == "2.13.0"


def test_both_install_paths_use_the_lock_and_pip_check():
    script = (INSTALL / "setup_env.sh").read_text()
    cuda, _, cpu = script.partition("export SAM2_BUILD_CUDA=0")
    for branch in (cuda, cpu):
        assert "-c $L" in branch and "$PIP check" in branch
    assert "download.pytorch.org/whl/cpu" in cpu


LOADED = """
import json, sys
before = set(sys.modules)
import orchestration.definitions
print(json.dumps(sorted({m.split(".")[0] for m in set(sys.modules) - before})))
"""


def test_pyproject_dependencies_are_enough_to_load_the_code_location():
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    closure, todo = set(), [_name(d) for d in declared]
    while todo:  # the declared distributions and everything they require (extras left out)
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_name(r) for r in requires if "extra ==" not in r]
    out = subprocess.run([sys.executable, "-c", LOADED], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    owners = metadata.packages_distributions()
    needed = {_name(d) for module in json.loads(out.stdout.splitlines()[-1]) for d in owners.get(module, [])}
    assert needed - closure - {"castforge"} == set(), "add these to pyproject.toml's dependencies"
