"""`castforge materialize` never exits non-zero without saying why on stderr: its stdout (the step lines and the
summary) may go nowhere, as in a script or a benchmark, so a failed run names each failed step and its error's
first line there, after the log file's path."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from resources.paths import REPO_ROOT


def test_a_failed_step_is_named_with_its_error_on_stderr(castforge_home: Path, shared: Path, tmp_path: Path):
    from resources.catalog import Catalog
    from resources.ingest import ingest_source

    source = tmp_path / "speech.wav"   # its own bytes, so ingest does not take it for another film's copy
    shutil.copyfile(shared / "media/audio/pyannote_sample/sample.wav", source)
    with source.open("ab") as handle:
        handle.write(b"castforge test")
    ingest_source(Catalog(castforge_home), source, "speech")
    source.write_bytes(os.urandom(50_000))   # the file is overwritten after ingest: audio cannot read it
    run = subprocess.run([sys.executable, "-m", "orchestration.cli", "materialize", "speech", "--select", "audio"],
                         cwd=REPO_ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"},
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    failed = [line for line in lines if line.startswith("castforge: step audio failed: ")]
    assert len(failed) == 1 and "BadMediaError" in failed[0] and str(source) in failed[0], run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert lines[-1].startswith("castforge: log: ") and Path(lines[-1].split(": ", 2)[2]).is_file(), run.stderr


def test_a_run_that_failed_with_no_step_line_gives_the_runs_reason(tmp_path: Path):
    """When the console saw no step fail (its events went elsewhere), the run's RUN_FAILURE event says why."""
    from dagster import DagsterInstance, Definitions, asset, define_asset_job

    from orchestration.summary import failure_lines, run_failure

    @asset
    def toy():
        raise ValueError("the toy broke\nits second line")

    with DagsterInstance.ephemeral() as instance:
        result = Definitions(assets=[toy], jobs=[define_asset_job("j")]).resolve_job_def("j").execute_in_process(
            instance=instance, raise_on_error=False)
        reason = run_failure(instance, result.run_id)
    assert not result.success
    assert "Steps failed: ['toy']" in reason and reason.endswith("ValueError: the toy broke"), reason
    lines, interrupted = failure_lines({}, reason, result.run_id, tmp_path / "run.log")
    assert lines[0] == f"castforge: run {result.run_id} failed with no step failure: {reason}"
    assert not interrupted and lines[-1] == f"castforge: log: {tmp_path / 'run.log'}"
    lines, interrupted = failure_lines({"toy": {"status": "failed", "first_line": "KeyboardInterrupt"},
                                        "done": {"status": "done"}}, reason, result.run_id, tmp_path / "run.log")
    assert lines[0] == "castforge: step toy failed: KeyboardInterrupt" and interrupted


def test_a_step_that_made_nothing_says_why_on_its_line(castforge_home: Path, shared: Path, tmp_path: Path):
    """Session 36 (h14): a video with no audio track (`ffmpeg -an`) printed `audio done in 1.5 s: 0 rows` and nothing
    else; the stage's note (why it is empty) now ends the step's line."""
    import av

    from resources.catalog import Catalog
    from resources.ingest import ingest_source

    source = tmp_path / "bunny no audio.webm"   # Big Buck Bunny's first 4 s, its video stream copied, no audio
    with av.open(str(shared / "media/video/big_buck_bunny_0_30.webm")) as src, av.open(str(source), "w") as out:
        video = out.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is None:
                continue
            if packet.pts is not None and packet.pts * packet.time_base > 4:
                break
            packet.stream = video
            out.mux(packet)
    ingest_source(Catalog(castforge_home), source, "bunny_no_audio")
    run = subprocess.run([sys.executable, "-m", "orchestration.cli", "materialize", "bunny_no_audio", "--select",
                          "audio"], cwd=REPO_ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"},
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    line = [x for x in run.stdout.splitlines() if x.strip().startswith("audio") and " done in " in x]
    assert len(line) == 1 and line[0].endswith(f"0 rows; {source}: no audio track (video); audio stages yield "
                                               "empty tables"), run.stdout
