"""What the review UI shows, read from a film's stage tables and the catalog's decisions (no web code here).

Instances come from ``filtered_instances`` (else ``instances``); identities from ``identities`` +
``instance_identities`` with the review applied; face crops and embeddings from ``faces``.
"""

import json
from typing import Any

import numpy as np
import polars as pl

from assets.datasets.selection import character_names
from resources import review_state as rs
from resources.catalog import Catalog
from resources.storage import FilmWorkspace

SUGGESTION_MIN_SIMILARITY = 0.35
MAX_SUGGESTIONS = 12


def media_url(stored: str | None, width: int | None = None) -> str | None:
    """URL of an artefact path stored relative to CASTFORGE_HOME; with ``width``, a thumbnail that fits in a
    ``width`` square (every thumbnail is shown in a square cell)."""
    if not stored:
        return None
    return f"/media/{stored}" + (f"?w={width}&h={width}" if width else "")


def film_list(catalog: Catalog) -> list[dict[str, Any]]:
    out = []
    for film in catalog.films().iter_rows(named=True):
        workspace = FilmWorkspace(film["film"], catalog.home)
        summary = progress(workspace, catalog)
        out.append({"film": film["film"], "kind": film["kind"], "source": film["source_path"], **summary})
    return out


def _instances_table(workspace: FilmWorkspace) -> pl.DataFrame | None:
    for relation in ("filtered_instances", "instances"):
        if workspace.has_table(relation):
            table = workspace.read_table(relation)
            defaults = {"kept": True, "reason": None, "decided_by": "auto", "shot": None, "frame_id": None,
                        "area": None, "score": None}
            for column, value in defaults.items():
                if column not in table.columns:
                    table = table.with_columns(pl.lit(value).alias(column))
            return table
    return None


def instance_items(workspace: FilmWorkspace, catalog: Catalog) -> list[dict[str, Any]]:
    """Every instance with its automatic verdict and the review's (kept / category), in frame order."""
    table = _instances_table(workspace)
    if table is None:
        return []
    review = rs.instance_review(catalog, workspace.film)
    sort_by = [c for c in ("frame_id", "instance_id") if c in table.columns]
    who = _reviewed_identities(workspace, catalog)
    frames = workspace.read_optional_table("frames")
    frame_paths = dict(zip(frames["frame_id"], frames["path"])) if frames is not None and "path" in frames.columns \
        else {}
    items = []
    for row in table.sort(sort_by).iter_rows(named=True):
        state = review.get(row["instance_id"], {})
        identity = who.get(row["instance_id"], {})
        items.append({
            "instance_id": row["instance_id"], "frame_id": row["frame_id"], "shot": row["shot"],
            "area": row["area"], "score": row["score"],
            "auto_kept": bool(row["kept"]) if row["decided_by"] != "review" else None,
            "reason": row["reason"], "kept": state.get("kept"), "category": state.get("category"),
            "thumb": media_url(row.get("path"), 200), "image": media_url(row.get("path")),
            "identity": identity.get("identity"), "identity_name": identity.get("name"),
            "track_id": identity.get("track_id"), "by": identity.get("by"), "stability": identity.get("stability"),
            "why": identity.get("why"), "frame": media_url(frame_paths.get(row["frame_id"])), "overlay": media_url(row.get("overlay_path")),
            "box": [row.get(c) for c in ("x0", "y0", "x1", "y1")] if row.get("x0") is not None else None,
        })
    return items


def shown_names(film: str, identities: list[str], names: dict[str, str]) -> dict[str, str]:
    """identity -> what the review calls it: the name it has in every export (``character_names``: the reviewed
    name, else ``<film>_char<n>``); ``rs.identity_display_name`` over this shows it (noise stays "noise")."""
    ids = sorted({str(i) for i in [*identities, *names] if i is not None})
    table = pl.DataFrame({"identity": ids, "name": [names.get(i) for i in ids]},
                         schema={"identity": pl.String, "name": pl.String})
    return {identity: trigger for identity, (trigger, _) in character_names(table, film).items()}


