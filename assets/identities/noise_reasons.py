"""Why an instance is noise: one sentence per noise row of ``instance_identities`` (``why``), so that a
black-and-white frame, line art, a tiny or a missed face ends as noise with its reason, never silently. No Dagster."""

import polars as pl

from assets.identities.core import NOISE, IdentityParams


def noise_reason(by: str, source: str | None, face_miss: str | None, nearest: tuple[str, float, str] | None,
                 params: IdentityParams, face_identities: int) -> str:
    """The sentence for one noise row. ``by``: face / prototype / track / appearance (faceless); ``face_miss``:
    the faces stage's reason for an instance without a face; ``nearest``: (identity, cosine, space) of the
    nearest identity without thresholds (review_effects.nearest_identities); ``face_identities``: identities
    found from faces."""
    if source == "review":
        return "put in noise by review"
    if by in ("face", "prototype", "track"):
        if nearest is None or nearest[2] != "face":
            return ("its face is alike no other face (no identity was found from faces)" if not face_identities
                    else "its face could not be compared with the identities' faces")
        return (f"its face is in no identity's cluster and no prototype took it: nearest {nearest[0]} at cosine "
                f"{nearest[1]:.2f} (prototype_threshold {params.prototype_threshold}, or a clear lead over the "
                f"runner-up)")
    lead = f"no face ({face_miss})" if face_miss else "no face"
    if nearest is None:
        return f"{lead}; no identity whose appearance it could be compared with, and in no faceless group"
    return (f"{lead}; its appearance singles out no identity (nearest {nearest[0]} at cosine {nearest[1]:.2f}: "
            f"under that identity's own spread, appearance_threshold {params.appearance_threshold}, or not "
            f"appearance_margin {params.appearance_margin} ahead of the runner-up) and it is in no faceless group "
            f"of 3 or more alike in {params.faceless_min_shots} shots")


def with_noise_reasons(table: pl.DataFrame, face_misses: pl.DataFrame | None,
                       nearest: dict[str, tuple[str, float, str]], params: IdentityParams,
                       face_identities: int, notes: dict[str, str] | None = None) -> pl.DataFrame:
    """``table`` (instance_identities) with ``why``: the reason for each noise row, null for the others. ``notes``:
    reasons the assignment recorded itself (a join undone: its frame holds another face of that identity)."""
    misses = (dict(face_misses.select("instance_id", "reason").iter_rows())
              if face_misses is not None and face_misses.height else {})
    notes = notes or {}
    why = [((notes.get(row["instance_id"]) if row.get("source") != "review" else None)
            or noise_reason(row["by"], row.get("source"), misses.get(row["instance_id"]),
                            nearest.get(row["instance_id"]), params, face_identities))
           if row["identity"] == NOISE else None for row in table.iter_rows(named=True)]
    return table.with_columns(pl.Series("why", why, dtype=pl.String))
