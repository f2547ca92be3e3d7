"""Which assets a `castforge materialize` run needs: the selection plus upstream assets that are missing or stale
for the film (their stage record is absent, or was built from inputs that have since changed)."""

from dagster import AssetKey, AssetsDefinition

from resources.storage import FilmWorkspace


def parse_selection(text: str | None, all_keys: set[str]) -> list[str]:
    if not text or text.strip() in {"*", "all"}:
        return sorted(all_keys)
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in all_keys]
    if unknown:
        raise ValueError(f"unknown asset(s) {unknown}; known: {sorted(all_keys)}")
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


def _ancestors(graph: dict[str, set[str]], names: list[str]) -> list[str]:
    seen: list[str] = []
    stack = list(names)
    while stack:
        name = stack.pop()
        for parent in graph.get(name, ()):
            if parent not in seen and parent in graph:
                seen.append(parent)
                stack.append(parent)
    return seen


def _is_current(workspace: FilmWorkspace, asset: str, graph: dict[str, set[str]]) -> bool:
    record = workspace.read_stage_record(asset)
    if record is None or not workspace.has_table(asset):
        return False
    for parent in graph.get(asset, ()):
        parent_record = workspace.read_stage_record(parent)
        if parent_record is None or record.get("inputs", {}).get(parent) != parent_record.get("fingerprint"):
            return False
    return True


def run_selection(workspace: FilmWorkspace, graph: dict[str, set[str]], selected: list[str]) -> list[str]:
    """The selected assets plus every ancestor that is missing or stale for this film, or whose own ancestors are."""
    needed = set(selected)
    ancestors = _ancestors(graph, selected)
    # walk from the roots down so that a stale parent makes its children stale too
    for asset in sorted(ancestors, key=lambda a: len(_ancestors(graph, [a]))):
        if not _is_current(workspace, asset, graph) or graph.get(asset, set()) & needed:
            needed.add(asset)
    return sorted(needed)


def keys(names: list[str]) -> list[AssetKey]:
    return [AssetKey.from_user_string(n) for n in names]
