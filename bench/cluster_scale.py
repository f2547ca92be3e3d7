"""How identity clustering scales: N x --dim (512) face-like embeddings (identities on the unit sphere with per-face
noise tuned to same-identity cosine ~0.5 at 512-d, ~0.8 at 128-d, and 10% outliers), clustered with
identity_clusters' own `cluster()` (PCA to 16-d above 3000 rows and HDBSCAN up to 20k faces; beyond, density over a
mutual kNN graph of every face, assets/identities/scale.py: faiss neighbours on the full vectors; verification
re-split). Prints JSON per size: wall and CPU seconds, the process's peak RSS so far, purity, and identities
recovered (a cluster's majority holding at least half of the identity's faces) against those planted with >= 10.

    .venv/bin/python bench/cluster_scale.py [--sizes 10000 30000 100000 1000000] [--dim 512]

Is the planted data a fair model of real faces? ``--real-faces DIR`` (folders of photographs named by person, e.g.
../shared/media/faces/knn_examples/train) prints the same- and different-person cosine quantiles of the local
profile's face embedder (OnnxFaceAnalyzer, MobileFaceNet 128-d; the largest face of each photo) beside the planted
data's at ``--dim``. On knn_examples/train (9 photos of 5 people; 4 same-person pairs, 32 different), quantiles
10 / 50 / 90 %: same person 0.67 / 0.71 / 0.78, different -0.11 / 0.01 / 0.12; planted at --dim 128: same
0.76 / 0.80 / 0.83, different -0.12 / -0.02 / 0.08; at 512-d: same 0.45 / 0.49 / 0.53, different -0.05 / 0.01 / 0.06.
So ``--dim 128`` models the default embedder; 512-d is looser within an identity and tighter between them.
"""

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.identities import scale  # noqa: E402
from assets.identities.core import IdentityParams, cluster  # noqa: E402

CHUNK_ROWS = 100_000
RANK_EXPONENT = 1.3   # --planted rank: the identity of rank r gets a share ~ r^-1.3 of the faces


def identity_weights(identities: int, planted: str, rng: np.random.Generator) -> np.ndarray:
    """Each identity's share of the faces. ``zipf`` (sessions 10-11): zipf(1.6) draws, where a few draws take nearly
    all the mass as the count grows (1M faces: 3333 identities, 13 with >= 10 faces). ``rank``: the share falls with
    the identity's rank, r^-1.3, as over a catalogue of films (leads, supporting cast, minor characters, walk-ons):
    seed 0: 100k faces, 333 identities, 332 with >= 10 faces; 300k, 1000 and 927 (349 of them 10-19 faces); 1M,
    3333 and 2522 (1074 of them 10-19)."""
    if planted == "zipf":
        weights = rng.zipf(1.6, identities).astype(np.float64)
    elif planted == "rank":
        weights = np.arange(1, identities + 1, dtype=np.float64) ** -RANK_EXPONENT
    else:
        raise ValueError(f"planted must be zipf or rank, not {planted!r}")
    return weights / weights.sum()