def _reviewed_identities(workspace: FilmWorkspace, catalog: Catalog) -> dict[str, dict[str, Any]]:
    """instance_id -> its identity as the review has it (id, display name, track, how placed, stability)."""
    assignments = workspace.read_optional_table("instance_identities")
    if assignments is None:
        return {}
    review = rs.identity_review(catalog, workspace.film)
    reviewed, _ = rs.apply_identity_review(assignments, review)
    names = {}
    identities = workspace.read_optional_table("identities")
    if identities is not None:
        names = {i: n for i, n in zip(identities["identity"], identities["name"]) if n}
    names.update(review.names)
    names = shown_names(workspace.film, [*reviewed["identity"].unique().to_list(),
                                         *(identities["identity"] if identities is not None else [])], names)
    out = {}
    for row in reviewed.iter_rows(named=True):
        stability = row.get("stability")
        out[row["instance_id"]] = {"identity": row["identity"],
                                   "name": rs.identity_display_name(row["identity"], names),
                                   "track_id": row.get("track_id"), "by": row.get("by"),
                                   "stability": None if stability is None or stability != stability
                                   else round(float(stability), 3),
                                   # why clustering left it in noise; moot once a decision placed it
                                   "why": row.get("why") if row["identity"] == rs.NOISE else None}
    return out


def progress(workspace: FilmWorkspace, catalog: Catalog) -> dict[str, Any]:
    """The film's review state at a glance."""
    table = _instances_table(workspace)
    ids = set(table["instance_id"].to_list()) if table is not None else set()
    review = rs.instance_review(catalog, workspace.film)
    decided = {i: s for i, s in review.items() if i in ids}
    history = rs.decisions(catalog, workspace.film)
    identity_changes = history.filter(pl.col("kind").is_in(list(rs.IDENTITY_KINDS))) if history.height else history
    return {
        "revision": rs.review_revision(catalog, workspace.film),
        "instances": len(ids),
        "reviewed": sum(1 for s in decided.values() if s["kept"] is not None),
        "kept": sum(1 for s in decided.values() if s["kept"] is True),
        "discarded": sum(1 for s in decided.values() if s["kept"] is False),
        "tagged": sum(1 for s in decided.values() if s["category"]),
        "identity_decisions": identity_changes.height,
        "has_identities": workspace.has_table("instance_identities"),
    }


def history(catalog: Catalog, film: str, limit: int = 50, workspace: FilmWorkspace | None = None
            ) -> list[dict[str, Any]]:
    """Latest decisions first, undone ones included (marked). With the film's ``workspace``, identities are shown
    by their names and instances by a thumbnail (``item_name``, ``from_name``, ``to_name``, ``thumb``)."""
    rows = rs.decisions(catalog, film, active_only=False)
    names = rs.identity_review(catalog, film).names
    paths: dict[str, str] = {}
    if workspace is not None:
        table = _instances_table(workspace)
        paths = dict(zip(table["instance_id"], table["path"])) if table is not None and "path" in table.columns else {}
    out = []
    for row in reversed(rows.tail(limit).to_dicts()):
        out.append({"revision": row["revision"], "kind": row["kind"], "item_id": row["item_id"],
                    "from_value": row["from_value"], "to_value": row["to_value"], "author": row["author"],
                    "created_at": row["created_at"].isoformat(timespec="seconds"),
                    "undone": row["superseded_by"] is not None and row["kind"] not in ("undo", "redo"),
                    "payload": json.loads(row["payload"]) if row["payload"] else None,
                    "item_name": names.get(row["item_id"]) or row["item_id"],
                    "from_name": rs.identity_display_name(row["from_value"], names) if row["from_value"] else None,
                    "to_name": rs.identity_display_name(row["to_value"], names) if row["to_value"] else None,
                    "thumb": media_url(paths.get(row["item_id"] or ""), 200)})
    return out


def describe_revision(catalog: Catalog, film: str, revision: int, limit: int = 5) -> list[str]:
    """What the decisions of one revision did, in words ("keep a1", "move b4 to Ann", ... and N more)."""
    rows = rs.decisions(catalog, film, active_only=False)
    rows = rows.filter((pl.col("revision") == revision) & ~pl.col("kind").is_in(["undo", "redo"]))
    names = rs.identity_review(catalog, film).names
    words = []
    for row in rows.head(limit).iter_rows(named=True):
        target = rs.identity_display_name(row["to_value"], names) if row["to_value"] else ""
        item = rs.identity_display_name(row["item_id"], names)
        words.append(f"{row['kind']} {item}" + (f" to {target}" if target and row["kind"] != "keep" else ""))
    if rows.height > limit:
        words.append(f"and {rows.height - limit} more")
    return words


