"""Pose and caption throughput on CPU: instances per second for the pose backends and each caption backend.
Prints JSON.

Usage: .venv/bin/python bench/pose_captions.py [--home CASTFORGE_HOME --film FILM] [--repeat N]
With --home/--film the inputs are that film's kept instance cut-outs (materialise `filtered_instances` first);
otherwise the knn_examples photos from ../shared, scaled to 256 px (a character crop's size). Backends whose weights
are not under CASTFORGE_MODELS are reported as skipped with the reason; qwen_vl is then also timed on a tiny random
Qwen2-VL built on the fly (architecture overhead only, labelled as such).
"""

import argparse
import glob
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from resources.errors import MissingWeightsError  # noqa: E402
from resources.paths import shared_dir  # noqa: E402


def load_inputs(home: str | None, film: str | None) -> list[tuple[np.ndarray, np.ndarray]]:
    from assets.pose.core import load_cutout_rgb

    if home and film:
        import polars as pl

        table = pl.read_parquet(Path(home) / "films" / film / "tables" / "filtered_instances.parquet")
        paths = [Path(home) / p for p in table.filter(pl.col("kept"))["path"]]
        return [load_cutout_rgb(p) for p in paths if p.exists()]
    shared = shared_dir()
    if shared is None:
        raise SystemExit("../shared is not present: pass --home and --film")
    out = []
    for p in sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*"))):
        bgr = cv2.imread(p)
        scale = 256 / max(bgr.shape[:2])
        rgb = cv2.resize(bgr, (round(bgr.shape[1] * scale), round(bgr.shape[0] * scale)))[:, :, ::-1].copy()
        out.append((rgb, np.ones(rgb.shape[:2], bool)))
    return out


def timed(fn, n_items: int, repeat: int) -> dict:
    fn()  # warm-up (model load, first-call compilation)
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    seconds = time.perf_counter() - started
    return {"instances_per_s": round(n_items * repeat / seconds, 2), "instances": n_items * repeat,
            "seconds": round(seconds, 3)}


def bench_pose(images, repeat: int) -> dict:
    from resources.pose_estimator import PoseEstimatorResource

    results = {}
    for backend, variant in (("movenet", "m"), ("rtmpose", "s"), ("rtmpose", "m"), ("rtmpose", "l")):
        key = backend if backend == "movenet" else f"rtmpose-{variant}"
        try:
            estimator = PoseEstimatorResource(backend=backend, variant=variant).get()
        except MissingWeightsError as error:
            results[key] = {"skipped": str(error)}
            continue
        results[key] = {"model": estimator.model,
                        **timed(lambda: [estimator.estimate(rgb) for rgb, _ in images], len(images), repeat)}
    return results


def bench_captions(images, repeat: int) -> dict:
    from resources.captioner import CaptionerResource

    facts = [{"name": "Sintel", "view": "front", "pose": [], "shot": "medium shot", "alpha": alpha}
             for _, alpha in images]
    rgbs = [rgb for rgb, _ in images]
    results = {}
    measured = CaptionerResource(backend="measured").get()
    results["measured"] = timed(lambda: measured.caption(rgbs, facts), len(rgbs), repeat)
    try:
        qwen = CaptionerResource(backend="qwen_vl", max_new_tokens=40).get()
        results["qwen_vl"] = {"model": qwen.model, **timed(lambda: qwen.caption(rgbs, facts), len(rgbs), 1)}
    except MissingWeightsError as error:
        results["qwen_vl"] = {"skipped": str(error)}
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
        from test_captions_qwen import build_tiny_qwen2_vl

        from resources.backends.qwen_vl import QwenVLCaptioner

        with tempfile.TemporaryDirectory() as tmp:
            tiny = QwenVLCaptioner(str(build_tiny_qwen2_vl(Path(tmp) / "tiny")), max_new_tokens=40)
            results["qwen_vl_tiny_random"] = {
                "note": "random 2-layer Qwen2-VL: processor + vision + generate overhead, not a real model's speed",
                **timed(lambda: tiny.caption(rgbs, facts), len(rgbs), 1)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home")
    parser.add_argument("--film")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if shared_dir() is not None and not os.environ.get("CASTFORGE_MODELS"):
        os.environ["CASTFORGE_MODELS"] = str(shared_dir() / "models")
    images = load_inputs(args.home, args.film)
    report = {"device": "cpu", "threads": os.cpu_count(), "inputs": len(images),
              "mean_crop_px": [round(float(np.mean([i[0].shape[0] for i in images])), 1),
                               round(float(np.mean([i[0].shape[1] for i in images])), 1)],
              "pose": bench_pose(images, args.repeat), "captions": bench_captions(images, args.repeat)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
