"""The asset graph (keys, deps, groups, checks) as JSON, pinned in tests/e2e/asset_graph.json.

Regenerate after adding or rewiring an asset: ``make graph-snapshot``
(= ``.venv/bin/python -m tests.e2e.graph_snapshot --write``), then commit the JSON with the change.
"""

import json
import sys
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("asset_graph.json")


def asset_graph() -> dict[str, Any]:
    from dagster import AssetsDefinition

    from orchestration.definitions import build_definitions

    defs = build_definitions("local")
    graph: dict[str, Any] = {}
    for definition in defs.assets:
        if not isinstance(definition, AssetsDefinition):  # a SourceAsset (observable source, e.g. review_decisions)
            graph[definition.key.to_user_string()] = {"group": definition.group_name, "deps": [],
                                                      "kind": "observable source"}
            continue
        for key in definition.keys:
            graph[key.to_user_string()] = {
                "group": definition.group_names_by_key.get(key),
                "deps": sorted(d.to_user_string() for d in definition.asset_deps.get(key, set())),
                "kind": "materializable" if definition.is_materializable else "observable source",
            }
    for check in defs.asset_checks or []:
        for spec in check.check_specs:
            graph.setdefault(spec.asset_key.to_user_string(), {}).setdefault("checks", []).append(spec.name)
    for entry in graph.values():
        entry.get("checks", []).sort()
    return dict(sorted(graph.items()))


def render(graph: dict[str, Any]) -> str:
    return json.dumps(graph, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv:
        SNAPSHOT.write_text(render(asset_graph()))
        print(f"wrote {SNAPSHOT}")
    else:
        sys.stdout.write(render(asset_graph()))
