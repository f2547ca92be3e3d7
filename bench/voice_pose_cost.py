"""CPU seconds and wall time of `voice_map`, `pose_subclusters`, `captions`, `character_datasets`,
`identity_clusters`' appearance vectors and `identity_references` on a film already materialised (JSON on stdout), and whether their tables equal another run's: how a speed change is checked
to leave the rows as they were.

    CASTFORGE_MODELS=../shared/models .venv/bin/python bench/voice_pose_cost.py --home HOME --film FILM
        [--stages voice_map,pose_subclusters,captions,character_datasets,identity_appearance,identity_references]
        [--out DIR] [--against DIR]
        [--video FILE] [--profile N]

Each stage's pure work runs in this process on the film's stored inputs, as the asset calls it, without the catalog
write: for voice_map the co-occurrence map, the mouth tracks (``lip_sync_evidence``) and the pooled lip sync; for
pose_subclusters the estimates, the sub-clustering and the folders (written under a scratch folder); for captions
the facts and the captioner's bodies with the film's settings (its preset's prefix); for character_datasets the
candidates and the export into a scratch folder (``dataset_files``: a digest of every file written but the TOML,
which names the scratch folder: PNGs, captions, the COCO JSON, the Parquet and the manifest); for
identity_appearance the appearance vectors of the kept instances' cut-outs (the part of `identity_clusters` that
reads images; ``appearance``: one row per kept instance); for identity_references the faces' measures and the
reference sets with the film's settings, written under a scratch folder (``reference_images``).
The models are built before timing (the asset builds them once per run too); imports are not timed, except that
``pose_subclusters`` imports hdbscan / umap inside its timing when the film needs them (a run pays that once).
CPU seconds count every thread of this process and its children (the AnimeFace worker, whose answer cache is a
fresh one under a scratch CASTFORGE_HOME, so the film's run's answers are not reused). ``--out`` writes the
tables under OUT/<stage>/, ``--against`` compares them column by column with an earlier run's (e.g. of the code
before a change: ``PYTHONPATH=<export of that commit> .venv/bin/python bench/voice_pose_cost.py ...``; an export has
no ``.venv-animeface``: set ``CASTFORGE_ANIMEFACE_PYTHON=.venv-animeface/bin/python``, else drawn mouths fall back
to lower-face motion and a warning says so).
``--profile N`` prints the N most expensive functions (cumulative) of each stage to stderr. cProfile sees only the
calling thread: run under ``taskset -c 0`` so that the stages' thread pools (voice_map's shots) size themselves
to one core and work in that thread, else their work shows as one wait.
Build a home with bench/film_scale.py's films: ``castforge ingest`` + ``castforge materialize`` (CASTFORGE_HOME set).
"""

import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

if not os.environ.get("PYTHONPATH"):  # an explicit PYTHONPATH (another commit's code) wins over this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stage_cost import chosen_stages, new_report, print_report, stage_arguments, stage_entry, timed_run  # noqa: E402

from assets.audio import assets as audio_assets  # noqa: E402
from assets.audio.active_speakers import pooled_evidence  # noqa: E402
from assets.audio.mouth_tracks import DRAWN_DETECTORS, lip_sync_evidence  # noqa: E402
from assets.audio.voice_map import VoiceMapParams, frame_spans, visible_identities, voice_map, with_lip_sync  # noqa: E402
from assets.pose.core import PoseParams, assign_subclusters, estimate_poses, write_subcluster_folders  # noqa: E402
from assets.pose.selection import read_identified_instances  # noqa: E402
from resources.catalog import Catalog  # noqa: E402
from resources.face_analyzer import FaceAnalyzerResource  # noqa: E402
from resources.face_landmarker import FaceLandmarkerResource  # noqa: E402
from resources.pose_estimator import PoseEstimatorResource  # noqa: E402
from resources.storage import FilmWorkspace  # noqa: E402

log = logging.getLogger("voice_pose_cost")


