"""What a person browses: per-identity folders (symlinks or copies) with faces/, noise/, identity_clustering.json
and a 2-D map of the face embeddings. No Dagster."""

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from assets.identities.core import NOISE, normalise
from resources.storage import contained, write_json_atomic


def _place(source: Path, target: Path, final_dir: Path, staging: Path, copy: bool) -> None:
    """A relative symlink valid once ``staging`` is swapped in as ``final_dir`` (or a copy)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if copy:
        shutil.copy2(source, target)
        return
    final_target = final_dir / target.relative_to(staging)
    os.symlink(os.path.relpath(source, final_target.parent), target)


def write_folders(staging: Path, final_dir: Path, instance_identities: pl.DataFrame, instances: pl.DataFrame,
                  faces: pl.DataFrame, resolve: Callable[[str], Path], copy: bool = False) -> int:
    """``<identity>/<instance>.png`` cut-outs and ``<identity>/faces/<face>.jpg`` crops; noise in ``noise/``."""
    cutouts = dict(zip(instances["instance_id"], instances["path"])) if "path" in instances.columns else {}
    crops: dict[str, list[tuple[str, str]]] = {}
    for instance_id, face_id, crop in faces.select("instance_id", "face_id", "crop_path").iter_rows():
        if crop:
            crops.setdefault(instance_id, []).append((face_id, crop))
    placed = 0
    for instance_id, identity in instance_identities.select("instance_id", "identity").iter_rows():
        folder = contained(staging, identity or NOISE)  # an identity id never names a folder outside
        folder.mkdir(parents=True, exist_ok=True)
        if cutouts.get(instance_id):
            source = resolve(cutouts[instance_id])
            if source.exists():
                _place(source, folder / f"{instance_id}{source.suffix}", final_dir, staging, copy)
                placed += 1
        for face_id, crop in crops.get(instance_id, []):
            source = resolve(crop)
            if source.exists():
                _place(source, folder / "faces" / f"{face_id}{source.suffix}", final_dir, staging, copy)
    return placed


FACE_BY = ["face", "prototype"]  # placed by the instance's own face (clustered, or joined to a prototype)


def write_summary(path: Path, identities: pl.DataFrame, instance_identities: pl.DataFrame, params: dict[str, Any],
                  stats: dict[str, Any], backends: dict[str, str], review_messages: list[str],
                  review: dict[str, Any] | None = None) -> dict[str, Any]:
    total = instance_identities.height
    no_face = instance_identities.filter(~pl.col("by").is_in(FACE_BY)).height
    noise = instance_identities.filter(pl.col("identity") == NOISE).height
    summary = {
        "instances": total, "identities": identities.height,
        "identities_with_faces": identities.filter(pl.col("has_faces")).height,
        "faceless_groups": identities.filter(~pl.col("has_faces")).height,
        "noise": noise, "noise_ratio": round(noise / total, 4) if total else 0.0,
        "no_face": no_face, "no_face_ratio": round(no_face / total, 4) if total else 0.0,
        "by": dict(instance_identities.group_by("by").len().iter_rows()),
        "sizes": dict(zip(identities["identity"].to_list(), identities["size"].to_list())),
        "names": {i: n for i, n in zip(identities["identity"], identities["name"]) if n},
        "parameters": params, "clustering": stats, "backends": backends, "review": review_messages,
        **(review or {}),
    }
    write_json_atomic(path, summary)
    return summary


def plot_map(path: Path, vectors: np.ndarray, labels: list[str], method: str = "pca") -> bool:
    """A 2-D scatter of the face embeddings coloured by identity (noise grey). False when there is nothing to draw."""
    if vectors.shape[0] < 2:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    unit = normalise(vectors)
    if method == "umap" and unit.shape[0] > 5:
        import umap

        xy = umap.UMAP(n_components=2, metric="cosine", random_state=0,
                       n_neighbors=min(15, unit.shape[0] - 1)).fit_transform(unit)
    else:
        from sklearn.decomposition import PCA

        xy = PCA(n_components=2, random_state=0).fit_transform(unit)
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    names = sorted(set(labels) - {NOISE})
    cmap = plt.get_cmap("tab20")
    for index, name in enumerate(names):
        mask = np.array([label == name for label in labels])
        ax.scatter(xy[mask, 0], xy[mask, 1], s=18, color=cmap(index % 20), label=name)
    noise = np.array([label == NOISE for label in labels])
    if noise.any():
        ax.scatter(xy[noise, 0], xy[noise, 1], s=10, color="lightgrey", label=NOISE)
    ax.set_title(f"face embeddings ({method.upper()} 2-D), {len(names)} identities")
    if len(names) <= 20:
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True
