"""The test tiers: every test conftest marks `slow` by name exists, so a rename cannot drop it into the fast tier
unnoticed, and the fast tier keeps the configuration, cache-key and stale-selection tests."""

import ast
from pathlib import Path

from tests.conftest import SLOW_TESTS

UNIT = Path(__file__).parent


def _test_functions(module: str) -> set[str]:
    tree = ast.parse((UNIT / f"{module}.py").read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_test_marked_slow_by_name_exists():
    for module, names in SLOW_TESTS.items():
        missing = names - _test_functions(module)
        assert not missing, f"tests/conftest.py SLOW_TESTS names tests not in tests/unit/{module}.py: {missing}"


def test_the_fast_tier_keeps_configuration_cache_key_and_stale_selection_tests():
    for module in ("test_film_settings", "test_stage_contract", "test_selection"):
        fast = _test_functions(module) - SLOW_TESTS.get(module, set())
        assert len(fast) >= 3, f"{module} keeps {sorted(fast)} in the fast tier"