def voice_map_work(home: Path, film: str, video: Path | None = None) -> Callable[[], dict[str, pl.DataFrame]]:
    """The voice_map asset's work on the stored tables, its mouth readers built beforehand; ``video`` stands for
    the film's source (e.g. a 1080p re-encode: face boxes are scaled from the kept frames' width)."""
    workspace, record = FilmWorkspace(film, home), Catalog(home).film(film)
    if record is None:
        raise SystemExit(f"{home}: no film {film!r} in its catalog (castforge ingest it first)")
    settings = VoiceMapParams()
    readers = audio_assets.MouthReaders(FaceLandmarkerResource(), FaceAnalyzerResource(), settings, log)
    faces = workspace.read_table("faces")
    drawn = faces["detector"].is_in(list(DRAWN_DETECTORS))
    mesh, drawn_reader = readers.mesh() if (~drawn).any() else None, readers.drawn() if drawn.any() else None
    tables = {name: workspace.read_table(name) for name in ("speech_segments", "frames", "shots", "instances",
                                                            "instance_identities")}
    identities = workspace.read_optional_table("identities")

    def run() -> dict[str, pl.DataFrame]:
        spans = frame_spans(tables["frames"], tables["shots"], settings.max_frame_span_s)
        visible = visible_identities(tables["instances"], tables["instance_identities"])
        pairs, best = voice_map(tables["speech_segments"], spans, visible, identities, settings)
        evidence = lip_sync_evidence(video or workspace.absolute(record["source_path"]), tables["speech_segments"],
                                     tables["shots"], tables["frames"], faces, tables["instance_identities"], mesh,
                                     audio_assets._sync_params(settings), drawn=drawn_reader)
        pairs, best = with_lip_sync(pairs, best, pooled_evidence(evidence, audio_assets._sync_params(settings)),
                                    settings)
        if drawn_reader is not None:
            drawn_reader.analyzer.close()  # the AnimeFace worker exits, so its CPU counts (os.times children)
        return {"lip_sync_evidence": evidence, "voice_map": pairs, "speaker_identities": best}

    return run


def pose_work(home: Path, film: str, video: Path | None = None) -> Callable[[], dict[str, pl.DataFrame]]:
    """The pose_subclusters asset's work on the stored tables, the estimator built beforehand."""
    workspace = FilmWorkspace(film, home)
    rows, faces = read_identified_instances(workspace), workspace.read_optional_table("faces")
    estimator, params = PoseEstimatorResource().get(), PoseParams()

    def run() -> dict[str, pl.DataFrame]:
        with tempfile.TemporaryDirectory(prefix="voice_pose_cost_") as scratch:
            overlays = Path(scratch) / ".overlays"
            overlays.mkdir()
            poses = assign_subclusters(estimate_poses(rows, faces, estimator, params, workspace.absolute, overlays),
                                       params)
            write_subcluster_folders(Path(scratch), poses, rows, params, workspace.absolute, overlays)
        return {"poses": poses}

    return run


def captions_work(home: Path, film: str, _: Path | None = None) -> Callable[[], dict[str, pl.DataFrame]]:
    """The captions asset's work on the stored tables with the film's settings (its preset's prefix), the
    captioner built beforehand."""
    from assets.captions.core import CaptionParams, caption_facts, caption_instances
    from resources.captioner import CaptionerResource
    from resources.film_settings import stage_params

    scratch, os.environ["CASTFORGE_HOME"] = os.environ.get("CASTFORGE_HOME"), str(home)
    params = CaptionParams.from_dict(stage_params(film, "captions"))   # the film's settings live in its home
    if scratch is not None:
        os.environ["CASTFORGE_HOME"] = scratch
    workspace = FilmWorkspace(film, home)
    captioner = CaptionerResource().get()

    def run() -> dict[str, pl.DataFrame]:
        rows = read_identified_instances(workspace)
        facts = caption_facts(rows, workspace.read_optional_table("poses"), workspace.read_optional_table("faces"),
                              workspace.read_optional_table("frames"), params)
        return {"captions": caption_instances(rows, facts, captioner, params, workspace.absolute)}

    return run


def datasets_work(home: Path, film: str, _: Path | None = None) -> Callable[[], dict[str, pl.DataFrame]]:
    """The character_datasets asset's work on the stored tables with the film's settings, exported into a scratch
    folder (every file written, as on a first export); ``dataset_files`` holds a digest of every exported file."""
    import hashlib

    from assets.datasets.assets import film_candidates
    from assets.datasets.core import export_datasets
    from assets.datasets.params import DatasetParams
    from resources.film_settings import stage_params

    scratch, os.environ["CASTFORGE_HOME"] = os.environ.get("CASTFORGE_HOME"), str(home)
    params = DatasetParams.from_dict(stage_params(film, "character_datasets"))
    if scratch is not None:
        os.environ["CASTFORGE_HOME"] = scratch
    workspace = FilmWorkspace(film, home)

    def run() -> dict[str, pl.DataFrame]:
        candidates, decisions, _ = film_candidates(workspace, film, params)
        with tempfile.TemporaryDirectory(prefix="voice_pose_cost_datasets_") as out:
            table, decisions, _ = export_datasets(candidates, decisions, workspace.read_optional_table("frames"),
                                                  Path(out), film, params, workspace.absolute,
                                                  lambda path: Path(path).relative_to(out).as_posix())
            files = pl.DataFrame([{"file": path.relative_to(out).as_posix(), "sha1": hashlib.sha1(
                path.read_bytes()).hexdigest()} for path in sorted(Path(out).rglob("*")) if path.is_file()
                and path.suffix != ".toml"])   # the TOML names the scratch folder, different each run
        return {"dataset_items": table, "dataset_decisions": decisions, "dataset_files": files}

    return run


