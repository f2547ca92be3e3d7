"""Which assets a `castforge materialize` run needs: the selection plus upstream assets that are missing or stale
for the film. Stale is judged by each stage's contract: its stored record was made by other code, with other
parameters, or from inputs that have since changed (an upstream stage re-ran, the review moved on)."""

from typing import Any

from dagster import AssetKey, AssetsDefinition

from resources.catalog import Catalog
from resources.errors import CastforgeError, ConfigError, MissingUpstreamError, did_you_mean
from resources.lineage import changed_outputs
from resources.storage import FilmWorkspace


def parse_selection(text: str | list[str] | None, all_keys: set[str]) -> list[str]:
    """Asset names separated by commas (``*`` or nothing: all); an unknown name is a CastforgeError that suggests
    the closest asset names."""
    if isinstance(text, list):
        text = ",".join(text)
    if not text or text.strip() in {"*", "all"}:
        return sorted(all_keys)
    names = [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if name not in all_keys:
            raise CastforgeError(f"--select: unknown asset '{name}'{did_you_mean(name, all_keys)} "
                                 f"(assets: {', '.join(sorted(all_keys))})")
    return names


def upstream_graph(assets: list[AssetsDefinition]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for definition in assets:
        if not isinstance(definition, AssetsDefinition) or not definition.is_materializable:
            continue  # observable source assets (review_decisions) are observed, not materialised
        for key in definition.keys:
            deps = definition.asset_deps.get(key, set())
            graph[key.to_user_string()] = {d.to_user_string() for d in deps}
    return graph


def graph_order(graph: dict[str, set[str]]) -> list[str]:
    """Assets in dependency order (parents first; ties by name)."""
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(graph):
        ready = sorted(a for a in graph if a not in placed and graph[a] & set(graph) <= placed)
        if not ready:  # a cycle: cannot happen in a Dagster graph, but never loop forever
            ready = sorted(set(graph) - placed)
        order += ready
        placed.update(ready)
    return order


def ancestors(graph: dict[str, set[str]], names: list[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(names)
    while stack:
        for parent in graph.get(stack.pop(), ()):
            if parent in graph and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def stale_reason(workspace: FilmWorkspace, catalog: Catalog, asset: str,
                 overrides: dict[str, Any] | None = None) -> str | None:
    """Why ``asset`` must be (re)built for this film, or None when its stored result is current."""
    from assets.stage_contract import CONTRACTS

    record = workspace.read_stage_record(asset)
    if record is None or not workspace.has_table(asset):
        return "missing"
    contract = CONTRACTS.get(asset)
    if contract is None:
        return None
    if record.get("code_version") != contract.code_version:
        return "code changed"
    try:
        inputs = contract.inputs(workspace, catalog)
    except MissingUpstreamError as error:
        return f"input {error.relation} missing"
    if record.get("inputs") != inputs:
        changed = sorted(k for k in set(inputs) | set(record.get("inputs", {}))
                         if inputs.get(k) != record.get("inputs", {}).get(k))
        return f"{', '.join(changed)} changed"
    stored = {k: v for k, v in (record.get("params") or {}).items() if k != "backends"}
    current = contract.parameters_key(workspace.film, overrides)
    if _jsonish(stored) != _jsonish(current):
        return "parameters changed"
    changed = changed_outputs(workspace, record)[0] if workspace.mirror is None else []
    if changed:   # a file its rows name edited or deleted by hand, a table left by a killed run
        return f"{', '.join(changed)} changed on disk"
    return None


def _jsonish(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, sort_keys=True, default=str))


def run_selection(workspace: FilmWorkspace, graph: dict[str, set[str]], selected: list[str],
                  catalog: Catalog | None = None, overrides: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """The selected assets plus every ancestor that is missing or stale for this film, or whose own ancestors are,
    in graph order. ``overrides`` (asset -> parameters) count: an ancestor given other parameters is stale."""
    catalog = catalog or Catalog(workspace.home)
    overrides = overrides or {}
    needed = set(selected)
    for asset in graph_order({a: graph[a] for a in ancestors(graph, selected)}):
        if asset in needed:
            continue
        if graph.get(asset, set()) & needed or stale_reason(workspace, catalog, asset, overrides.get(asset)):
            needed.add(asset)
    return [a for a in graph_order(graph) if a in needed]


def check_overrides(overrides: dict[str, dict[str, Any]], selected: list[str], graph: dict[str, set[str]]) -> None:
    """A ``--set`` must name an asset this run could build: the selection or one of its ancestors."""
    reachable = set(selected) | ancestors(graph, selected)
    for asset in overrides:
        if asset not in reachable:
            raise ConfigError(f"--set {asset}.{next(iter(overrides[asset]))}: asset '{asset}' is not in this run "
                              f"(--select {','.join(selected)}); add it to --select or drop the --set")


def keys(names: list[str]) -> list[AssetKey]:
    return [AssetKey.from_user_string(n) for n in names]
