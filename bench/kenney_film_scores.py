"""Scores of a materialised Kenney film (bench/kenney_film.py) against its exact truth: identities (BCubed, purity,
coverage) and cut-outs (mask IoU, boundary F, found@0.5 / 0.8, loss profile) on every kept key frame. The cut-out
scores are bench/composites.py's (assets/instances/composites.py: score_scene, loss_cause, summarise), BCubed is
assets/faces/identity_eval.py's, purity / coverage bench/kenney_image_set.py's."""

import json
import os
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

MIN_LABEL_IOU = 0.2  # a kept instance is the character it overlaps best, from this mask IoU on (a sliver is no one's)
NOISE = "noise"


def instance_labels(masks: list[np.ndarray], truths: list[tuple[str, np.ndarray]]) -> list[tuple[str | None, float]]:
    """Per predicted mask: the truth character of best mask IoU (None under MIN_LABEL_IOU) and that IoU."""
    from assets.instances.composites import mask_iou

    out = []
    for mask in masks:
        ious = [(mask_iou(mask, truth), name) for name, truth in truths]
        iou, name = max(ious, default=(0.0, None))
        out.append((name if iou >= MIN_LABEL_IOU else None, round(iou, 4)))
    return out


def identity_scores(pairs: list[tuple[str, str]]) -> dict:
    """BCubed P / R / F, purity and coverage of (true character, identity) pairs; an identity starting with
    ``noise`` is a singleton; per identity and per character purity / coverage (kenney_image_set.purity_coverage)."""
    from assets.faces.identity_eval import bcubed
    from kenney_image_set import purity_coverage

    if not pairs:
        return {"items": 0}
    identities = [NOISE if i.startswith(NOISE) else i for _, i in pairs]
    return {"items": len(pairs), **bcubed(identities, [c for c, _ in pairs], noise=NOISE),
            **purity_coverage(pairs)}


def frame_rows(scene, kept: list[np.ndarray], every: list[np.ndarray], reasons: list[str]) -> list[dict]:
    """composites.score_scene's row per visible character of one key frame, with its loss cause and, when a
    dropped instance matched it better, the filter's reason."""
    from assets.instances.composites import loss_cause, score_scene

    rows = []
    for row, best_any in zip(score_scene(scene, kept), score_scene(scene, every)):
        dropped = reasons[best_any["match"]] if best_any["iou"] > row["iou"] else None
        rows.append({**row, "iou_any": best_any["iou"], "loss": loss_cause(row, best_any["iou"]),
                     **({"dropped_reason": dropped} if dropped else {})})
    return rows


def truth_scene(label: str, characters: list) -> "object":
    """A composites.Scene of one film frame's truth (the visible alpha stands for the full one: scores read the
    visible mask, the occluded share and the cut come from the truth)."""
    from assets.instances.composites import PlacedCharacter, Scene
    from kenney_film import box_of

    placed = [PlacedCharacter(name, box_of(alpha) or (0, 0, 0, 0), alpha, alpha, occluded, cut)
              for name, alpha, occluded, cut in characters]
    return Scene(label, None, placed)


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask.shape != shape:  # frames stored at another size than the film's
        mask = cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return mask > 0


def identity_pairs(kept_ids: list[str], labels: list, rows: list[dict], identity: dict, frame_index: int
                   ) -> tuple[list, list, int]:
    """One key frame's (character, identity) pairs: of its kept instances that show a character, and of its visible
    characters (the identity of the instance that shows it best, else a singleton); and how many kept instances show
    no character. An instance without an identity is a singleton ``noise:<id>``."""
    labelled, best, unlabelled = [], {}, 0
    for instance, (name, iou) in zip(kept_ids, labels):
        who = identity.get(instance) or NOISE
        who = f"{NOISE}:{instance}" if who == NOISE else who
        if name is None:
            unlabelled += 1
            continue
        labelled.append((name, who))
        if iou > best.get(name, (0.0, ""))[0]:
            best[name] = (iou, who)
    visible = [(r["character"], best.get(r["character"], (0.0, f"{NOISE}:missed:{frame_index}:{r['character']}"))[1])
               for r in rows]
    return labelled, visible, unlabelled


