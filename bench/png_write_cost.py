"""The instances stage's cut-out and mask writes: OpenCV's (``cv2.imwrite``, as before session 18) against
resources/png_writer.py (libdeflate), alternating in one process on a materialised film's cut-outs and masks. Prints
JSON: CPU-ms a file per pass (process clock), bytes written, and whether every file reads back (``cv2.imread``) to
the same pixels either way.

    taskset -c 1 .venv/bin/python bench/png_write_cost.py --home HOME --film FILM [--passes 4] [--limit N]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resources.png_writer import write_mask_png, write_rgba_png  # noqa: E402
from resources.storage import FilmWorkspace  # noqa: E402

OPENCV = {"cutouts": lambda path, rgba: cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA)),
          "masks": lambda path, mask: cv2.imwrite(str(path), mask.astype(np.uint8) * 255,
                                                  [cv2.IMWRITE_PNG_BILEVEL, 1])}
LIBDEFLATE = {"cutouts": write_rgba_png, "masks": write_mask_png}


def stored(folder: Path, kind: str, limit: int | None) -> list[np.ndarray]:
    """The film's cut-outs as RGBA (as the stage holds them) or its masks as bool."""
    paths = sorted(folder.glob("*.png"))[:limit]
    if kind == "cutouts":
        return [cv2.cvtColor(cv2.imread(str(p), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA) for p in paths]
    return [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) > 0 for p in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--film", required=True)
    parser.add_argument("--passes", type=int, default=4, help="passes of each writer, alternating which goes first")
    parser.add_argument("--limit", type=int, help="at most this many files of each kind")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    artefacts = FilmWorkspace(args.film, args.home).artefact_dir("instances")
    report = {"benchmark": "png_write_cost", "film": args.film, "load_avg_1m": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for kind in ("cutouts", "masks"):
            items = stored(artefacts / kind, kind, args.limit)
            if not items:
                raise SystemExit(f"{artefacts / kind}: no files (materialise `instances` first)")
            writers = {"opencv": OPENCV[kind], "libdeflate": LIBDEFLATE[kind]}
            cpu_ms: dict[str, list[float]] = {name: [] for name in writers}
            for n in range(args.passes):
                for name in (("opencv", "libdeflate") if n % 2 == 0 else ("libdeflate", "opencv")):
                    started = time.process_time()
                    for i, pixels in enumerate(items):
                        writers[name](scratch / f"{name}{i}.png", pixels)
                    cpu_ms[name].append(round(1000 * (time.process_time() - started) / len(items), 2))
            same = all(np.array_equal(cv2.imread(str(scratch / f"opencv{i}.png"), cv2.IMREAD_UNCHANGED),
                                      cv2.imread(str(scratch / f"libdeflate{i}.png"), cv2.IMREAD_UNCHANGED))
                       for i in range(len(items)))
            report[kind] = {"files": len(items), "cpu_ms_a_file": cpu_ms, "pixels_identical": same,
                            "bytes": {name: sum((scratch / f"{name}{i}.png").stat().st_size
                                                for i in range(len(items))) for name in writers}}
    report["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
