"""character_datasets on a materialised film: the export size distribution before (the former export: cut-outs
fitted into target_size, never enlarged, one image per instance) and after (training resolution, crops, near-
duplicate removal, decisions with reasons), items per second and peak memory. Prints JSON.

Usage: .venv/bin/python bench/datasets.py --home CASTFORGE_HOME --film FILM [--target 512] [--upscale lanczos]
The film must be materialised through `captions` (e.g. `castforge materialize FILM --select ...,captions`). The
export is written into a temporary folder, never into the film's workspace.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402


def distribution(sides: list[int], target: int) -> dict:
    if not sides:
        return {"items": 0}
    array = np.asarray(sides)
    return {"items": len(sides), "min": int(array.min()), "p10": int(np.percentile(array, 10)),
            "median": int(np.median(array)), "p90": int(np.percentile(array, 90)), "max": int(array.max()),
            "below_target": int((array < target).sum()), "share_below_target": round(float((array < target).mean()), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--film", required=True)
    parser.add_argument("--target", type=int, default=None, help="datasets.target_size (default: the film's)")
    parser.add_argument("--upscale", default=None, help="lanczos | sr | skip (default: the film's)")
    args = parser.parse_args()
    os.environ["CASTFORGE_HOME"] = str(Path(args.home).resolve())
    from assets.datasets.core import export_datasets
    from assets.datasets.images import load_cutout
    from assets.datasets.params import DatasetParams
    from assets.datasets.selection import export_candidates
    from assets.pose.selection import read_identified_instances
    from resources.film_settings import stage_params
    from resources.storage import FilmWorkspace

    workspace = FilmWorkspace(args.film, Path(args.home).resolve())
    overrides = {k: v for k, v in (("target_size", args.target), ("upscale", args.upscale)) if v is not None}
    params = DatasetParams.from_dict(stage_params(args.film, "character_datasets", overrides))
    rows = read_identified_instances(workspace)
    captions = workspace.read_table("captions")

    # before: every captioned instance's cut-out, fitted into target_size and never enlarged
    before = []
    for row in rows.join(captions.select("instance_id"), on="instance_id").iter_rows(named=True):
        try:
            cut = load_cutout(workspace.absolute(row["path"]), params.background)
        except ValueError:
            continue
        before.append(min(params.target_size, max(cut.rgb.shape[:2])))

    # the CLIP tokenizer (refitting captions that a long trigger word could push past 77 tokens) loads once per
    # process: timed on its own, so the export figure is the export's
    from assets.captions.tokens import clip_token_count

    loading = time.perf_counter()
    clip_token_count("warm up")
    tokenizer_load_s = time.perf_counter() - loading

    tracemalloc.start()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        candidates, decisions = export_candidates(
            rows, captions, workspace.read_optional_table("poses"), workspace.read_optional_table("faces"),
            workspace.read_optional_table("identities"), args.film, params)
        table, decisions, manifest = export_datasets(
            candidates, decisions, workspace.read_optional_table("frames"), Path(tmp), args.film, params,
            workspace.absolute, lambda p: str(p))
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        after = table.select(pl.max_horizontal("width", "height"))[:, 0].to_list() if table.height else []
        print(json.dumps({
            "film": args.film, "target_size": params.target_size, "upscale": params.upscale,
            "min_source_size": params.min_source_size, "crops": list(params.crops),
            "identified_captioned_instances": len(before),
            "before_exported_longer_side": distribution(before, params.target_size),
            "after_exported_longer_side": distribution(after, params.target_size),
            "after_source_longer_side": manifest["source_sizes"],
            "after_items_per_crop": {k: int(v) for k, v in table.group_by("crop").len().iter_rows()}
            if table.height else {},
            "after_exported": manifest["exported"], "after_skipped": manifest["skipped"],
            "identities": {label: {"trigger": v["trigger"], "items": v["count"]}
                           for label, v in manifest["identities"].items()},
            "tokenizer_load_s": round(tokenizer_load_s, 2), "seconds": round(seconds, 2), "items_per_s": round(table.height / seconds, 1) if seconds else None,
            "python_peak_mib": round(peak / 2 ** 20, 1),
        }, indent=2))


if __name__ == "__main__":
    main()
