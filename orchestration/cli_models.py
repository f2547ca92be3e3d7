"""`castforge models`: which model weights each backend needs, and which are present (configs/models.yaml)."""

import argparse
import json
from typing import Any

import yaml

from resources.paths import REPO_ROOT, find_model, model_dirs

REGISTRY = REPO_ROOT / "configs" / "models.yaml"


def model_status(profile: str | None = None) -> list[dict[str, Any]]:
    """One row per registered model: where it was found (or None), for the given profile or all."""
    entries = yaml.safe_load(REGISTRY.read_text())["models"]
    rows = []
    for entry in entries:
        if profile and entry["profile"] != profile:
            continue
        found = find_model(*entry["paths"])
        rows.append({**entry, "found": str(found) if found else None})
    return rows


def _cmd_models(args: argparse.Namespace) -> int:
    rows = model_status(args.profile)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print("searched: " + ", ".join(str(d) for d in model_dirs()))
        for row in rows:
            mark = "ok     " if row["found"] else ("absent " if row.get("optional") else "MISSING")
            where = row["found"] or f"{row['paths'][0]}  <- {row['source']}"
            print(f"{mark} {row['profile']:<5} {row['capability']:<15} {row['backend']:<18} {where}")
    required = [r for r in rows if r["profile"] == "local" and not r.get("optional")]
    return 0 if all(r["found"] for r in required) else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list the model weights backends need and which are present")
    parser.add_argument("--profile", choices=["local", "gpu"], help="only this profile's models")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=_cmd_models)
