"""Drop-folder tick benchmark: how long one sensor scan takes with many large entries (it only lists and stats;
hashing and probing are the ingest runs' work), against hashing those same files as the old tick did.
Usage: .venv/bin/python bench/drop_folder.py [FILES] [GIB_EACH]  (default 8 files of 1 GiB, sparse: no disk used).
Prints JSON."""

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resources.media import content_hash  # noqa: E402
from sensors.scan import paths_open_for_writing, scan_drop_folder  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    gib = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        drop = Path(tmp)
        for i in range(count):
            with open(drop / f"feature_film_{i}.mkv", "wb") as handle:
                handle.truncate(int(gib * 2**30))  # sparse: reads as zeros, like a large film, costs no disk
        started = time.perf_counter()
        first = scan_drop_folder(drop, None, now=time.time(), quiet_s=0, open_for_writing=paths_open_for_writing(drop))
        second = scan_drop_folder(drop, json.dumps(first.cursor), now=time.time() + 1, quiet_s=0,
                                  open_for_writing=paths_open_for_writing(drop))
        tick_s = (time.perf_counter() - started) / 2
        started = time.perf_counter()
        content_hash(drop / "feature_film_0.mkv")  # what one entry cost inside the old tick (before its probe)
        hash_one_s = time.perf_counter() - started
    print(json.dumps({"entries": count, "gib_each": gib, "ready_on_second_tick": len(second.ready),
                      "tick_s": round(tick_s, 4), "hash_one_entry_s": round(hash_one_s, 2),
                      "old_tick_estimate_s": round(hash_one_s * count, 1)}))


if __name__ == "__main__":
    main()