def _normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def identity_view(workspace: FilmWorkspace, catalog: Catalog, members_per_identity: int = 48) -> dict[str, Any]:
    """Reviewed identities (largest first, noise last), each with faces and its first ``members_per_identity`` items
    (far from its prototype first; ``more`` counts the rest, see ``identity_members``), merge suggestions from
    prototype similarity, and decisions whose items no longer exist."""
    view = _cached_identity_view(workspace, catalog)
    identities = [{**identity, "members": identity["members"][:members_per_identity],
                   "more": max(0, len(identity["members"]) - members_per_identity)} for identity in view["identities"]]
    return {**view, "identities": identities}


def identity_members(workspace: FilmWorkspace, catalog: Catalog, identity: str, offset: int = 0,
                     limit: int = 96) -> dict[str, Any] | None:
    """One page of an identity's items in the view's order (far from the prototype first): ``offset`` .. +``limit``,
    with ``size`` and ``more`` (items after the page); None when the reviewed state has no such identity."""
    for found in _cached_identity_view(workspace, catalog)["identities"]:
        if found["identity"] == identity:
            members = found["members"]
            page = members[offset:offset + limit]
            return {"identity": identity, "size": len(members), "offset": offset, "members": page,
                    "more": max(0, len(members) - offset - len(page))}
    return None


_VIEW_CACHE: dict[tuple, dict[str, Any]] = {}
_VIEW_CACHE_SIZE = 4


def _cached_identity_view(workspace: FilmWorkspace, catalog: Catalog) -> dict[str, Any]:
    """The full view, built once per (film, review revision, stage tables' versions): paging through an identity of
    thousands of items re-uses it instead of re-reading the tables and the decisions for every page. Callers must
    not modify it."""
    tables = []
    for relation in ("instance_identities", "identities", "filtered_instances", "instances", "faces"):
        path = workspace.table_path(relation)
        stat = path.stat() if path.exists() else None
        tables.append((relation, stat.st_mtime_ns, stat.st_size) if stat else (relation, None, None))
    key = (str(catalog.home), workspace.film, rs.review_revision(catalog, workspace.film), tuple(tables))
    view = _VIEW_CACHE.get(key)
    if view is None:
        view = _full_identity_view(workspace, catalog)
        if len(_VIEW_CACHE) >= _VIEW_CACHE_SIZE:
            _VIEW_CACHE.pop(next(iter(_VIEW_CACHE)))
        _VIEW_CACHE[key] = view
    return view


