"""A review nothing undoes: what a re-run of identity_clusters owes to the decisions already made. No Dagster.

- A reviewer's *keep* means "in the dataset": a kept instance that clustering left as noise joins the identity it
  is nearest to (its face to face prototypes, else its appearance to appearance prototypes), ``by = kept``.
- Instances a reviewer assigned (move, split, merge) are pinned by re-applying the decisions (resources/review_state).
- Every other change a re-run makes to a reviewed identity (one that a decision names, or that holds a kept
  instance) is recorded in ``identity_changes`` and carried from run to run until a reviewer accepts it (an
  ``accept`` decision) or undoes it (a ``move`` back, which then pins it). Nothing changes silently.
"""

from typing import Any

import numpy as np
import polars as pl

from assets.identities.assignment import Assignment
from assets.identities.core import NOISE, normalise

CHANGE_SCHEMA = {"instance_id": pl.String, "from_identity": pl.String, "to_identity": pl.String,
                 "revision": pl.Int64, "run_id": pl.String, "why": pl.String}


def reviewed_identities(review: Any, kept_instances: set[str], previous: pl.DataFrame | None) -> set[str]:
    """Identities a reviewer has looked at: named by a rename, merge, split, move or noise decision, or holding
    (in the previous run) an instance the reviewer kept."""
    found: set[str] = set()
    if review is not None:
        for op in review.operations:
            if op["kind"] in ("rename", "noise"):
                found.add(op["item_id"])
            elif op["kind"] == "merge":
                found.update([op["item_id"], op["to_value"]])
            elif op["kind"] in ("split", "move"):
                found.update(v for v in (op["from_value"], op["to_value"]) if v)
                if op["kind"] == "split":
                    found.add(op["item_id"])
    if previous is not None and kept_instances:
        found.update(previous.filter(pl.col("instance_id").is_in(list(kept_instances)))["identity"].to_list())
    found.discard(None)
    found.discard(NOISE)
    return found


def nearest_identities(assignment: Assignment, ids: list[str], face_vectors: dict[str, np.ndarray],
                       appearance: np.ndarray | None, wanted: list[str]) -> dict[str, tuple[str, float, str]]:
    """instance_id -> (identity, cosine, space) of the nearest identity, without thresholds: for instances a
    reviewer kept that no identity took. Faces are compared to face prototypes, other instances to each
    identity's mean appearance."""
    index = {i: k for k, i in enumerate(assignment.instance_ids)}
    face_groups = [(ids[g], np.asarray(g_["vector"])) for g, g_ in enumerate(assignment.groups) if g_["has_faces"]]
    out: dict[str, tuple[str, float, str]] = {}
    app_protos: list[tuple[str, np.ndarray]] = []
    if appearance is not None:
        unit = normalise(appearance)
        for g, group in enumerate(assignment.groups):
            members = [m for m in group["members"] if np.abs(unit[m]).sum() > 0]
            if members:
                app_protos.append((ids[g], normalise(unit[members].mean(axis=0, keepdims=True))[0]))
    for instance_id in wanted:
        if instance_id in face_vectors and face_groups:
            vector = normalise(np.asarray(face_vectors[instance_id])[None])[0]
            sims = [float(vector @ p) for _, p in face_groups if len(p) == len(vector)]
            if sims:
                best = int(np.argmax(sims))
                out[instance_id] = (face_groups[best][0], sims[best], "face")
                continue
        k = index.get(instance_id)
        if k is not None and app_protos and np.abs(appearance[k]).sum() > 0:
            vector = normalise(appearance[k][None])[0]
            sims = [float(vector @ p) for _, p in app_protos]
            best = int(np.argmax(sims))
            out[instance_id] = (app_protos[best][0], sims[best], "appearance")
    return out


def place_kept(table: pl.DataFrame, kept: set[str], nearest: dict[str, tuple[str, float, str]]
               ) -> tuple[pl.DataFrame, list[str]]:
    """Kept instances left as noise by clustering join their nearest identity (``by = kept``). An instance that a
    reviewer's own decision put in noise (``source = review``) stays there. Returns the table and a message per
    kept instance that no identity could take."""
    messages: list[str] = []
    rows = table.to_dicts()
    for row in rows:
        if row["instance_id"] not in kept or row["identity"] != NOISE or row.get("source") == "review":
            continue
        found = nearest.get(row["instance_id"])
        if found is None:
            messages.append(f"instance {row['instance_id']} was kept in review but no identity can take it "
                            "(no face or appearance to compare); it stays in noise")
            continue
        row["identity"], row["by"], row["confidence"] = found[0], "kept", found[1]
    return pl.DataFrame(rows, schema=table.schema), messages


def identity_changes(previous: pl.DataFrame | None, current: pl.DataFrame, reviewed: set[str],
                     carried: pl.DataFrame | None, accepted: set[tuple[str, str]], revision: int,
                     run_id: str) -> pl.DataFrame:
    """The changes to reviewed identities a reviewer has not yet accepted or undone.

    New: an instance whose identity differs from the previous run's where either side is a reviewed identity and
    no decision made it (``source != review``); an instance of a reviewed identity that disappeared
    (``to_identity`` null). Carried: earlier changes still in effect (the instance still sits where the change put
    it), keeping their original ``from_identity``. Accepted ones ((instance, to) pairs) are dropped; a change that
    ends where it began is dropped."""
    before = dict(previous.select("instance_id", "identity").iter_rows()) if previous is not None else {}
    now = {r["instance_id"]: r for r in current.select("instance_id", "identity", "source", "by").iter_rows(named=True)}
    changes: dict[str, dict[str, Any]] = {}
    origins: dict[str, str | None] = {}
    if carried is not None:
        for row in carried.iter_rows(named=True):
            origins[row["instance_id"]] = row["from_identity"]
            current_row = now.get(row["instance_id"])
            where = current_row["identity"] if current_row else None
            if where == row["to_identity"]:
                changes[row["instance_id"]] = dict(row)
    for instance_id, old in before.items():
        row = now.get(instance_id)
        new = row["identity"] if row else None
        # a decision's own effect (a move, a split, a kept instance placed) is not a change a re-run made
        decided = row is not None and (row["source"] == "review" or row["by"] == "kept")
        if new == old or (old not in reviewed and new not in reviewed) or decided:
            continue
        origin = origins.get(instance_id, old)
        why = ("the instance is no longer in the film's kept instances" if row is None
               else f"re-run placed it by {row['by']}")
        changes[instance_id] = {"instance_id": instance_id, "from_identity": origin, "to_identity": new,
                                "revision": revision, "run_id": run_id, "why": why}
    kept = [c for c in changes.values() if c["from_identity"] != c["to_identity"]
            and (c["instance_id"], c["to_identity"] or "") not in accepted]
    return pl.DataFrame(kept, schema=CHANGE_SCHEMA).sort("instance_id")
