"""CPU seconds and wall time of the temporal stages' work on a film already materialised (JSON on stdout), and
whether their tables equal another run's: how a speed change is checked to leave the rows as they were.

    .venv/bin/python bench/stage_cost.py --home HOME --film FILM [--stages shot_analysis,effects,av_sync,...]
        [--out DIR] [--against DIR] [--repeat N] [--profile N]

Each stage's pure work runs in this process on the film's stored inputs (``analyse`` for shot_analysis,
``catalogue`` for effects, the picture change, onsets and ``summarise`` for av_sync), as the asset calls it,
without the catalog write. effects and av_sync read the ``frame_signals`` and ``picture_change`` that shot_analysis
produced in this run (else the home's); av_sync run with code from before ``picture_change`` existed decodes the
film itself, as it did then. Each stage's tables are written to ``--out/<stage>/`` and compared column by column with ``--against/<stage>/`` (an earlier run, e.g. of the code
before a change: ``PYTHONPATH=<export of that commit> .venv/bin/python bench/stage_cost.py ...``). CPU seconds
count every thread of the process (decoding, tracking and measuring threads included) and its child processes
(instances' AnimeFace worker); imports are not timed. ``instances`` runs the stage in process on the film's kept
frames and also compares the decoded pixels of its cut-outs, masks and overlays (``instance_pixels``);
``face_embeddings`` and ``identity_clusters`` run their stage's work in one process (crops compared by pixels,
identities by group index, without the prototype store or the review: see their functions).
Build a home with ``castforge ingest`` + ``castforge materialize FILM --select effects`` (CASTFORGE_HOME set).
"""

import argparse
import cProfile
import inspect
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import polars as pl

if not os.environ.get("PYTHONPATH"):  # an explicit PYTHONPATH (another commit's code) wins over this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.effects import assets as effects_assets  # noqa: E402
from assets.effects.core import catalogue  # noqa: E402
from assets.effects.params import EffectParams  # noqa: E402
from assets.effects.temporal import read_rgba  # noqa: E402
from assets.shot_analysis.core import analyse  # noqa: E402
from assets.shot_analysis.reading import read_inputs  # noqa: E402
from resources.catalog import Catalog  # noqa: E402
from resources.image_codec import read_image  # noqa: E402
from resources.storage import FilmWorkspace  # noqa: E402


def shot_analysis_tables(home: Path, film: str) -> dict[str, pl.DataFrame]:
    workspace = FilmWorkspace(film, home)
    record = Catalog(home).film(film)
    if record is None:
        raise SystemExit(f"{home}: no film {film!r} in its catalog (castforge ingest it first)")
    out = analyse(read_inputs(workspace, record))
    tables = {"shot_analysis": out.shots, "scenes": out.scenes, "frame_signals": out.signals}
    if hasattr(out, "picture_change"):  # absent from code before av_sync read it from here
        tables["picture_change"] = out.picture_change
    return tables


