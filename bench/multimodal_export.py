"""The Hugging Face export of ``multimodal_datasets`` (assets/multimodal/core.py ``write_hf_dataset``) on a
materialised film's items, repeated ``--repeat`` times to stand for a longer film: CPU, wall, peak RSS of this process
and the shard's size, as JSON. Memory should stay flat as ``--repeat`` grows (the rows are written a row group at a
time; before session 39 `datasets` held every clip and image: 5.9 GB at ``--repeat 50`` on Penny & Chip).

    .venv/bin/python bench/multimodal_export.py --home HOME --film FILM [--repeat 50]

Run it once per process (peak RSS is the process's).
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.multimodal.core import HF_SHARD, write_hf_dataset  # noqa: E402
from resources.storage import FilmWorkspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--film", required=True)
    parser.add_argument("--repeat", type=int, default=1, help="the film's items this many times over")
    args = parser.parse_args()
    workspace = FilmWorkspace(args.film, args.home)
    if not workspace.has_table("multimodal_items"):
        raise SystemExit(f"{args.home}: film {args.film!r} has no multimodal_items (materialise it first)")
    items = pl.concat([workspace.read_table("multimodal_items")] * args.repeat)
    with tempfile.TemporaryDirectory() as scratch:
        started_cpu, started = time.process_time(), time.perf_counter()
        write_hf_dataset(items, workspace.absolute, Path(scratch))
        cpu_s, wall_s = time.process_time() - started_cpu, time.perf_counter() - started
        shard = Path(scratch) / "data" / HF_SHARD
        size = shard.stat().st_size if shard.exists() else 0
    print(json.dumps({"benchmark": "multimodal_export", "film": args.film, "repeat": args.repeat,
                      "utterances": items.height, "cpu_s": round(cpu_s, 2), "wall_s": round(wall_s, 2),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "shard_mb": round(size / 2**20, 1), "load_avg_1m": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
