"""``pose_subclusters`` after a review: a cut-out whose pixels and box did not change keeps its keypoints and its
overlay from the last run. No Dagster.

A cut-out's keypoints (``core.estimate_one``: the estimator on the cut-out composited on black, mapped back through
the frame rectangle it covers) and its overlay depend only on the cut-out file's bytes and that rectangle, under
the stage's code version, every setting and the estimator (``StageRun.config_hash``: a settings change or another model recomputes every item). They
never depend on the identity, its name or the other cut-outs, which a review changes. An item is an identified
instance; its key hashes those inputs (resources/item_reuse.py). A reusable item takes its keypoints and no-pose
reason from the last run's ``poses`` row and its overlay from the last run's folder (where it is gone the item is
estimated again); views, sub-clusters and folders are then made over every row as in a full run, so the tables and
folders equal a full recompute's.
"""

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from assets.pose.core import Box, PoseParams, estimate_one
from resources.item_reuse import ItemReuse, file_digest


class PoseReuse:
    """``estimate_one`` with the last run's result of an unchanged cut-out (called per row by ``estimate_poses``);
    ``reused`` / ``estimated`` count what it did."""

    def __init__(self, reuse: ItemReuse, last_poses: pl.DataFrame | None, last_dir: Path, estimator: Any,
                 params: PoseParams):
        self.reuse, self.last_dir, self.estimator, self.params = reuse, last_dir, estimator, params
        columns = ("instance_id", "keypoints", "no_pose_reason", "folder")
        usable = last_poses is not None and all(c in last_poses.columns for c in columns)
        self.last = {r["instance_id"]: r for r in last_poses.select(columns).iter_rows(named=True)} if usable else {}
        self.reused = self.estimated = 0

    def __call__(self, instance_id: str, path: Path, box: Box, overlay: Path | None,
                 on_alpha: Callable[[np.ndarray], None] | None = None) -> tuple[np.ndarray | None, str | None]:
        self.reuse.key(instance_id, file_digest(path) if path.is_file() else None,
                       [None if v is None else float(v) for v in box])
        last = self.last.get(instance_id)
        taken = self._taken(instance_id, last, overlay) if last and self.reuse.reusable(instance_id) else None
        if taken is not None:
            self.reused += 1
            return taken
        self.estimated += 1
        return estimate_one(self.estimator, path, box, self.params, overlay, on_alpha)

    def _taken(self, instance_id: str, last: dict[str, Any],
               overlay: Path | None) -> tuple[np.ndarray | None, str | None] | None:
        kp = None if last["keypoints"] is None else np.asarray(last["keypoints"], np.float32).reshape(17, 3)
        if kp is not None and overlay is not None:
            stored = self.last_dir / str(last["folder"]) / f"{instance_id}_pose.jpg"
            if not stored.is_file():
                return None
            try:
                os.link(stored, overlay)
            except OSError:
                shutil.copyfile(stored, overlay)
        return kp, last["no_pose_reason"]

    def note(self) -> str:
        return (f"keypoints of {self.reused} of {self.reused + self.estimated} cut-outs reused from the last run "
                f"(cut-out, box and settings unchanged), {self.estimated} estimated")
