"""How identity clustering scales: N x 512-d face-like embeddings (identities on the unit sphere with per-face noise
tuned to same-identity cosine ~0.5-0.7 and 10% outliers), clustered with identity_clusters' own `cluster()`
(PCA to 16-d above 3000 rows and HDBSCAN up to 20k faces; beyond, density over a kNN graph of every face,
assets/identities/scale.py: faiss neighbours on the full vectors; verification re-split). Prints JSON per size:
wall and CPU seconds, the process's peak RSS so far, purity, and identities recovered (a cluster's majority holding
at least half of the identity's faces) against those planted with >= 10 faces.

    .venv/bin/python bench/cluster_scale.py [--sizes 10000 30000 100000 1000000] [--dim 512]
"""

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.identities.core import IdentityParams, cluster  # noqa: E402

CHUNK_ROWS = 100_000


def synthetic(n: int, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    identities = max(20, n // 300)
    weights = rng.zipf(1.6, identities).astype(np.float64)  # a few leads, many minor characters
    weights /= weights.sum()
    n_noise = n // 10
    labels = rng.choice(identities, size=n - n_noise, p=weights)
    centers = rng.standard_normal((identities, dim)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    spread = 0.045  # per-dimension noise: same-identity cosine ~0.5 at 512-d (face to its centre ~0.7)
    x = np.empty((n, dim), dtype=np.float32)
    for start in range(0, len(labels), CHUNK_ROWS):  # in chunks (1M faces: no 4 GB float64 draw); same values
        stop = min(len(labels), start + CHUNK_ROWS)
        x[start:stop] = centers[labels[start:stop]] + rng.normal(0, spread, (stop - start, dim)).astype(np.float32)
    x[len(labels):] = rng.standard_normal((n_noise, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.concatenate([labels, np.full(n_noise, -1)])


def planted_recovered(pred: np.ndarray, truth: np.ndarray, min_faces: int) -> tuple[int, int]:
    """Identities planted with at least ``min_faces`` faces, and how many of them are recovered: the majority
    identity of some cluster that holds at least half of its faces."""
    sizes = np.bincount(truth[truth >= 0])
    planted = {int(i) for i in np.flatnonzero(sizes >= min_faces)}
    recovered = set()
    for label in np.unique(pred[pred >= 0]):
        members = truth[(pred == label) & (truth >= 0)]
        if len(members):
            major = int(np.bincount(members).argmax())
            if major in planted and (members == major).sum() * 2 >= sizes[major]:
                recovered.add(major)
    return len(planted), len(recovered)


def quality(pred: np.ndarray, truth: np.ndarray, min_faces: int = 10) -> dict[str, float]:
    clustered = pred >= 0
    purity_hits = 0
    for label in np.unique(pred[clustered]):
        members = truth[pred == label]
        purity_hits += np.bincount(members[members >= 0]).max() if (members >= 0).any() else 0
    real = truth >= 0
    planted, recovered = planted_recovered(pred, truth, min_faces)
    return {"identities_planted": planted, "identities_recovered": recovered,
            "recall": round(recovered / max(planted, 1), 4),
            "purity": round(float(purity_hits / max(clustered.sum(), 1)), 4),
            "coverage_of_real_faces": round(float((clustered & real).sum() / max(real.sum(), 1)), 4),
            "outliers_kept_as_noise": round(float((~clustered & ~real).sum() / max((~real).sum(), 1)), 4),
            "clusters": int(len(np.unique(pred[clustered]))),
            "identities_generated": int(len(np.unique(truth[real])))}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--min-cluster-size", type=int, default=10)
    args = parser.parse_args()
    params = IdentityParams(min_cluster_size=args.min_cluster_size)
    cluster(*synthetic(200, args.dim)[:1], params)  # imports and numba/cython warm-up outside the timings
    runs = []
    for n in args.sizes:
        x, truth = synthetic(n, args.dim)
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        labels, _, info = cluster(x, params)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
        runs.append({"n": n, "dim": args.dim, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 1),
                     "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2), **info,
                     **quality(labels, truth, args.min_cluster_size)})
    growth = [{"from": a["n"], "to": b["n"], "time_ratio": round(b["seconds"] / max(a["seconds"], 1e-9), 2)}
              for a, b in zip(runs, runs[1:])]
    print(json.dumps({"benchmark": "cluster_scale", "machine": {"cpus": os.cpu_count(),
                                                                "python": platform.python_version()},
                      "params": {"min_cluster_size": params.min_cluster_size, "min_samples": params.min_samples,
                                 "reduce": params.reduce, "reduce_dims": params.reduce_dims,
                                 "max_distance": params.max_distance},
                      "runs": runs, "growth": growth,
                      "under_60s_at_100k": next((r["seconds"] < 60 for r in runs if r["n"] == 100_000), None),
                      "recall_at_least_0_95": all(r["recall"] >= 0.95 for r in runs)},
                     indent=2))


if __name__ == "__main__":
    main()
