"""CPU seconds of `face_embeddings`' work and `av_sync`'s picture-change pass on one film of a CASTFORGE_HOME that
has `frames` and `filtered_instances` (or `instances`) materialised, e.g. one built by `castforge materialize`.
Prints JSON: CPU seconds of the whole process tree (this process, the AnimeFace worker, pool workers), wall
seconds, rows. ``--repo`` runs another checkout's code on the same input (e.g. `git archive <commit>` unpacked),
so before and after are measured on the same frames; ``--workers N`` runs the faces on a pool of N processes.
``--warm-animeface`` first runs the AnimeFace seed cue of ``instances`` on the film's kept frames (as the anime
preset does; its CPU is reported apart), so ``face_embeddings`` then reads those answers from the AnimeFace cache
(``$CASTFORGE_HOME/cache/animeface``) as in a whole run; ``--save FILE`` writes the faces table to compare runs.

    CASTFORGE_MODELS=/work/shared/models nice -n 5 .venv/bin/python bench/faces_av_cpu.py HOME FILM \
        [--repo DIR] [--workers N] [--video FILM.mp4] [--warm-animeface] [--save FACES.parquet]
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def tree_cpu() -> float:
    """CPU seconds of this process, its finished children and the ones still running."""
    import psutil

    own = resource.getrusage(resource.RUSAGE_SELF)
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    running = sum(sum(p.cpu_times()[:2]) for p in psutil.Process().children(recursive=True))
    return own.ru_utime + own.ru_stime + done.ru_utime + done.ru_stime + running


def warm_animeface(home: Path, film: str) -> dict:
    """The instances stage's AnimeFace cue over every kept frame (the frames and reader instances uses)."""
    from assets.instances.core import read_rgb
    from resources.backends.character_cues import AnimeFaceCue
    from resources.storage import FilmWorkspace

    workspace = FilmWorkspace(film, home)
    frames = workspace.read_table("frames").filter("kept")
    cpu, wall = tree_cpu(), time.perf_counter()
    cue = AnimeFaceCue()
    faces = sum(len(cue.detect(read_rgb(workspace.absolute(path)))) for path in frames["path"] if path)
    out = {"frames": frames.height, "faces": faces, "calls": dict(cue.detector.calls)}
    cue.detector.close()
    return {**out, "cpu_s": round(tree_cpu() - cpu, 2), "wall_s": round(time.perf_counter() - wall, 2)}


def faces_cpu(home: Path, film: str, workers: int, save: Path | None = None) -> dict:
    import polars as pl

    from assets.faces.core import FaceParams, detect_faces
    from assets.faces.mixed_styles import shot_mix
    from resources.face_analyzer import FaceAnalyzerResource
    from resources.film_settings import stage_params
    from resources.storage import FilmWorkspace

    workspace = FilmWorkspace(film, home)
    frames = workspace.read_table("frames")
    table = "filtered_instances" if (workspace.root / "tables" / "filtered_instances.parquet").exists() else "instances"
    instances = workspace.read_table(table)
    params = FaceParams.from_dict(stage_params(film, "face_embeddings"))
    face_analyzer = FaceAnalyzerResource()
    cpu, wall = tree_cpu(), time.perf_counter()
    mix = shot_mix(film, frames, workspace.absolute, params.anime_detector, face_analyzer.drawn_detectors,
                   face_analyzer.backend, face_analyzer.detectors)
    analyzer = face_analyzer.get(anime=params.anime_detector, also=mix.also)
    misses: dict[str, str] = {}
    with tempfile.TemporaryDirectory(dir=workspace.root) as crops:
        crops = Path(crops)
        if workers > 1:
            from assets.faces.parallel import faces_in_pool

            faces, misses = faces_in_pool(film, home, frames, instances, params, FaceAnalyzerResource,
                                          face_analyzer.model_dump(), params.anime_detector, mix.also, crops, crops,
                                          workers, mix.detectors_for())
        else:
            faces = detect_faces(frames, instances, analyzer, params, workspace.absolute, crops, str, misses,
                                 mix.detectors_for())
    if save is not None:
        faces.drop("crop_path").write_parquet(save)
    return {"instances_table": table, "analyzer": analyzer.model, "workers": workers, "faces": faces.height,
            "misses": len(misses), "cpu_s": round(tree_cpu() - cpu, 2), "wall_s": round(time.perf_counter() - wall, 2)}


def av_cpu(video: Path) -> dict:
    from assets.av_sync import core

    if not hasattr(core, "visual_change"):
        return {"video": str(video), "note": "av_sync decodes no video: it reads shot_analysis' picture_change"}
    cpu, wall = tree_cpu(), time.perf_counter()
    times, _ = core.visual_change(video, core.AvSyncParams().rate)
    return {"video": str(video), "samples": len(times), "cpu_s": round(tree_cpu() - cpu, 2),
            "wall_s": round(time.perf_counter() - wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("home", type=Path)
    parser.add_argument("film")
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warm-animeface", action="store_true")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--video", type=Path, help="also time av_sync's picture-change pass on this video")
    args = parser.parse_args()
    sys.path.insert(0, str(args.repo.resolve()))
    os.environ["CASTFORGE_HOME"] = str(args.home)
    out = {"benchmark": "faces_av_cpu", "repo": str(args.repo), "film": args.film,
           "load_avg_1m": os.getloadavg()[0]}
    if args.warm_animeface:
        out["instances_animeface_cue"] = warm_animeface(args.home, args.film)
    out["face_embeddings"] = faces_cpu(args.home, args.film, args.workers, args.save)
    if args.video:
        out["av_sync_visual_change"] = av_cpu(args.video)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
