"""Temporal analysis figures (JSON on stdout): camera motion on exact synthetic moves, shot types and scenes
against hand labels, effects precision / recall on exact insertions and on real footage labelled by eye, cost
against the frames stage.

    .venv/bin/python bench/temporal.py [--only camera,motion,effects,effects_real,scenes,cost] [--home DIR]

Camera moves and effects are rendered over real frames of the shared videos: frames of the Penny & Chip film are
the tuning set the thresholds were chosen on; Big Buck Bunny and Sintel frames are held out and reported apart.
Scenes: the thresholds were set on the Sintel trailer; the Penny & Chip film (26 one-shot clips, each its own
scene) is held out. Shot types and scenes on the trailer use the labels below, made by looking at its frames.
"""

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.effects import synthetic as fx  # noqa: E402
from assets.effects.core import frame_detections  # noqa: E402
from assets.effects.params import EffectParams  # noqa: E402
from assets.effects.temporal import light_events  # noqa: E402
from assets.shot_analysis.camera import CAMERA_MOTIONS, background_mask, classify_shot_motion, pair_motion  # noqa: E402
from assets.shot_analysis.params import ShotAnalysisParams  # noqa: E402
from assets.shot_analysis.stream import frame_signals, per_frame  # noqa: E402
from assets.shot_analysis.synthetic import MOVES, ClipSpec, character_box, render_clip  # noqa: E402
from resources.paths import shared_dir  # noqa: E402

log = logging.getLogger("bench.temporal")
VIDEOS = {"penny_and_chip": "media/video/2d/penny_and_chip_26shots_480p.mp4",
          "big_buck_bunny": "media/video/big_buck_bunny_0_30.webm",
          "sintel": "media/video/sintel_trailer_480x204.mp4"}
TUNING = {"penny_and_chip"}
CHARACTERS = ("sita_front.png", "saha_front.png", "saha_side.png")
PENNY_SHOT_TYPES = Path(__file__).resolve().parent / "data" / "penny_and_chip_shot_types.csv"

# The Sintel trailer by eye (24 fps frame ranges): shot type and scene of each true shot. Title cards count as
# wide shots with nobody in them.
SINTEL_SHOTS = [  # (first frame, last frame, shot type, scene)
    (0, 129, "wide", "mountains"), (130, 225, "medium", "mountains"), (226, 292, "wide", "title"),
    (293, 333, "close_up", "hut"), (334, 380, "close_up", "hut"), (381, 437, "medium", "fight"),
    (438, 524, "wide", "alley"), (525, 572, "medium", "ruins"), (573, 622, "wide", "ruins"),
    (623, 656, "full", "sky"), (657, 682, "close_up", "sky"), (683, 719, "medium", "sky"),
    (720, 741, "medium", "sky"), (742, 777, "close_up", "sky"), (778, 862, "full", "sky"),
    (863, 990, "wide", "desert"), (991, 1252, "wide", "titles"),
]