def evaluate(home: Path, film: str, truth) -> dict:
    """The JSON figures of film ``film`` under ``home`` against ``truth`` (kenney_film.FilmTruth)."""
    import polars as pl

    from assets.instances.composites import loss_profile, summarise
    from resources.storage import FilmWorkspace

    os.environ["CASTFORGE_HOME"] = str(home)
    workspace = FilmWorkspace(film, Path(home))
    frames = workspace.read_table("frames")
    frames = frames.filter(pl.col("kept")) if "kept" in frames.columns else frames
    instances = workspace.read_table("filtered_instances")
    identity = dict(workspace.read_table("identity_clusters").select("instance_id", "identity").iter_rows())
    shape = (truth.meta["height"], truth.meta["width"])
    scored, labelled, visible, unlabelled = [], [], [], 0
    for frame in frames.sort("frame_index").iter_rows(named=True):
        index = frame["frame_index"]
        scene = truth_scene(f"shot{truth.shot_of(index)['shot']:03d}", truth.characters(index))
        mine = instances.filter(pl.col("frame_id") == frame["frame_id"])
        every = [read_mask(workspace.absolute(p), shape) for p in mine["mask_path"].to_list()]
        kept_flags = mine["kept"].to_list()
        kept = [m for m, k in zip(every, kept_flags) if k]
        rows = frame_rows(scene, kept, every, mine["reason"].fill_null("").to_list())
        scored += [{**r, "frame_index": index} for r in rows]
        kept_ids = [i for i, k in zip(mine["instance_id"].to_list(), kept_flags) if k]
        labels = instance_labels(kept, [(c.name, c.mask) for c in scene.characters])
        found, seen, nobody = identity_pairs(kept_ids, labels, rows, identity, index)
        labelled, visible, unlabelled = labelled + found, visible + seen, unlabelled + nobody
    by_character = {name: summarise([r for r in scored if r["character"] == name])
                    for name in sorted({r["character"] for r in scored})}
    per_shot = Counter(truth.shot_of(i)["shot"] for i in frames["frame_index"].to_list())
    seen = {(r["character"], truth.shot_of(r["frame_index"])["shot"]) for r in scored}
    cast = [(c["character"], s["shot"]) for s in truth.meta["shots"] for c in s["characters"]]
    return {"film": film, "key_frames": frames.height,
            "key_frames_per_shot": [per_shot.get(s["shot"], 0) for s in truth.meta["shots"]],
            "shots_on_kept_key_frames": {name: f"{sum((name, shot) in seen for n, shot in cast if n == name)} of "
                                               f"{sum(n == name for n, _ in cast)}"
                                         for name in sorted({n for n, _ in cast})},
            "instances": instances.height, "kept": int(instances["kept"].sum()),
            "kept_on_no_character": unlabelled, "style": style_summary(workspace),
            "identities": {"formed": len({i for _, i in labelled if not i.startswith(NOISE)}),
                           "labelled_instances": identity_scores(labelled),
                           "visible_characters": identity_scores(visible)},
            "cutouts": {**summarise(scored), "loss_profile": loss_profile(scored), "by_character": by_character,
                        "occluded_or_cut": summarise([r for r in scored
                                                      if r["occluded_fraction"] > 0.2 or r["cut_by_frame"]]),
                        "dropped_reasons": dropped_reasons(scored)}}


def dropped_reasons(rows: list[dict]) -> dict:
    """How often each filter reason dropped the instance that matched a character best."""
    return dict(Counter(r["dropped_reason"].split(":")[0][:60] for r in rows if r.get("dropped_reason")).most_common())


def style_summary(workspace) -> dict:
    """What ``preset: auto`` chose (films/<film>/style.json): shots per preset, and whether the film is mixed."""
    path = workspace.root / "style.json"
    if not path.is_file():
        return {"preset": None, "reason": "no style.json: the film's config names its preset"}
    style = json.loads(path.read_text())
    return {"preset": style.get("preset"), "reason": style.get("reason"), "mixed": style.get("mixed"),
            "shots_by_preset": dict(Counter(s.get("preset") for s in style.get("shots", {}).values()))}
