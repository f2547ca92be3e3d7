"""Reference sets per identity: anchors, coverage and challenge images chosen from its faces. No Dagster, no model.

*anchors* (the clearest: strict gate, frontal, sharp, unoccluded) identify the character for InstantID / IP-Adapter /
PuLID; *coverage* holds the best face per bucket of yaw, pitch, expression, occlusion and lighting, plus faces that
are novel in a general-vision embedding, until every bucket that has a stable face is filled and novelty plateaus;
*challenge* faces are hard (extreme pose, dark, occluded) yet still close to the identity's prototype, for checking a
trained model. Every choice and every empty bucket is explained in the identity's meta.json.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

SETS = ("anchors", "coverage", "challenge")
YAW_BINS = ("yaw-45", "yaw-30", "yaw-15", "yaw0", "yaw+15", "yaw+30", "yaw+45")
PITCH_BINS = ("pitch-30", "pitch-15", "pitch0", "pitch+15", "pitch+30")
EXPRESSIONS = ("neutral", "smile", "mouth_open", "eyes_closed")
OCCLUSION_BINS = ("clear", "partly_occluded", "occluded")
LIGHTING_BINS = ("even", "side_lit", "dark", "bright")
AXES = {"yaw": YAW_BINS, "pitch": PITCH_BINS, "expression": EXPRESSIONS, "occlusion": OCCLUSION_BINS,
        "lighting": LIGHTING_BINS}
# MediaPipe 468-point topology: inner lips, mouth corners, outer / inner eye corners, eyelids
LIP_TOP, LIP_BOTTOM, MOUTH_LEFT, MOUTH_RIGHT = 13, 14, 61, 291
EYE_OUTER_L, EYE_INNER_L, EYE_OUTER_R, EYE_INNER_R = 33, 133, 263, 362
LID_L, LOW_L, LID_R, LOW_R = 159, 145, 386, 374


@dataclass(frozen=True)
class ReferenceParams:
    ratio: str = "4:12:6"               # anchors:coverage:challenge, the most images of each set per identity
    min_faces: int = 1                  # identities with fewer faces get no reference sets (meta.json says why)
    min_stability: float = 0.3          # cos(face, prototype) a coverage or challenge face needs
    anchor_max_yaw: float = 15.0        # anchors: near-frontal (degrees) ...
    anchor_max_pitch: float = 15.0
    anchor_min_visible: float = 0.9     # ... and unoccluded (share of the face box the cut-out covers)
    novelty_min: float = 0.08           # a face is novel when its embedding is this far (cosine) from every saved one
    novelty_patience: int = 3           # novelty has plateaued after this many faces in a row that are not novel
    dark_below: float = 60.0            # face luma (0-255) under which a face is dark ...
    bright_above: float = 190.0         # ... over which it is bright
    side_lit_above: float = 0.25        # |left - right| luma / mean luma over which it is lit from the side
    mouth_open_above: float = 0.09      # inner-lip gap / eye-corner distance
    eyes_closed_below: float = 0.15     # eyelid gap / eye width (both eyes)
    smile_lift_above: float = 0.035     # mouth corners above the lip centre / eye-corner distance
    context: float = 0.6                # saved images: the face box plus this share of its size on each side
    pairs_per_couple: int = 3           # pair set: key frames kept per two identities seen together (0: none)
    pair_max_overlap: float = 0.2       # ... whose boxes overlap at most this (share of the smaller box)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "ReferenceParams":
        params = cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})
        params.set_sizes()
        return params

    def set_sizes(self) -> dict[str, int]:
        parts = str(self.ratio).split(":")
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"identity_references.ratio {self.ratio!r}: expected anchors:coverage:challenge "
                             "counts, e.g. 4:12:6")
        return dict(zip(SETS, (int(p) for p in parts)))


def yaw_bin(yaw: float | None) -> str | None:
    """7 bins centred on 0, +-15, +-30, +-45 degrees (beyond 37.5 is +-45)."""
    if yaw is None or not np.isfinite(yaw):
        return None
    size = abs(yaw)
    centre = 0 if size <= 5 else 15 if size <= 22.5 else 30 if size <= 37.5 else 45
    return "yaw0" if centre == 0 else f"yaw{'+' if yaw > 0 else '-'}{centre}"


def pitch_bin(pitch: float | None) -> str | None:
    """5 bins centred on 0, +-15, +-30 degrees."""
    if pitch is None or not np.isfinite(pitch):
        return None
    size = abs(pitch)
    centre = 0 if size <= 7.5 else 15 if size <= 22.5 else 30
    return "pitch0" if centre == 0 else f"pitch{'+' if pitch > 0 else '-'}{centre}"


def expression(points: np.ndarray | None, score: float | None, params: ReferenceParams) -> tuple[str | None, str]:
    """(expression, how it was judged) from a 468-point face mesh; (None, reason) when it cannot be judged."""
    if points is None:
        return None, "no face landmarks (drawn face or landmarker not run)"
    if score is None or score <= 0:
        return None, f"the face mesh does not fit this face (presence logit {score:.2f})"
    p = np.asarray(points, dtype=np.float64)[:, :2]
    eyes = np.linalg.norm(p[EYE_OUTER_L] - p[EYE_OUTER_R])
    if eyes <= 1e-6:
        return None, "degenerate landmarks"
    gap = np.linalg.norm(p[LIP_TOP] - p[LIP_BOTTOM]) / eyes
    open_l = np.linalg.norm(p[LID_L] - p[LOW_L]) / max(np.linalg.norm(p[EYE_OUTER_L] - p[EYE_INNER_L]), 1e-6)
    open_r = np.linalg.norm(p[LID_R] - p[LOW_R]) / max(np.linalg.norm(p[EYE_OUTER_R] - p[EYE_INNER_R]), 1e-6)
    lift = ((p[LIP_TOP, 1] + p[LIP_BOTTOM, 1]) / 2 - (p[MOUTH_LEFT, 1] + p[MOUTH_RIGHT, 1]) / 2) / eyes
    measures = f"lip gap {gap:.3f}, eye opening {max(open_l, open_r):.3f}, corner lift {lift:.3f}"
    if max(open_l, open_r) < params.eyes_closed_below:
        return "eyes_closed", measures
    if gap > params.mouth_open_above:
        return "mouth_open", measures
    if lift > params.smile_lift_above:
        return "smile", measures
    return "neutral", measures


def occlusion_bin(visible: float | None, params: ReferenceParams) -> str | None:
    if visible is None or not np.isfinite(visible):
        return None
    return "clear" if visible >= params.anchor_min_visible else "partly_occluded" if visible >= 0.6 else "occluded"


def lighting_bin(luma: float | None, asymmetry: float | None, params: ReferenceParams) -> str | None:
    if luma is None or not np.isfinite(luma):
        return None
    if luma < params.dark_below:
        return "dark"
    if luma > params.bright_above:
        return "bright"
    return "side_lit" if asymmetry is not None and asymmetry > params.side_lit_above else "even"


def face_light(face_rgb: np.ndarray) -> tuple[float, float]:
    """(mean luma, |left - right| / mean) of a face crop: how dark and how one-sided its light is."""
    luma = face_rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    mean = float(luma.mean()) if luma.size else 0.0
    half = luma.shape[1] // 2
    if half == 0 or mean <= 1e-6:
        return mean, 0.0
    return mean, float(abs(luma[:, :half].mean() - luma[:, half:].mean()) / mean)


def difficulty(row: dict[str, Any]) -> float:
    """How hard a face is to recognise: extreme pose, darkness and occlusion add up."""
    score = 0.0
    score += max(0.0, (abs(row.get("yaw") or 0.0) - 25.0) / 45.0)
    score += max(0.0, (abs(row.get("pitch") or 0.0) - 15.0) / 30.0)
    score += {"dark": 1.0, "side_lit": 0.4}.get(row.get("lighting") or "", 0.0)
    score += {"occluded": 1.0, "partly_occluded": 0.5}.get(row.get("occlusion") or "", 0.0)
    return score


def select_references(candidates: pl.DataFrame, vectors: np.ndarray, params: ReferenceParams
                      ) -> tuple[pl.DataFrame, dict[str, Any]]:
    """One identity's picks and its meta. ``candidates``: one row per face (face_id, quality, gated, stability,
    yaw, pitch, visible, and the bins yaw_bin, pitch_bin, expression, occlusion, lighting), ``vectors`` their
    general-vision unit embeddings (rows aligned). Returns rows (the candidate columns + ``set``, ``novelty``,
    ``reason``) and the meta (coverage per axis, empty buckets and why, stop reason)."""
    sizes = params.set_sizes()
    rows = candidates.with_row_index("_row").to_dicts()
    for row in rows:
        row["stability"] = row["stability"] if row["stability"] is not None and np.isfinite(row["stability"]) else None
    chosen: dict[int, tuple[str, str]] = {}   # row -> (set, reason)
    anchors = sorted((r for r in rows if _anchor_ok(r, params)),
                     key=lambda r: -(r["quality"] * (r["visible"] or 0.0)))[:sizes["anchors"]]
    for r in anchors:
        chosen[r["_row"]] = ("anchors", "strict gate, frontal, sharp, unoccluded")
    stable = [r for r in rows if r["stability"] is not None and r["stability"] >= params.min_stability]
    stable_rows = {r["_row"] for r in stable}
    coverage: dict[str, dict[str, Any]] = {}
    for axis, buckets in AXES.items():
        key = "yaw_bin" if axis == "yaw" else "pitch_bin" if axis == "pitch" else axis
        coverage[axis] = {}
        for bucket in buckets:
            in_bucket = [r for r in rows if r[key] == bucket]
            good = sorted((r for r in in_bucket if r["_row"] in stable_rows),
                          key=lambda r: -r["quality"] * r["stability"])
            if good:
                best = good[0]
                if best["_row"] not in chosen and _count(chosen, "coverage") < sizes["coverage"]:
                    chosen[best["_row"]] = ("coverage", f"best of {axis} {bucket}")
                coverage[axis][bucket] = {"face_id": best["face_id"], "set": chosen.get(best["_row"], ("", ""))[0]
                                          or "not saved (coverage set full)"}
            elif in_bucket:
                top = max(r["stability"] or -1.0 for r in in_bucket)
                coverage[axis][bucket] = {"face_id": None, "empty": f"{len(in_bucket)} face(s), none stable to the "
                                          f"prototype (best {top:.2f} < {params.min_stability})"}
            else:
                coverage[axis][bucket] = {"face_id": None, "empty": "no face of this identity in this bucket"
                                          if rows else "no faces"}
    # the challenge set before novelty fills coverage: hard-but-stable faces are the rarer kind
    hard = sorted((r for r in stable if r["_row"] not in chosen and difficulty(r) > 0),
                  key=lambda r: -difficulty(r) * r["stability"])[:sizes["challenge"]]
    for r in hard:
        chosen[r["_row"]] = ("challenge", f"difficulty {difficulty(r):.2f}, stability {r['stability']:.2f}")
    novelty, stop = _add_novel(rows, stable, vectors, chosen, sizes["coverage"], params)
    picked = [{**{k: v for k, v in r.items() if k != "_row"}, "set": chosen[r["_row"]][0],
               "novelty": novelty.get(r["_row"]), "reason": chosen[r["_row"]][1]}
              for r in rows if r["_row"] in chosen]
    filled = {axis: f"{sum(1 for b in found.values() if b['face_id'])}/{len(found)}"
              for axis, found in coverage.items()}
    meta = {"faces": len(rows), "stable_faces": len(stable), "sizes": sizes,
            "counts": {s: sum(1 for p in picked if p["set"] == s) for s in SETS},
            "coverage_filled": filled, "coverage": coverage, "stop_reason": stop,
            "short": _shortfalls(rows, stable, picked, sizes, params)}
    schema = {**candidates.schema, "set": pl.String, "novelty": pl.Float64, "reason": pl.String}
    return pl.DataFrame(picked, schema=schema), meta


def _anchor_ok(row: dict[str, Any], params: ReferenceParams) -> bool:
    def known(value: Any, missing: float) -> float:  # 0.0 is a real angle: only None means unknown
        return missing if value is None else float(value)

    return (bool(row["gated"]) and abs(known(row["yaw"], 90.0)) <= params.anchor_max_yaw
            and abs(known(row["pitch"], 90.0)) <= params.anchor_max_pitch
            and known(row["visible"], 0.0) >= params.anchor_min_visible)


def _count(chosen: dict[int, tuple[str, str]], name: str) -> int:
    return sum(1 for s, _ in chosen.values() if s == name)


def _add_novel(rows: list[dict], stable: list[dict], vectors: np.ndarray, chosen: dict[int, tuple[str, str]],
               limit: int, params: ReferenceParams) -> tuple[dict[int, float], str]:
    """Add stable faces far from every saved one (best quality first) until ``novelty_patience`` faces in a row
    are not novel (plateau), the coverage set is full, or the faces run out. Returns novelty per row and why it
    stopped."""
    novelty: dict[int, float] = {}
    saved = [r["_row"] for r in rows if r["_row"] in chosen]
    for r in rows:
        if r["_row"] in chosen:
            others = [s for s in saved if s != r["_row"]]
            novelty[r["_row"]] = float(1 - max((vectors[r["_row"]] @ vectors[others].T).max(), -1.0)) if others else 1.0
    misses = 0
    for r in sorted((r for r in stable if r["_row"] not in chosen), key=lambda r: -r["quality"]):
        if _count(chosen, "coverage") >= limit:
            return novelty, "coverage set full"
        value = float(1 - (vectors[r["_row"]] @ vectors[saved].T).max()) if saved else 1.0
        if value >= params.novelty_min:
            chosen[r["_row"]] = ("coverage", f"novel ({value:.3f} from every saved image)")
            novelty[r["_row"]] = value
            saved.append(r["_row"])
            misses = 0
        else:
            misses += 1
            if misses >= params.novelty_patience:
                return novelty, f"coverage satisfied and novelty plateaued ({misses} faces in a row under " \
                                f"{params.novelty_min})"
    return novelty, "faces exhausted"


def _shortfalls(rows: list[dict], stable: list[dict], picked: list[dict], sizes: dict[str, int],
                params: ReferenceParams) -> dict[str, str]:
    """Why a set holds fewer images than asked."""
    out = {}
    counts = {s: sum(1 for p in picked if p["set"] == s) for s in SETS}
    if counts["anchors"] < sizes["anchors"]:
        ok = sum(1 for r in rows if _anchor_ok(r, params))
        out["anchors"] = (f"{ok} face(s) pass the strict gate, are within {params.anchor_max_yaw:g} degrees of "
                          f"frontal and unoccluded (of {len(rows)})")
    if counts["challenge"] < sizes["challenge"]:
        hard = sum(1 for r in rows if difficulty(r) > 0)
        out["challenge"] = (f"{hard} hard face(s) (extreme pose, dark, side-lit or occluded), of which stable to "
                            f"the prototype and not already an anchor or a bucket's best: {counts['challenge']}")
    return out
