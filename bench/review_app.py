"""Review UI server figures on a film with many instances: JSON view build times, payload size, decision latency.

Usage: .venv/bin/python bench/review_app.py [--instances 5000] [--identities 40]   (prints JSON)
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(home: Path, n: int, k: int) -> None:
    from resources.catalog import Catalog
    from resources.storage import FilmWorkspace

    Catalog(home).insert_rows("films", [{"film": "bench", "source_path": "/x", "content_hash": "bench",
                                         "kind": "video", "ingested_at": datetime(2026, 1, 1)}])
    ws = FilmWorkspace("bench", home)
    (ws.root / "instances").mkdir(parents=True)
    cut = ws.root / "instances" / "cut.png"
    cv2.imwrite(str(cut), np.full((400, 300, 4), 200, np.uint8))
    ids = [f"{i:016x}" for i in range(n)]
    rng = np.random.default_rng(0)
    ws.write_table("filtered_instances", pl.DataFrame({
        "instance_id": ids, "frame_id": [f"frame{i // 3:06d}" for i in range(n)], "shot": [i // 30 for i in range(n)],
        "path": [ws.relative(cut)] * n, "area": rng.uniform(1e3, 1e5, n), "score": rng.uniform(0, 1, n),
        "kept": rng.uniform(0, 1, n) > 0.2, "reason": [None] * n, "decided_by": ["auto"] * n}))
    identity = [f"identity_{i % k:03d}" for i in range(n)]
    ws.write_table("instance_identities", pl.DataFrame({"instance_id": ids, "identity": identity,
                                                        "source": ["auto"] * n, "confidence": rng.uniform(0, 1, n)}))
    centres = rng.normal(size=(k, 128))
    ws.write_table("faces", pl.DataFrame({
        "face_id": ids, "instance_id": ids, "face_size": rng.uniform(20, 200, n),
        "embedding": [(centres[i % k] + 0.5 * rng.normal(size=128)).astype(np.float32).tolist() for i in range(n)],
        "crop_path": [ws.relative(cut)] * n}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--identities", type=int, default=40)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from orchestration.review.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        build(home, args.instances, args.identities)
        client = TestClient(create_app(home))
        timings: dict[str, float] = {}
        for path in ("instances", "identities", "state"):
            started = time.perf_counter()
            response = client.get(f"/api/films/bench/{path}")
            timings[f"{path}_s"] = round(time.perf_counter() - started, 3)
            timings[f"{path}_kb"] = round(len(response.content) / 1024, 1)
        latencies = []
        ids = [item["instance_id"] for item in client.get("/api/films/bench/instances").json()["items"]]
        for revision in range(50):
            started = time.perf_counter()
            answer = client.post("/api/films/bench/decisions", json={
                "expected_revision": revision, "decisions": [{"kind": "keep", "item_id": ids[revision]}]})
            latencies.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
        started = time.perf_counter()
        client.post("/api/films/bench/decisions", json={
            "expected_revision": 50, "decisions": [{"kind": "discard", "item_id": i} for i in ids[:1000]]})
        batch_s = time.perf_counter() - started
        started = time.perf_counter()
        client.get("/api/films/bench/instances")
        after_s = time.perf_counter() - started
    print(json.dumps({
        "instances": args.instances, "identities": args.identities, **timings,
        "decision_post_ms_median": round(1000 * statistics.median(latencies), 1),
        "decision_post_ms_p95": round(1000 * sorted(latencies)[int(0.95 * len(latencies))], 1),
        "batch_1000_discards_s": round(batch_s, 3), "instances_after_1050_decisions_s": round(after_s, 3),
    }, indent=2))


if __name__ == "__main__":
    main()