def synthetic(n: int, dim: int, seed: int = 0, planted: str = "zipf") -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    identities = max(20, n // 300)
    weights = identity_weights(identities, planted, rng)  # a few leads, many minor characters
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


def _cosine_quantiles(unit: np.ndarray, who: np.ndarray) -> dict[str, list[float]]:
    sims = unit @ unit.T
    pairs = np.triu_indices(len(unit), 1)
    same = (who[:, None] == who[None, :])[pairs]
    q = [0.0, 0.1, 0.5, 0.9, 1.0]
    return {"same_q0_10_50_90_100": [round(float(v), 3) for v in np.quantile(sims[pairs][same], q)],
            "different_q0_10_50_90_100": [round(float(v), 3) for v in np.quantile(sims[pairs][~same], q)],
            "pairs_same_different": [int(same.sum()), int((~same).sum())]}


def real_face_spread(folder: Path, dim: int) -> dict[str, Any]:
    """Cosines between real faces (the largest face of each photo, ``folder/<person>/*``) against the planted
    data's (1000 planted faces at ``dim``)."""
    from PIL import Image

    from resources.backends.onnx_faces import OnnxFaceAnalyzer

    analyzer = OnnxFaceAnalyzer()
    embeddings, who = [], []
    for path in sorted(p for p in folder.glob("*/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"}):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        faces = sorted(analyzer.detect(rgb), key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
        if faces:
            embeddings.append(analyzer.embed([analyzer.align(rgb, faces[0])])[0])
            who.append(path.parent.name)
    real = np.stack(embeddings).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    planted, truth = synthetic(1000, dim)
    keep = truth >= 0
    return {"real": {"embedder": analyzer.model, "faces": len(who), "people": len(set(who)),
                     **_cosine_quantiles(real, np.array(who))},
            f"planted_{dim}d": _cosine_quantiles(planted[keep], truth[keep])}


class ReusedSearch:
    """``--ab``: the neighbour index, its search of a given shape done once (the first arm's whole-set search serves
    the second arm; the second search among a subset is a new shape)."""

    def __init__(self, index: Any):
        self.index, self.found, self.last = index, {}, ""
        self.name, self.model = index.name, index.model

    def describe(self) -> str:
        return self.last

    def neighbours(self, data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        key = (data.shape, k, data[0].tobytes(), data[-1].tobytes())
        if key not in self.found:
            self.found[key] = (*self.index.neighbours(data, k), self.index.describe())
        indices, sims, self.last = self.found[key]
        return indices.copy(), sims.copy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--min-cluster-size", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="planted data (0: the data the index was tuned on)")
    parser.add_argument("--planted", choices=["zipf", "rank"], default="zipf",
                        help="identity sizes: zipf draws (sessions 10-11) or by rank (a catalogue of films)")
    parser.add_argument("--no-recheck", action="store_true",
                        help="without the second search among unsettled faces (scale.RECHECK_UNSETTLED)")
    parser.add_argument("--ab", action="store_true",
                        help="each size without, then with the second search, on one first search (its CPU seconds "
                             "count in the first arm only)")
    parser.add_argument("--real-faces", type=Path, help="folders of photos by person: compare their cosines instead")
    args = parser.parse_args()
    if args.real_faces:
        print(json.dumps({"benchmark": "cluster_scale_real_spread", **real_face_spread(args.real_faces, args.dim)},
                         indent=2))
        return
    arms = [False, True] if args.ab else [not args.no_recheck]
    if args.ab:
        reused = ReusedSearch(scale.neighbour_index())
        scale.neighbour_index = lambda: reused
    params = IdentityParams(min_cluster_size=args.min_cluster_size)
    cluster(*synthetic(200, args.dim)[:1], params)  # imports and numba/cython warm-up outside the timings
    runs = []
    for n in args.sizes:
        x, truth = synthetic(n, args.dim, args.seed, args.planted)
        for recheck in arms:
            scale.RECHECK_UNSETTLED = recheck
            started, cpu_started = time.perf_counter(), time.process_time()
            labels, _, info = cluster(x, params)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            runs.append({"n": n, "dim": args.dim, "recheck": recheck, "seconds": round(seconds, 2),
                         "cpu_seconds": round(cpu, 1),
                         "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2), **info,
                         **quality(labels, truth, args.min_cluster_size)})
    growth = [{"from": a["n"], "to": b["n"], "time_ratio": round(b["seconds"] / max(a["seconds"], 1e-9), 2)}
              for a, b in zip(runs[len(arms) - 1::len(arms)], runs[2 * len(arms) - 1::len(arms)])]
    print(json.dumps({"benchmark": "cluster_scale", "machine": {"cpus": os.cpu_count(),
                                                                "python": platform.python_version()},
                      "params": {"seed": args.seed, "planted": args.planted,
                                 "min_cluster_size": params.min_cluster_size,
                                 "min_samples": params.min_samples, "reduce": params.reduce,
                                 "reduce_dims": params.reduce_dims, "max_distance": params.max_distance},
                      "runs": runs, "growth": growth,
                      "under_60s_at_100k": next((r["seconds"] < 60 for r in runs if r["n"] == 100_000), None),
                      "recall_at_least_0_95": all(r["recall"] >= 0.95 for r in runs)},
                     indent=2))


if __name__ == "__main__":
    main()