def _full_identity_view(workspace: FilmWorkspace, catalog: Catalog) -> dict[str, Any]:
    if not workspace.has_table("instance_identities"):
        return {"identities": [], "suggestions": [], "missing": [], "available": False}
    assignments = workspace.read_table("instance_identities")
    for column, value in (("source", "auto"), ("confidence", None)):
        if column not in assignments.columns:
            assignments = assignments.with_columns(pl.lit(value).alias(column))
    review = rs.identity_review(catalog, workspace.film)
    reviewed, missing = rs.apply_identity_review(assignments, review)
    # names the clustering stage stored (from a franchise's prototype store, or a review applied when it last ran);
    # a name that came from a rename since undone is not shown
    history = rs.decisions(catalog, workspace.film, active_only=False)
    renamed_before = {(r["item_id"], r["to_value"]) for r in history.iter_rows(named=True) if r["kind"] == "rename"}
    names, known = {}, list(reviewed["identity"].unique())
    if workspace.has_table("identities"):
        for row in workspace.read_table("identities").iter_rows(named=True):
            known.append(row["identity"])
            if row.get("name") and (row["identity"], row["name"]) not in renamed_before:
                names[row["identity"]] = row["name"]
    names.update(review.names)
    shown = shown_names(workspace.film, known, names)

    instances = _instances_table(workspace)
    paths = dict(zip(instances["instance_id"], instances["path"])) if instances is not None else {}
    faces = workspace.read_table("faces") if workspace.has_table("faces") else None
    face_of: dict[str, dict[str, Any]] = {}
    if faces is not None and faces.height:
        biggest = faces.sort("face_size", descending=True).unique("instance_id", keep="first")
        for row in biggest.iter_rows(named=True):
            face_of[row["instance_id"]] = row

    groups: dict[str, list[dict[str, Any]]] = {}
    for row in reviewed.iter_rows(named=True):
        groups.setdefault(row["identity"], []).append(row)
    prototypes: dict[str, np.ndarray] = {}
    identities = []
    for identity, rows in groups.items():
        embedded = [r for r in rows if r["instance_id"] in face_of and face_of[r["instance_id"]].get("embedding")]
        distance: dict[str, float] = {}
        if embedded:
            vectors = _normalise(np.array([face_of[r["instance_id"]]["embedding"] for r in embedded], np.float32))
            prototype = _normalise(vectors.mean(axis=0, keepdims=True))[0]
            prototypes[identity] = prototype
            distance = {r["instance_id"]: float(1 - v @ prototype) for r, v in zip(embedded, vectors)}
        for r in rows:  # without a face, low clustering confidence counts as far
            distance.setdefault(r["instance_id"], 1.0 - float(r["confidence"]) if r["confidence"] is not None else 0.5)
        rows = sorted(rows, key=lambda r: -distance[r["instance_id"]])
        members = [{
            "instance_id": r["instance_id"], "source": r["source"], "distance": round(distance[r["instance_id"]], 3),
            "thumb": media_url(paths.get(r["instance_id"]), 200),  # the grid's size: one cached thumbnail
            "face": media_url(face_of.get(r["instance_id"], {}).get("crop_path")),
            "track_id": r.get("track_id"),
        } for r in rows]
        identities.append({
            "identity": identity, "name": rs.identity_display_name(identity, shown), "renamed": identity in names,
            "size": len(rows), "noise": identity == rs.NOISE or review.noise.get(identity, False),
            "faces": [m["face"] for m in members if m["face"]][:12],
            "members": members, "tracks": _track_strip(members),
        })
    identities.sort(key=lambda i: (i["noise"], -i["size"], i["identity"]))
    run_messages = _run_summary(workspace).get("review", [])
    return {"identities": identities, "suggestions": merge_suggestions(prototypes, shown),
            "missing": list(dict.fromkeys([*missing, *run_messages])), "available": True,
            "effects": review_effects(workspace, catalog, review, shown, paths)}


def _run_summary(workspace: FilmWorkspace) -> dict[str, Any]:
    """What identity_clusters wrote about its last run (identity_clustering.json), {} before any run."""
    path = workspace.artefact_dir("identities") / "identity_clustering.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def review_effects(workspace: FilmWorkspace, catalog: Catalog, review: rs.IdentityReview, names: dict[str, str],
                   paths: dict[str, str]) -> dict[str, Any]:
    """Whether the dataset reflects the review: decisions made after identity_clusters last ran (not in the
    dataset until a re-run), the assets built from the review that are behind it (references and exports not
    re-run since), the command that re-runs them, and changes the last re-run made to reviewed identities that
    nobody has accepted or undone yet (an undo is a move back: pinned, in the dataset after the next run)."""
    run_revision = _run_summary(workspace).get("review_revision")
    revision = rs.review_revision(catalog, workspace.film)
    last, behind = review_reach(workspace, revision)
    active = rs.decisions(catalog, workspace.film)
    pending = []
    if run_revision is not None:
        for row in active.filter(pl.col("revision") > run_revision).iter_rows(named=True):
            pending.append({"revision": row["revision"], "kind": row["kind"], "item_id": row["item_id"],
                            "to_value": row["to_value"]})
    undone_revisions = revision - (run_revision or 0) if run_revision is not None else 0
    moved_after: dict[str, int] = {}
    for row in active.filter(pl.col("kind") == "move").iter_rows(named=True):
        moved_after[row["item_id"]] = max(moved_after.get(row["item_id"], 0), row["revision"])
    changes = []
    if workspace.has_table("identity_changes"):
        for row in workspace.read_table("identity_changes").sort("instance_id").iter_rows(named=True):
            if (row["instance_id"], row["to_identity"] or "") in review.accepted:
                continue
            undone = moved_after.get(row["instance_id"], -1) > row["revision"]
            changes.append({**{k: row[k] for k in ("instance_id", "from_identity", "to_identity", "why")},
                            "from_name": rs.identity_display_name(row["from_identity"], names),
                            "to_name": rs.identity_display_name(row["to_identity"], names) or "(gone)",
                            "thumb": media_url(paths.get(row["instance_id"]), 200),
                            "status": "undone: in the dataset after the next run" if undone else "to review"})
    return {"run_revision": run_revision, "revision": revision, "pending": pending,
            "revisions_since_run": max(0, undone_revisions),
            "rerun": rerun_command(workspace.film, last), "behind": behind,
            "changes": changes}