def _stills(path: Path, count: int) -> list[np.ndarray]:
    """``count`` frames spread over the video, skipping dark or flat ones (fades, title cards)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        total = stream.frames or int(container.duration / 1e6 * float(stream.average_rate))  # webm: no count
        wanted = set(np.linspace(total * 0.05, total * 0.95, count * 3).astype(int).tolist())
        out = []
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted:
                image = frame.to_ndarray(format="bgr24")
                if image.mean() > 40 and cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).std() > 25:
                    out.append(image)
    picks = np.linspace(0, len(out) - 1, min(count, len(out))).astype(int)
    return [out[i] for i in picks]


def _classify(frames: list[np.ndarray], boxes: list | None, params: ShotAnalysisParams) -> str | None:
    width = params.analysis_width
    greys = [cv2.cvtColor(cv2.resize(f, (width, round(f.shape[0] * width / f.shape[1])), interpolation=cv2.INTER_AREA),
                          cv2.COLOR_BGR2GRAY) for f in frames]
    scale = width / frames[0].shape[1]
    pairs = []
    step = params.motion_every  # as scan_video measures: frames this far apart, spread over the frames between
    for k in range(step, len(greys), step):
        mask = background_mask(greys[k].shape, [tuple(v * scale for v in b) for b in boxes[k]]) if boxes else None
        pairs.extend([per_frame(pair_motion(greys[k - step], greys[k], mask, params), step)] * step)
    return classify_shot_motion(pairs, greys[0].shape[1], greys[0].shape[0], 24.0, params).camera_motion


def _confusion_summary(truth: list[str], predicted: list[str | None]) -> dict:
    labels = list(CAMERA_MOTIONS) + ["none"]
    matrix = {t: {p: 0 for p in labels} for t in MOVES}
    for t, p in zip(truth, predicted):
        matrix[t][p or "none"] += 1
    per_class = {t: round(matrix[t][t] / max(sum(matrix[t].values()), 1), 3) for t in MOVES}
    return {"clips": len(truth), "accuracy": round(float(np.mean([t == p for t, p in zip(truth, predicted)])), 3),
            "per_class_accuracy": per_class,
            "confusion": {t: {p: n for p, n in row.items() if n} for t, row in matrix.items()}}


def camera_bench(shared: Path, stills_per_video: int = 3) -> dict:
    """Every move at two speeds, over stills of each video, bare and with a character walking across (its box
    given to the fit as a character would be, and once withheld to show what masking buys)."""
    params = ShotAnalysisParams()
    sprites = [cv2.imread(str(shared / "media/characters_rgba" / name), cv2.IMREAD_UNCHANGED) for name in CHARACTERS]
    results: dict[str, dict[str, list]] = {}
    started = time.perf_counter()
    for video, relative in VIDEOS.items():
        split = "tuning" if video in TUNING else "held_out"
        for s, still in enumerate(_stills(shared / relative, stills_per_video)):
            for move in MOVES:
                for rate in (0.06, 0.2):
                    spec = ClipSpec(move, frames=36, rate=rate, wobble=0.004 + 0.004 * (s % 2), seed=s)
                    sprite = sprites[s % len(sprites)]
                    for variant in ("bare", "character", "character_unmasked"):
                        frames = render_clip(still, spec, None if variant == "bare" else sprite)
                        boxes = [[character_box(spec.size, sprite, k / (spec.frames - 1))]
                                 for k in range(spec.frames)] if variant == "character" else None
                        entry = results.setdefault(f"{split}/{variant}", {"truth": [], "predicted": []})
                        entry["truth"].append(move)
                        entry["predicted"].append(_classify(frames, boxes, params))
    return {"seconds": round(time.perf_counter() - started, 1),
            **{key: _confusion_summary(v["truth"], v["predicted"]) for key, v in sorted(results.items())}}


def motion_bench(shared: Path) -> dict:
    """A character crossing the frame at a known speed while the camera pans, tilts, zooms or stays: its speed
    against the background (``rel_vx``) from the tracks and frame signals, against the rendered truth."""
    import polars as pl

    from assets.motion.tracks import track_points
    from assets.shot_analysis.stream import SIGNAL_SCHEMA

    params = ShotAnalysisParams()
    sprite = cv2.imread(str(shared / "media/characters_rgba/sita_front.png"), cv2.IMREAD_UNCHANGED)
    errors: dict[str, list[float]] = {}
    for video, relative in VIDEOS.items():
        for s, still in enumerate(_stills(shared / relative, 2)):
            for move in ("static", "pan_left", "pan_right", "tilt_up"):  # a zoom has no world speed for an overlay
                spec = ClipSpec(move, frames=48, rate=0.15, seed=s)
                frames = render_clip(still, spec, sprite)
                width, height = spec.size
                boxes = [character_box(spec.size, sprite, k / (spec.frames - 1)) for k in range(spec.frames)]
                greys = [cv2.cvtColor(cv2.resize(f, (params.analysis_width, round(height * params.analysis_width
                                                                                 / width))), cv2.COLOR_BGR2GRAY)
                         for f in frames]
                scale = params.analysis_width / width
                rows = [{"frame_index": k, "timestamp_s": k / spec.fps, "shot": 0} for k in range(len(frames))]
                step = params.motion_every  # as scan_video measures
                for k in range(step, len(frames), step):
                    mask = background_mask(greys[k].shape, [tuple(v * scale for v in boxes[k - step])])
                    pair = per_frame(pair_motion(greys[k - step], greys[k], mask, params), step)
                    for row in rows[k - step + 1:k + 1]:
                        row.update(dx=pair.dx / params.analysis_width, dy=pair.dy / params.analysis_width,
                                   log_scale=pair.log_scale)
                signals = pl.DataFrame(rows, schema={k: SIGNAL_SCHEMA[k] for k in ("frame_index", "timestamp_s",
                                                                                  "shot", "dx", "dy", "log_scale")})
                keys = list(range(0, spec.frames, 6))
                table = pl.DataFrame({"instance_id": [f"i{k}" for k in keys], "frame_id": [f"f{k}" for k in keys],
                                      "shot": [0] * len(keys), "timestamp_s": [k / spec.fps for k in keys],
                                      "x0": [boxes[k][0] for k in keys], "y0": [boxes[k][1] for k in keys],
                                      "x1": [boxes[k][2] for k in keys], "y1": [boxes[k][3] for k in keys]})
                key_frames = pl.DataFrame({"frame_id": [f"f{k}" for k in keys], "frame_index": keys,
                                           "width": [width] * len(keys), "height": [height] * len(keys)})
                points = track_points(table, key_frames, None, signals).drop_nulls("rel_vx")
                # inside the frame the sprite is not clipped: its centre moves at a constant speed
                inside = points.filter((pl.col("cx") > 0.25 * width) & (pl.col("cx") < 0.75 * width))
                sprite_width = int(sprite.shape[1] * int(height * 0.6) / sprite.shape[0])  # as paste() sizes it
                frame_speed = (width - 0.6 * sprite_width) / (spec.frames - 1) * spec.fps
                camera = {"pan_right": spec.rate * width, "pan_left": -spec.rate * width}.get(move, 0.0)
                truth = frame_speed + camera
                if inside.height:
                    errors.setdefault(move, []).append(abs(float(inside["rel_vx"].median()) - truth) / abs(truth))
    return {move: {"clips": len(v), "median_relative_error": round(float(np.median(v)), 3),
                   "max_relative_error": round(float(np.max(v)), 3)} for move, v in errors.items()}


def _precision_recall(truth: list[bool], found: list[bool]) -> dict:
    tp = sum(t and f for t, f in zip(truth, found))
    fp = sum(f and not t for t, f in zip(truth, found))
    fn = sum(t and not f for t, f in zip(truth, found))
    return {"positives": sum(truth), "negatives": len(truth) - sum(truth),
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None}


def effects_bench(shared: Path, stills_per_video: int = 8) -> dict:
    """Each inserted effect against every still left clean (plus the other insertions as negatives)."""
    params = EffectParams()
    rng = np.random.default_rng(11)
    sprite = cv2.imread(str(shared / "media/characters_rgba/saha_front.png"), cv2.IMREAD_UNCHANGED)
    kinds = ("snow", "rain", "lens_flare", "motion_blur", "depth_of_field", "bloom")
    out: dict[str, dict] = {}
    for split in ("tuning", "held_out"):
        truth: dict[str, list[bool]] = {k: [] for k in kinds}
        found: dict[str, list[bool]] = {k: [] for k in kinds}
        for video, relative in VIDEOS.items():
            if (video in TUNING) != (split == "tuning"):
                continue
            for still in _stills(shared / relative, stills_per_video):
                sharp, box = fx.shallow_focus(still, sprite, None)
                blurred, _ = fx.shallow_focus(still, sprite, 4.0)
                cases = {None: (still, []), "none_with_character": (sharp, [box]),
                         "snow": (fx.add_snow(still, rng), []), "rain": (fx.add_rain(still, rng), []),
                         "lens_flare": (fx.add_lens_flare(still, rng), []),
                         "motion_blur": (fx.add_motion_blur(still, float(rng.uniform(0, 180)), 15), []),
                         "depth_of_field": (blurred, [box]),
                         "crisp_lights": (fx.add_lights(still, rng), []),  # bloom's negative: the same lamps
                         "bloom": (fx.add_lights(still, rng, glow=float(rng.uniform(0.5, 0.9))), [])}
                for inserted, (picture, boxes) in cases.items():
                    seen = {f["effect"] for f in frame_detections(picture, boxes, params)}
                    for kind in kinds:
                        if kind == "bloom" and inserted == "lens_flare":
                            continue  # a flare's source is drawn glowing: bloom there is right, not a false alarm
                        truth[kind].append(inserted == kind)
                        found[kind].append(kind in seen)
        out[split] = {kind: _precision_recall(truth[kind], found[kind]) for kind in kinds}
    out["flash"] = _flash_bench(shared, params)
    return out


def _flash_bench(shared: Path, params: EffectParams) -> dict:
    """Flashes of random strength (0.25-0.7 toward white, 2-4 frames) inside camera moves, against the same clips
    without; a detection counts when it overlaps the inserted flash."""
    rng = np.random.default_rng(5)
    truth, found, onsets = [], [], []
    for video, relative in VIDEOS.items():
        for s, still in enumerate(_stills(shared / relative, 4)):
            for flash in (False, True):
                frames = render_clip(still, ClipSpec(MOVES[s % len(MOVES)], frames=48, seed=s))
                start, length = int(rng.integers(14, 36)), int(rng.integers(2, 5))
                if flash:
                    strength = float(rng.uniform(0.25, 0.7))
                    frames[start:start + length] = [fx.add_flash(f, strength) for f in frames[start:start + length]]
                rows = [{"frame_index": i, "timestamp_s": i / 24, "shot": 0, **frame_signals(
                    cv2.resize(f, (192, 108)))} for i, f in enumerate(frames)]
                import polars as pl

                events = light_events(pl.DataFrame(rows), 24.0, params)
                hits = [e for e in events if e["effect"] == "flash"]
                truth.append(flash)
                found.append(any(abs(e["start_s"] - start / 24) < 0.2 for e in hits) if flash else bool(hits))
    return _precision_recall(truth, found)


def _boundaries(labels: list[str]) -> set[int]:
    return {i for i in range(1, len(labels)) if labels[i] != labels[i - 1]}


def _scene_scores(predicted: list[int], truth: list[str]) -> dict:
    """Scene boundaries between consecutive shots, predicted against true."""
    pred = {i for i in range(1, len(predicted)) if predicted[i] != predicted[i - 1]}
    true = _boundaries(truth)
    tp = len(pred & true)
    return {"shots": len(truth), "true_scenes": len(true) + 1, "predicted_scenes": len(pred) + 1,
            "boundary_precision": round(tp / len(pred), 3) if pred else None,
            "boundary_recall": round(tp / len(true), 3) if true else None}


def _stage_seconds(home: Path, film: str, asset: str) -> float:
    """Wall seconds of the asset's last successful computation (the catalog's lineage row; cache hits excluded)."""
    from resources.catalog import Catalog

    rows = Catalog(home).query("SELECT duration_s FROM materializations WHERE film = ? AND asset = ? AND "
                               "status = 'success' ORDER BY finished_at DESC LIMIT 1", [film, asset])
    return float(rows["duration_s"][0])


def _sintel_label(frame_index: int, column: int) -> str:
    return next(row[column] for row in SINTEL_SHOTS if row[0] <= frame_index <= row[1])


def _film(home: Path, shared: Path, relative: str, film: str, selection: list[str]) -> float:
    """Ingests and materialises ``selection`` (what it needs included) for a film; returns the seconds taken."""
    from dagster import DagsterInstance

    from orchestration.cli import materialize_film
    from orchestration.ingest import ingest_source
    from resources.catalog import Catalog

    started = time.perf_counter()
    if Catalog(home).film(film) is None:
        outcome = ingest_source(Catalog(home), shared / relative, film)
        DagsterInstance.get().add_dynamic_partitions("film", [outcome.film])
    result = materialize_film(film, selection)
    if not result.success:
        raise RuntimeError(f"materialising {selection} for {film} failed")
    return time.perf_counter() - started


def structure_bench(shared: Path, home: Path, threshold_sweep: tuple[float, ...] = (0.4, 0.5, 0.6)) -> dict:
    """Shot types (per key frame, from the real faces and instances) and scenes on the trailer; scenes on the
    Penny & Chip film; cost of shot_analysis, motion and effects against the frames stage."""
    import polars as pl

    from assets.shot_analysis.core import analyse
    from assets.shot_analysis.reading import read_inputs
    from resources.catalog import Catalog
    from resources.storage import FilmWorkspace

    out: dict = {}
    catalog = Catalog(home)
    for film, relative in (("sintel", VIDEOS["sintel"]), ("penny_and_chip", VIDEOS["penny_and_chip"])):
        _film(home, shared, relative, film, ["frames"])
        # what shot types read (characters' boxes and faces), not the rest of the graph
        _materialize_only(film, ["instances", "filtered_instances", "face_embeddings"])
        workspace = FilmWorkspace(film, home)
        frames_seconds = _stage_seconds(home, film, "frames")
        inputs = read_inputs(workspace, catalog.film(film))
        report: dict = {"frames_stage_s": round(frames_seconds, 2)}
        for threshold in threshold_sweep:
            started = time.perf_counter()
            analysis = analyse(inputs, ShotAnalysisParams(scene_threshold=threshold))
            seconds = time.perf_counter() - started
            starts = analysis.shots["start_s"].to_list()
            if film == "sintel":
                truth = [_sintel_label(int(round(s * 24)) + 2, 3) for s in starts]
            else:
                truth = [str(int(s // 8.0 + 0.02)) for s in starts]  # a cut every 8.0 s
            report[f"scenes@{threshold}"] = _scene_scores(analysis.shots["scene"].to_list(), truth)
            report.setdefault("shot_analysis_s", round(seconds, 2))
        key = analysis.key_frames.join(workspace.read_table("frames").select("frame_id", "frame_index"),
                                       on="frame_id")
        if film == "sintel":  # the labels the shot-type rules were tuned on
            truth = [_sintel_label(i, 2) for i in key["frame_index"].to_list()]
            report["shot_types"] = {"split": "tuning", **_shot_type_scores(truth, key["shot_type"].to_list())}
        else:  # labelled by eye on the frames stage's key frames before any rule ran on them
            labels = dict(pl.read_csv(PENNY_SHOT_TYPES).select("frame_index", "shot_type").iter_rows())
            key = key.filter(pl.col("frame_index").is_in(list(labels)))
            report["shot_types"] = {
                "split": "held out for the face-first rule (36.5%); seen before the whole-body rule was adopted",
                "labelled_key_frames": len(labels), **_shot_type_scores(
                [labels[i] for i in key["frame_index"].to_list()], key["shot_type"].to_list())}
        out[film] = report
    return out


def _shot_type_scores(truth: list[str], predicted: list[str]) -> dict:
    import polars as pl

    hits = [t == p for t, p in zip(truth, predicted)]
    classes = sorted(set(truth))
    return {"key_frames": len(truth), "accuracy": round(float(np.mean(hits)), 3) if hits else None,
            "per_class_accuracy": {c: round(float(np.mean([h for h, t in zip(hits, truth) if t == c])), 3)
                                   for c in classes},
            "confusion": {c: dict(pl.Series([p for p, t in zip(predicted, truth) if t == c]).value_counts()
                                  .iter_rows()) for c in classes}}


def _materialize_only(film: str, names: list[str]) -> float:
    """Materialises exactly ``names`` for the film (no upstream added); returns the seconds with Dagster."""
    from dagster import AssetKey, DagsterInstance, materialize

    from orchestration.definitions import build_definitions

    defs = build_definitions()
    started = time.perf_counter()
    result = materialize(list(defs.assets), selection=[AssetKey(n) for n in names], partition_key=film,
                         instance=DagsterInstance.get(), resources=defs.resources, raise_on_error=False)
    if not result.success:
        raise RuntimeError(f"{names} failed on {film}")
    return time.perf_counter() - started


def real_effects_bench(shared: Path, home: Path, every: int = 6) -> dict:
    """Effects on the Sintel trailer (tuning) and Big Buck Bunny (held out) against labels made by eye; writes the
    contact sheets docs/screenshots/effects_sintel_trailer.png and effects_big_buck_bunny.png (see
    bench/temporal_real_effects.py)."""
    import temporal_real_effects as real

    from resources.storage import FilmWorkspace

    labels = real.read_labels()
    out: dict = {"labels": str(real.LABELS.relative_to(Path(__file__).resolve().parents[1])), "every_nth_frame": every}
    for film, split in real.SPLITS.items():
        _film(home, shared, VIDEOS[film], film, ["frames"])
        _materialize_only(film, ["shot_analysis"])  # not its optional upstream (instances, audio): not read here
        workspace = FilmWorkspace(film, home)
        events, frames, pictures = real.film_effects(shared / VIDEOS[film], workspace.read_table("shots"),
                                                     workspace.read_table("frame_signals"), every, EffectParams())
        mine = [label for label in labels if label["film"] == film]
        per_effect = real.score(mine, events)
        out[film] = {"split": split, "pooled": real.pooled(per_effect), "per_effect": per_effect,
                     "events": dict(events.group_by("effect").len().sort("effect").iter_rows())}
        sheet = real.contact_sheet(mine, events, frames, pictures)
        if sheet is not None:
            cv2.imwrite(str(Path(__file__).resolve().parents[1] / "docs/screenshots" / real.SHEETS[film]), sheet)
    return out


def cost_bench(shared: Path, home: Path) -> dict:
    """Seconds of the three temporal stages against the frames stage on the same film (wall clock, 2 shared
    cores: ratios matter more than seconds)."""
    out = {}
    for film, relative in (("sintel", VIDEOS["sintel"]), ("big_buck_bunny", VIDEOS["big_buck_bunny"])):
        _film(home, shared, relative, film, ["frames"])
        seconds = {"frames": _stage_seconds(home, film, "frames")}
        for name in ("shot_analysis", "motion", "effects"):
            seconds[f"{name}_with_dagster_s"] = round(_materialize_only(film, [name]), 2)
            seconds[name] = round(_stage_seconds(home, film, name), 2)
        temporal = sum(seconds[n] for n in ("shot_analysis", "motion", "effects"))
        out[film] = {**seconds, "temporal_over_frames": round(temporal / seconds["frames"], 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="camera,motion,effects,effects_real,scenes,cost")
    parser.add_argument("--home", type=Path, default=None, help="CASTFORGE_HOME to build films in (default: temp)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    shared = shared_dir()
    if shared is None:
        raise SystemExit("bench/temporal.py needs ../shared (or CASTFORGE_SHARED) with the real media")
    only = set(args.only.split(","))
    report: dict = {}
    if "camera" in only:
        report["camera_motion"] = camera_bench(shared)
    if "motion" in only:
        report["character_motion"] = motion_bench(shared)
    if "effects" in only:
        report["effects"] = effects_bench(shared)
    if only & {"scenes", "shot_types", "cost", "effects_real"}:
        home = args.home or Path(tempfile.mkdtemp(prefix="castforge_temporal_")) / "home"
        os.environ.update({"CASTFORGE_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
                           "CASTFORGE_MODELS": str(shared / "models"), "HF_HUB_OFFLINE": "1"})
        from resources.paths import ensure_dagster_home

        ensure_dagster_home()
        if only & {"scenes", "shot_types"}:
            report["structure"] = structure_bench(shared, home)
        if "effects_real" in only:
            report["effects_real"] = real_effects_bench(shared, home)
        if "cost" in only:
            report["cost"] = cost_bench(shared, home)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
