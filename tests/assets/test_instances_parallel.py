"""The instances stage on a pool of processes writes what one process writes, on real Sintel frames."""

import polars as pl
import pytest

from assets.instances.core import InstanceParams
from assets.instances.core import read_rgb
from assets.instances.parallel import WORKERS_ENV, configured_workers, seeded, segment_film, workers_for
from resources.segmenter import SegmenterResource
from resources.storage import FilmWorkspace

SHOTS = 2   # the first shots with at least 3 kept frames (the shot-consistency vote runs); one per worker
FRAMES_PER_SHOT = 3


def _subset(frames: pl.DataFrame) -> pl.DataFrame:
    kept = frames.filter(pl.col("kept")).sort("frame_id")
    sizes = kept.group_by("shot").len().filter(pl.col("len") >= FRAMES_PER_SHOT).sort("shot")
    chosen = []
    for shot in sizes["shot"].head(SHOTS).to_list():
        chosen += kept.filter(pl.col("shot") == shot)["frame_id"].head(FRAMES_PER_SHOT).to_list()
    return frames.with_columns((pl.col("kept") & pl.col("frame_id").is_in(chosen)).alias("kept"))


def test_two_worker_processes_write_the_rows_and_files_of_one(sintel_frames_home, castforge_home, tmp_path, shared):
    workspace = FilmWorkspace("sintel", sintel_frames_home)
    frames = _subset(workspace.read_table("frames"))
    assert frames["kept"].sum() == SHOTS * FRAMES_PER_SHOT
    segmenter, params = SegmenterResource(backend="characters"), InstanceParams()
    described, tables, reports, done = segmenter.describe(), {}, {}, {}
    final = workspace.artefact_dir("instances")   # where the rows say the files will be (nothing is moved there)
    for workers in (1, 2):
        out = tmp_path / f"workers{workers}"
        progress: list[int] = []
        tables[workers], reports[workers] = segment_film(
            "sintel", frames, workspace, segmenter, False, out, final, described["backend"],
            described["model"], params, progress.append, workers=workers)
        done[workers] = progress
    assert reports[1]["workers"] == 1 and reports[2]["workers"] == 2
    assert len(reports[2]["peak_rss_mb_per_worker"]) == 2 and min(reports[2]["peak_rss_mb_per_worker"]) > 50
    assert done[1][-1] == done[2][-1] == SHOTS * FRAMES_PER_SHOT and done[2] == sorted(done[2])
    one, two = tables[1], tables[2]
    assert one.height >= SHOTS and one["frame_id"].n_unique() >= SHOTS
    assert one.equals(two), "rows differ between one process and two"
    assert reports[1]["misses"].equals(reports[2]["misses"])   # the frames without an instance, with their reasons
    for column in ("path", "mask_path", "overlay_path"):   # the same files, byte for byte
        for stored in one[column].drop_nulls().unique().to_list():
            name = workspace.absolute(stored).relative_to(final)
            assert (tmp_path / "workers1" / name).read_bytes() == (tmp_path / "workers2" / name).read_bytes(), name


def test_a_frames_masks_do_not_depend_on_the_frames_segmented_before_it(sintel_frames_home, castforge_home, shared):
    """GrabCut's k-means draws from OpenCV's per-thread generator: without a seed per frame, the last of these
    frames lost or gained up to ~2,000 mask pixels depending on what the process had segmented before."""
    workspace = FilmWorkspace("sintel", sintel_frames_home)
    paths = workspace.read_table("frames").filter(pl.col("kept")).sort("frame_id")["path"].head(6).to_list()
    rgbs = [read_rgb(workspace.absolute(path)) for path in paths]
    segment = seeded(SegmenterResource(backend="characters").segment_frame)
    alone = [item["mask"] for item in segment(rgbs[-1])[0]]
    for rgb in rgbs[:-1]:
        segment(rgb)
    after_others = [item["mask"] for item in segment(rgbs[-1])[0]]
    assert alone and len(alone) == len(after_others)
    assert all((a == b).all() for a, b in zip(alone, after_others))


def test_worker_count_follows_the_setting_the_cores_and_the_work(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert configured_workers() == 3
    assert workers_for(kept_frames=1000, shots=100) == 3
    assert workers_for(kept_frames=1000, shots=2) == 2      # never more processes than shots
    assert workers_for(kept_frames=30, shots=10) == 2       # a short film does not pay for idle start-ups
    assert workers_for(kept_frames=10, shots=10) == 1
    monkeypatch.delenv(WORKERS_ENV)
    import os

    assert configured_workers() == len(os.sched_getaffinity(0))
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(WORKERS_ENV, bad)
        with pytest.raises(ValueError, match=WORKERS_ENV):
            configured_workers()