def review_reach(workspace: FilmWorkspace, revision: int) -> tuple[list[str], list[str]]:
    """What the review reaches in this film, from its stage records: (the last of the assets that read the review or
    read what such an asset wrote: identity folders, references, exports; the reached assets not yet built from the
    review's current revision: they read an older revision, or inputs since rebuilt, or an asset that is behind)."""
    from resources.lineage import relation_key
    from resources.relations import FILM_SOURCE, REVIEW, writer_of

    records: dict[str, dict[str, Any]] = {}
    for path in sorted(workspace.stage_record_path("x").parent.glob("*.stage.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # a record being written: the next page load reads it
        records[record.get("asset") or path.name.removesuffix(".stage.json")] = record
    inputs = {asset: record.get("inputs") or {} for asset, record in records.items()}
    upstream = {asset: {writer_of(name) for name in read if name not in (FILM_SOURCE, REVIEW)} - {asset}
                for asset, read in inputs.items()}
    reached = {asset for asset, read in inputs.items() if REVIEW in read}
    behind = {asset for asset in reached if inputs[asset][REVIEW] != f"r{revision}"}
    grew = True
    while grew:
        grew = False
        for asset, parents in upstream.items():
            if asset not in reached and parents & reached:
                reached.add(asset)
                grew = True
            rebuilt = any(writer_of(name) in records and relation_key(records[writer_of(name)], name) != value
                          for name, value in inputs[asset].items() if name not in (FILM_SOURCE, REVIEW))
            if asset in reached and asset not in behind and (rebuilt or parents & behind):
                behind.add(asset)
                grew = True
    feeding = set().union(*(upstream[a] for a in reached)) if reached else set()
    return sorted(reached - feeding), sorted(behind)


def rerun_command(film: str, last: list[str]) -> str:
    """The command that rebuilds ``last`` and, first, every stale asset before them (`castforge materialize`)."""
    return f"castforge materialize {film} --select {','.join(last or ['identity_clusters'])}"


def _track_strip(members: list[dict[str, Any]], limit: int = 24) -> list[dict[str, Any]]:
    """An identity's tracks (shot order), each with its size, its members and one thumbnail."""
    tracks: dict[str, dict[str, Any]] = {}
    for member in members:
        if member.get("track_id"):
            track = tracks.setdefault(member["track_id"], {"track_id": member["track_id"], "members": [],
                                                           "thumb": member["thumb"]})
            track["members"].append(member["instance_id"])

    def shot_order(track_id: str) -> tuple:
        shot, _, number = track_id.partition("-t")
        return (int(shot[1:]) if shot[1:].isdigit() else 10**9, int(number) if number.isdigit() else 0, track_id)

    ordered = [tracks[t] for t in sorted(tracks, key=shot_order)]
    return [{**t, "size": len(t["members"])} for t in ordered[:limit]]


def merge_suggestions(prototypes: dict[str, np.ndarray], names: dict[str, str]) -> list[dict[str, Any]]:
    """Pairs of identities whose face prototypes are alike ("same character?"), most similar first."""
    keys = sorted(k for k in prototypes if k != rs.NOISE)
    if len(keys) < 2:
        return []
    matrix = np.stack([prototypes[k] for k in keys])
    similarity = matrix @ matrix.T
    pairs = []
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if similarity[i, j] >= SUGGESTION_MIN_SIMILARITY:
                pairs.append({"a": keys[i], "b": keys[j], "a_name": rs.identity_display_name(keys[i], names),
                              "b_name": rs.identity_display_name(keys[j], names),
                              "similarity": round(float(similarity[i, j]), 3)})
    pairs.sort(key=lambda p: -p["similarity"])
    return pairs[:MAX_SUGGESTIONS]
