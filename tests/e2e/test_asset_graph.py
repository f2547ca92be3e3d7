"""The asset graph is pinned (keys, deps, groups, checks) and every stage reads only what its contract declares."""

import inspect
import re

import pytest

from tests.e2e.graph_snapshot import SNAPSHOT, asset_graph, render

# a table a body names literally: workspace.read_table("faces"), read_optional_table(...), has_table(...)
TABLE_READ = re.compile(r"\b(?:read_table|read_optional_table|has_table|table_path|upstream_fingerprint)\(\s*"
                        r"(?:workspace,\s*)?[\"'](\w+)[\"']")


@pytest.fixture(scope="module")
def contracts():
    from assets.stage_contract import load_contracts
    from orchestration.definitions import build_definitions

    return load_contracts(), build_definitions("local")


def test_the_asset_graph_matches_its_snapshot():
    current = render(asset_graph())
    assert SNAPSHOT.exists(), "no snapshot yet: run `make graph-snapshot` and commit tests/e2e/asset_graph.json"
    assert current == SNAPSHOT.read_text(), (
        "the asset graph changed (keys, deps, groups or checks): if intended, run `make graph-snapshot` and commit "
        "tests/e2e/asset_graph.json with the change")


def test_every_declared_read_is_a_dependency_and_every_dependency_is_read(contracts):
    declared, defs = contracts
    graph = {key.to_user_string(): definition for definition in defs.assets
             for key in getattr(definition, "keys", [definition.key])}
    for name, contract in declared.items():
        assert name in graph, f"contract {name} declares an asset the Definitions do not load"
        deps = {d.to_user_string() for d in graph[name].asset_deps[graph[name].key]}
        assert deps == set(contract.upstream_assets), f"{name}: deps {sorted(deps)} != reads' writers"
        for upstream in deps:
            assert upstream in graph, f"{name} reads from {upstream}, which no loaded asset is"


def _scanned_sources(function) -> list[tuple[str, str]]:
    """The asset function's source and that of every castforge function it calls by name (one level deep)."""
    sources = [(function.__qualname__, inspect.getsource(function))]
    for name in function.__code__.co_names:
        called = function.__globals__.get(name)
        module = getattr(called, "__module__", "") or ""
        if inspect.isfunction(called) and module.startswith("assets.") and called is not function:
            sources.append((f"{module}.{name}", inspect.getsource(called)))
    return sources


def test_every_table_a_stage_body_reads_is_declared_in_its_contract(contracts):
    from resources.relations import writer_of

    declared, defs = contracts
    checked = 0
    for definition in defs.assets:
        name = definition.key.to_user_string() if len(getattr(definition, "keys", ())) == 1 else None
        if name not in declared:
            continue
        contract = declared[name]
        allowed = set(contract.reads) | set(contract.optional_reads)
        function = definition.op.compute_fn.decorated_fn
        for where, source in _scanned_sources(function):
            for relation in TABLE_READ.findall(source):
                checked += 1
                assert relation in allowed or writer_of(relation) == name, (
                    f"{name}: {where} reads table {relation!r}, which its StageContract does not declare "
                    f"(reads={contract.reads}, optional_reads={contract.optional_reads})")
    assert checked > 10  # the scan found the bodies' reads


def test_every_relation_has_a_registered_writer_that_is_an_asset(contracts):
    from resources.relations import RELATIONS

    declared, _ = contracts
    for relation in RELATIONS.values():
        assert relation.writer in declared, f"relation {relation.name}: writer {relation.writer} is no stage"


def test_every_table_a_stage_commits_is_registered_to_it(contracts):
    """``stage.commit(table, {"faces": faces})``: each side relation is registered with this asset as its writer."""
    import ast
    import textwrap

    from resources.relations import RELATIONS

    declared, defs = contracts
    found = 0
    for definition in defs.assets:
        name = definition.key.to_user_string() if len(getattr(definition, "keys", ())) == 1 else None
        if name not in declared:
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(definition.op.compute_fn.decorated_fn)))
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "attr", None) == "commit" and len(call.args) > 1 \
                    and isinstance(call.args[1], ast.Dict):
                for key in call.args[1].keys:
                    relation = key.value if isinstance(key, ast.Constant) else None
                    found += 1
                    assert relation in RELATIONS, f"{name} commits {relation!r}: register it in resources/relations.py"
                    assert RELATIONS[relation].writer == name, f"{name} commits {relation!r}, registered to another"
    assert found >= 10
