"""`frames` hands shot_analysis what it measures of every frame of a 720p film (one decode for both stages):
through Dagster, shot_analysis reads the handoff, deletes it, and its tables equal those of its own decode."""

import polars as pl
import pytest

from assets.frames.handoff import HANDOFF_DIR
from assets.shot_analysis.core import analyse
from assets.shot_analysis.params import ShotAnalysisParams
from assets.shot_analysis.reading import read_inputs
from resources.catalog import Catalog
from resources.storage import FilmWorkspace
from tests.conftest import build_film

pytestmark = pytest.mark.assets


def test_shot_analysis_reads_the_frames_handoff_once_and_its_tables_equal_its_own_decode(shared, castforge_home):
    result = build_film(castforge_home, shared / "media/video/pyscenedetect/testvideo.mp4", "tv",
                        ["frames", "shot_analysis"])
    assert result.success
    workspace = FilmWorkspace("tv", castforge_home)
    assert workspace.read_stage_record("frames")["handoff_frames"] == 720  # 1280x720 H.264: every frame
    assert workspace.read_stage_record("shot_analysis")["handed_off"] is True
    assert not workspace.artefact_dir(HANDOFF_DIR).exists()  # read once, then deleted
    inputs = read_inputs(workspace, Catalog(castforge_home).film("tv"))
    assert inputs.handoff is None
    decoded = analyse(inputs, ShotAnalysisParams())  # the fallback: shot_analysis decodes the film itself
    assert not decoded.handed_off and decoded.decoded_frames == 720
    for name, table in {"shot_analysis": decoded.shots, "scenes": decoded.scenes, "frame_signals": decoded.signals,
                        "picture_change": decoded.picture_change}.items():
        stored = workspace.read_table(name).drop("film")
        assert stored.height > 0 and stored.equals(table), name
    assert workspace.read_table("frame_signals").filter(pl.col("dx").is_not_null()).height > 300
