"""The closing summary of `castforge materialize`: what ran, identities found, the dataset's path, what to do next."""

from pathlib import Path
from typing import Any


def summary_lines(film: str, results: dict[str, dict[str, Any]], success: bool, log_path: Path) -> list[str]:
    from resources import review_state
    from resources.store import StorageResource

    workspace = StorageResource().workspace(film)
    by_status: dict[str, list[str]] = {}
    for asset, outcome in results.items():
        by_status.setdefault(outcome.get("status", "done"), []).append(asset)
    lines = ["", f"film {film}: " + ", ".join(f"{len(v)} {k}" for k, v in sorted(by_status.items()))
             if by_status else f"film {film}: nothing to do"]
    identities = workspace.read_optional_table("identities")
    if identities is not None:
        named = identities.filter(identities["name"].is_not_null()).height if "name" in identities.columns else 0
        lines.append(f"  identities found: {identities.height} ({named} named by review)")
    datasets = workspace.artefact_dir("datasets")
    if workspace.has_table("character_datasets") and datasets.exists():
        lines.append(f"  dataset: {datasets}")
    for asset in by_status.get("failed", []):
        lines.append(f"  {asset} failed: {results[asset].get('error', '')}")
    if success and identities is not None:
        lines.append(f"  next: review cut-outs and identities with `castforge review` ({review_state.review_url(film)}),"
                     f" then `castforge materialize {film}` applies the decisions")
    lines.append(f"  log: {log_path}" + ("" if success else " (or run again with -v)"))
    return lines