def effects_tables(home: Path, film: str, produced: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    workspace = FilmWorkspace(film, home)
    signals = produced.get("frame_signals")
    signals = signals if signals is not None else workspace.read_table("frame_signals")
    out = catalogue(workspace.read_table("frames"), signals, effects_assets._fps(signals),
                    workspace.read_optional_table("filtered_instances"), workspace.read_optional_table("track_points"),
                    lambda stored: cv2.imread(str(workspace.absolute(stored))),
                    lambda stored: read_rgba(workspace.absolute(stored)), EffectParams(),
                    # as the asset: tracked instances' appearance from their key frame and mask (code before it: none)
                    *([lambda stored: read_image(workspace.absolute(stored), cv2.IMREAD_GRAYSCALE)]
                      if "read_mask" in inspect.signature(catalogue).parameters else []))
    return {"effects": out.effects, "frame_effects": out.frame_effects}


def av_sync_tables(home: Path, film: str, produced: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    from assets.audio.extract import read_audio
    from assets.av_sync import core

    workspace, params = FilmWorkspace(film, home), core.AvSyncParams()
    if hasattr(core, "visual_change"):  # code from before picture_change: av_sync decoded the film itself
        times, change = core.visual_change(workspace.absolute(Catalog(home).film(film)["source_path"]), params.rate)
        finish: tuple = (params,)
    else:
        stored = produced.get("picture_change")
        times, change, rate = core.change_signal(stored if stored is not None else
                                                 workspace.read_table("picture_change"))
        finish = (params, rate)
    waveform, sample_rate = read_audio(workspace.absolute(workspace.read_table("audio")["speech_path"][0]))
    strength, onsets, tempo, beats = core.audio_onsets(waveform[0], sample_rate, times)
    shots = workspace.read_table("shots")
    cuts = shots.filter(pl.col("start_s") > 0)["start_s"].drop_nulls().to_numpy()
    summary, events = core.summarise(workspace.read_optional_table("voice_map"), times, change, strength, onsets,
                                     tempo, beats, cuts, *finish)
    return {"av_sync": summary, "av_events": events}


def instances_tables(home: Path, film: str, _: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The instances stage in process (one worker: its CPU is this process's and the AnimeFace worker's) with the
    film's settings, into a scratch folder; ``instance_pixels`` holds a digest of every cut-out's, mask's and
    overlay's decoded pixels, so ``--against`` tells whether the artefacts changed, not only the rows."""
    import hashlib
    import tempfile

    from assets.instances.core import InstanceParams
    from assets.instances.parallel import segment_film
    from resources.film_settings import stage_params
    from resources.segmenter import SegmenterResource

    os.environ["CASTFORGE_HOME"] = str(home)   # the film's settings (its measured style) are read from its home
    workspace, segmenter = FilmWorkspace(film, home), SegmenterResource()
    params = InstanceParams.from_dict(stage_params(film, "instances"))
    described = segmenter.describe()
    with tempfile.TemporaryDirectory(dir=home) as staging:
        final = workspace.artefact_dir("instances")
        table, _ = segment_film(film, workspace.read_table("frames"), workspace, segmenter, params.anime_faces,
                                Path(staging), final, described["backend"], described["model"], params, workers=1)
        digests = []
        for column in ("path", "mask_path", "overlay_path"):
            for stored in table[column].drop_nulls().unique(maintain_order=True).to_list():
                pixels = cv2.imread(str(Path(staging) / Path(stored).relative_to(workspace.relative(final))),
                                    cv2.IMREAD_UNCHANGED)
                digests.append({"file": stored, "shape": "x".join(map(str, pixels.shape)),
                                "sha1": hashlib.sha1(pixels.tobytes()).hexdigest()})
    return {"instances": table, "instance_pixels": pl.DataFrame(digests)}


def face_embeddings_tables(home: Path, film: str, _: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The faces stage in process (its one-worker path: ``detect_faces`` with the film's settings, detector plan
    and analyzer, models loaded in the run), crops into a scratch folder; ``face_crop_pixels`` holds a digest of
    every crop's decoded pixels and ``crop_path`` is the crop's name, so ``--against`` compares the artefacts."""
    import hashlib
    import tempfile

    from assets.faces.assets import CONTRACT
    from assets.faces.core import detect_faces
    from assets.faces.mixed_styles import shot_mix
    from resources.face_analyzer import FaceAnalyzerResource

    os.environ["CASTFORGE_HOME"] = str(home)
    workspace, resource = FilmWorkspace(film, home), FaceAnalyzerResource()
    params, frames = CONTRACT.settings(film), workspace.read_table("frames")
    mix = shot_mix(film, frames, workspace.absolute, params.anime_detector, resource.drawn_detectors,
                   resource.backend, resource.detectors)
    analyzer, misses = resource.get(anime=params.anime_detector, also=mix.also), {}
    with tempfile.TemporaryDirectory(dir=home) as staging:
        faces = detect_faces(frames, workspace.read_table("filtered_instances"), analyzer, params,
                             workspace.absolute, Path(staging), lambda target: target.name, misses,
                             mix.detectors_for())
        digests = [{"file": name, "sha1": hashlib.sha1(cv2.imread(str(Path(staging) / name)).tobytes()).hexdigest()}
                   for name in faces["crop_path"].drop_nulls().to_list()]
    getattr(analyzer, "close", lambda: None)()   # the AnimeFace worker
    missed = pl.DataFrame({"instance_id": list(misses), "reason": list(misses.values())})
    return {"faces": faces, "face_misses": missed, "face_crop_pixels": pl.DataFrame(digests)}


def identity_clusters_tables(home: Path, film: str, produced: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The identities stage's work in process: the assignment as the stage makes it (``reassign.assign_film``: the
    best face per instance, the kept cut-outs' appearance, HDBSCAN, faceless placement, tracks) and its tables;
    reads the ``faces`` that face_embeddings produced in this run (else the home's). Each group's id is its index
    (the prototype store is neither read nor written) and no review is applied; folders, map and summary are not
    written."""
    from assets.identities.assets import CONTRACT
    from assets.identities.assignment import tables
    from assets.identities.reassign import assign_film
    from resources.image_embedder import ImageEmbedderResource

    os.environ["CASTFORGE_HOME"] = str(home)
    workspace, params = FilmWorkspace(film, home), CONTRACT.settings(film)
    faces = produced.get("faces")
    assignment = assign_film(workspace, params, faces if faces is not None else workspace.read_table("faces"),
                             ImageEmbedderResource().get).assignment
    identities, instance_identities = tables(assignment, [f"group{i}" for i in range(len(assignment.groups))], {})
    return {"identities": identities, "instance_identities": instance_identities}


STAGES: dict[str, Callable[[Path, str, dict[str, pl.DataFrame]], dict[str, pl.DataFrame]]] = {
    "shot_analysis": lambda home, film, _: shot_analysis_tables(home, film),
    "effects": effects_tables, "av_sync": av_sync_tables, "instances": instances_tables,
    "face_embeddings": face_embeddings_tables, "identity_clusters": identity_clusters_tables}


def compare(tables: dict[str, pl.DataFrame], against: Path) -> dict[str, str]:
    """Per table: identical, or which columns differ (or that the other run has no such table)."""
    verdicts = {}
    for name, table in tables.items():
        path = against / f"{name}.parquet"
        if not path.exists():
            verdicts[name] = f"no {path}"
            continue
        other = pl.read_parquet(path)
        if table.equals(other):
            verdicts[name] = "identical"
        elif table.shape != other.shape or table.columns != other.columns:
            verdicts[name] = f"shape {table.shape} against {other.shape}"
        else:
            verdicts[name] = "differs in " + ", ".join(c for c in table.columns if not table[c].equals(other[c]))
    return verdicts


def tree_cpu_seconds() -> float:
    """CPU seconds of this process, its finished children and its live ones (instances' AnimeFace worker)."""
    import resource

    import psutil

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            live += times.user + times.system
        except psutil.Error:
            pass
    return time.process_time() + children.ru_utime + children.ru_stime + live


def stage_arguments(description: str, stages: dict) -> argparse.ArgumentParser:
    """The options a stage-cost bench shares: the materialised film, which stages, where their tables go and what
    they are compared with (bench/voice_pose_cost.py adds its own)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--film", required=True)
    parser.add_argument("--stages", default=",".join(stages))
    parser.add_argument("--out", type=Path, help="write each stage's tables under OUT/<stage>/")
    parser.add_argument("--against", type=Path, help="compare with the tables of an earlier run under DIR/<stage>/")
    return parser


def timed_run(stage: str, work: Callable[[], dict[str, pl.DataFrame]], cpu_clock: Callable[[], float],
              profile: int = 0) -> tuple[dict[str, pl.DataFrame], dict[str, float]]:
    """Run one stage's work: its tables and {wall_s, cpu_s} on ``cpu_clock``; with ``profile`` N, the N costliest
    functions (cumulative) of a cProfile of the run go to stderr, timed on this process's CPU clock (a wall clock
    on 2 shared cores counts other processes' turns); the profiler's own cost inflates Python-heavy functions (many
    small calls) against OpenCV's and NumPy's. It sees only the calling thread: run under ``taskset -c 0`` so that
    the stages' thread pools (effects' frames, voice_map's shots) and the faces stage's worker processes size
    themselves to one core (``resources.cores.available_cores``) and work in this thread, else their work shows
    as one wait."""
    profiler = cProfile.Profile(time.process_time) if profile else None
    wall, cpu = time.perf_counter(), cpu_clock()
    if profiler:
        profiler.enable()
    tables = work()
    if profiler:
        profiler.disable()
    figures = {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(cpu_clock() - cpu, 2)}
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(profile)
        print(f"--- {stage}\n{text.getvalue()}", file=sys.stderr)
    return tables, figures


def stage_entry(stage: str, tables: dict[str, pl.DataFrame], out: Path | None, against: Path | None,
                **figures) -> dict:
    """One stage's report entry: its figures, rows per table, the tables written under OUT/<stage>/ and compared
    with an earlier run's under AGAINST/<stage>/ (shared by the stage benches)."""
    entry = {**figures, "rows": {name: table.height for name, table in tables.items()}}
    if out:
        (out / stage).mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            table.write_parquet(out / stage / f"{name}.parquet")
    if against:
        entry["against"] = compare(tables, against / stage)
    return entry


def new_report(benchmark: str, film: str, stage_function: Callable) -> dict:
    """The JSON report's head: the checkout whose stages run (found from one of its functions) and the load."""
    code = str(Path(stage_function.__code__.co_filename).resolve().parents[2])
    return {"benchmark": benchmark, "film": film, "code": code, "load_avg_1m": round(os.getloadavg()[0], 2),
            "stages": {}}


def chosen_stages(names: str, stages: dict) -> list[str]:
    """``--stages`` as a list, every name checked against the bench's stages."""
    unknown = [stage for stage in names.split(",") if stage not in stages]
    if unknown:
        raise SystemExit(f"unknown stage {unknown[0]!r}; one of {', '.join(stages)}")
    return names.split(",")


def print_report(report: dict) -> None:
    report["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=1))


def main() -> None:
    parser = stage_arguments(__doc__.splitlines()[0], STAGES)
    parser.add_argument("--repeat", type=int, default=1, help="runs per stage (figures of each)")
    parser.add_argument("--profile", type=int, default=0,
                        help="print this many functions of each run's profile (under taskset -c 0: see timed_run)")
    args = parser.parse_args()
    report = new_report("stage_cost", args.film, analyse)
    produced: dict[str, pl.DataFrame] = {}  # tables of the stages run so far (av_sync reads shot_analysis')
    for stage in chosen_stages(args.stages, STAGES):
        runs = []
        for _ in range(max(1, args.repeat)):
            tables, figures = timed_run(stage, lambda: STAGES[stage](args.home, args.film, produced),
                                        tree_cpu_seconds, args.profile)
            runs.append(figures)
        produced.update(tables)
        report["stages"][stage] = stage_entry(stage, tables, args.out, args.against, runs=runs)
    print_report(report)


if __name__ == "__main__":
    main()