def appearance_work(home: Path, film: str, _: Path | None = None) -> Callable[[], dict[str, pl.DataFrame]]:
    """identity_clusters' appearance vectors of the kept instances' cut-outs, the embedder built beforehand."""
    from assets.identities.appearance import appearance_vectors
    from resources.image_embedder import ImageEmbedderResource

    workspace = FilmWorkspace(film, home)
    instances = workspace.read_table("filtered_instances")
    kept = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
    embedder = ImageEmbedderResource().get()

    def run() -> dict[str, pl.DataFrame]:
        vectors = appearance_vectors(kept["path"].to_list(), embedder, workspace.absolute)
        return {"appearance": pl.DataFrame({"instance_id": kept["instance_id"], "vector": vectors.tolist()})}

    return run


def references_work(home: Path, film: str, _: Path | None = None) -> Callable[[], dict[str, pl.DataFrame]]:
    """The identity_references asset's work (``_build``: faces measured, sets selected and written) with the film's
    settings into a scratch folder, the landmarker and embedder built beforehand."""
    from assets.identities.prototypes import face_quality
    from assets.references.assets import _build, _identity_params
    from assets.references.core import ReferenceParams
    from assets.references.measure import REFERENCE_SCHEMA
    from resources.film_settings import stage_params
    from resources.image_embedder import ImageEmbedderResource

    scratch, os.environ["CASTFORGE_HOME"] = os.environ.get("CASTFORGE_HOME"), str(home)
    params = ReferenceParams.from_dict(stage_params(film, "identity_references"))
    identity_params = _identity_params(film)
    if scratch is not None:
        os.environ["CASTFORGE_HOME"] = scratch
    workspace = FilmWorkspace(film, home)
    landmarker, embedder = FaceLandmarkerResource(), ImageEmbedderResource()
    landmarker.get(), embedder.get()   # built once (the resources keep them); the stage's get() finds them built

    def run() -> dict[str, pl.DataFrame]:
        members = workspace.read_table("instance_identities").filter(pl.col("identity") != "noise")
        faces = face_quality(workspace.read_table("faces"), identity_params).join(
            members.select("instance_id", "identity", "stability"), on="instance_id")
        with tempfile.TemporaryDirectory(prefix="voice_pose_cost_references_") as staging:
            rows, _ = _build(workspace, faces, workspace.read_table("identities"), params, Path(staging), landmarker,
                             embedder)
        return {"reference_images": pl.DataFrame(rows, schema=REFERENCE_SCHEMA)}

    return run


STAGES: dict[str, Callable[[Path, str, Path | None], Callable[[], dict[str, pl.DataFrame]]]] = {
    "voice_map": voice_map_work, "pose_subclusters": pose_work, "captions": captions_work,
    "character_datasets": datasets_work, "identity_appearance": appearance_work,
    "identity_references": references_work}


def cpu_seconds() -> float:
    """CPU of this process's threads and of its finished children (os.times)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = stage_arguments(__doc__.splitlines()[0], STAGES)
    parser.add_argument("--video", type=Path, help="voice_map reads this video instead of the film's source "
                        "(the same film re-encoded, e.g. at 1080p)")
    parser.add_argument("--profile", type=int, default=0, help="print this many functions of each stage's profile")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # AnimeFace's answer cache lives under CASTFORGE_HOME: a fresh one, so answers the film's run stored are not reused
    scratch_home = tempfile.TemporaryDirectory(prefix="voice_pose_cost_home_")
    os.environ["CASTFORGE_HOME"] = scratch_home.name
    report = new_report("voice_pose_cost", args.film, voice_map)
    for stage in chosen_stages(args.stages, STAGES):
        work = STAGES[stage](args.home, args.film, args.video)
        tables, figures = timed_run(stage, work, cpu_seconds, args.profile)
        report["stages"][stage] = stage_entry(stage, tables, args.out, args.against, **figures)
    print_report(report)


if __name__ == "__main__":
    main()
