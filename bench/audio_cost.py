"""CPU seconds and wall time of `diarization` and `vocals` on a film already materialised (JSON on stdout), and
whether their outputs equal another run's: how a speed change is checked to leave them as they were.

    CASTFORGE_MODELS=../shared/models .venv/bin/python bench/audio_cost.py --home HOME --film FILM
        [--stages diarization,vocals] [--out DIR] [--against DIR] [--repeat N] [--profile N]

Each stage's work runs in this process on the film's stored audio, as the asset calls it, without the catalog write:
for diarization the default diarizer's ``diarize_file`` on ``speech16k.wav``, the segments table, the RTTM and the
speaker clips (into a scratch folder); for vocals ``separate_file`` with the default separator (into a scratch
folder). ``audio_digests`` holds a SHA-1 of every written file's decoded samples (the RTTM's text), so ``--against``
tells whether the artefacts changed, not only the rows. The models are built and run once on 10 s of silence before
timing (the asset builds them once per run; first-call set-up is not the stage's per-minute cost). CPU seconds count
every thread of this process. ``--profile N`` prints the N most expensive functions (cumulative) to stderr.
Build a home with bench/film_scale.py's films: ``castforge ingest`` + ``castforge materialize FILM --select
diarization,vocals`` (CASTFORGE_HOME set).
"""

import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

if not os.environ.get("PYTHONPATH"):  # an explicit PYTHONPATH (another commit's code) wins over this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stage_cost import chosen_stages, new_report, print_report, stage_arguments, stage_entry, timed_run  # noqa: E402

from assets.audio.separation import separate_file  # noqa: E402
from assets.audio.speech import segments_table, speaker_clips, write_rttm  # noqa: E402
from resources.diarizer import DiarizerResource  # noqa: E402
from resources.storage import FilmWorkspace  # noqa: E402
from resources.vocal_separator import VocalSeparatorResource  # noqa: E402


def digests(folder: Path) -> pl.DataFrame:
    """Per file under ``folder``: its decoded samples' (or an RTTM's text's) SHA-1, shape and rate."""
    import soundfile as sf

    rows = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".wav":
            data, rate = sf.read(str(path), dtype="int16", always_2d=True)
            rows.append({"file": path.name, "shape": "x".join(map(str, data.shape)), "rate": rate,
                         "sha1": hashlib.sha1(data.tobytes()).hexdigest()})
        elif path.is_file():
            rows.append({"file": path.name, "shape": str(path.stat().st_size), "rate": 0,
                         "sha1": hashlib.sha1(path.read_bytes()).hexdigest()})
    return pl.DataFrame(rows, schema={"file": pl.String, "shape": pl.String, "rate": pl.Int64, "sha1": pl.String})


def diarization_work(home: Path, film: str, scratch: Path) -> Callable[[], dict[str, pl.DataFrame]]:
    workspace = FilmWorkspace(film, home)
    speech = workspace.absolute(workspace.read_table("audio")["speech_path"][0])
    model = DiarizerResource().get()
    model.diarize(np.zeros(160000, dtype=np.float32), 16000)  # first-call set-up outside the timing
    if hasattr(model, "mel"):  # librosa's first mel frames compile (numba): ~1.3 CPU-s once per process
        model.mel(np.zeros(16000, dtype=np.float32))

    def run() -> dict[str, pl.DataFrame]:
        out = scratch / "diarization"
        out.mkdir(parents=True, exist_ok=True)
        segments = segments_table(model.diarize_file(speech))
        write_rttm(segments, film, out / f"{film}.rttm")
        speakers = speaker_clips(segments, speech, out, lambda p: Path(p).name)
        return {"speech_segments": segments, "speakers": speakers, "audio_digests": digests(out)}

    return run


def vocals_work(home: Path, film: str, scratch: Path) -> Callable[[], dict[str, pl.DataFrame]]:
    workspace = FilmWorkspace(film, home)
    mix = workspace.absolute(workspace.read_table("audio")["separation_path"][0])
    separator = VocalSeparatorResource().get()
    separator.separate(np.zeros((2, 44100), dtype=np.float32), 44100)

    def run() -> dict[str, pl.DataFrame]:
        out = separate_file(mix, separator, scratch / "vocals")
        table = pl.DataFrame([{"duration_s": round(out.duration_s, 3), "vocals_rms_db": out.vocals_rms_db,
                               "rest_rms_db": out.rest_rms_db, "segments": out.segments}])
        return {"vocals": table, "audio_digests": digests(scratch / "vocals")}

    return run


STAGES: dict[str, Callable[[Path, str, Path], Callable[[], dict[str, pl.DataFrame]]]] = {
    "diarization": diarization_work, "vocals": vocals_work}


def main() -> None:
    parser = stage_arguments(__doc__.splitlines()[0], STAGES)
    parser.add_argument("--repeat", type=int, default=1, help="runs per stage (figures of each)")
    parser.add_argument("--profile", type=int, default=0, help="print this many functions of each stage's profile")
    args = parser.parse_args()
    report = new_report("audio_cost", args.film, separate_file)
    for stage in chosen_stages(args.stages, STAGES):
        with tempfile.TemporaryDirectory(prefix="audio_cost_") as scratch:
            work = STAGES[stage](args.home, args.film, Path(scratch))
            runs = []
            for repeat in range(max(1, args.repeat)):
                tables, figures = timed_run(stage, work, time.process_time, args.profile if repeat == 0 else 0)
                runs.append(figures)
        report["stages"][stage] = stage_entry(stage, tables, args.out, args.against, runs=runs)
    print_report(report)


if __name__ == "__main__":
    main()
