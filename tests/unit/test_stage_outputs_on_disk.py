"""A cached stage is current only while what it wrote is still on disk as it wrote it (resources/lineage.py,
``changed_outputs``): a cut-out its rows name edited or deleted by hand, its table replaced, or a run killed while
rewriting its files makes the stage compute again instead of serving rows over files that no longer match them; a
file touched but not changed leaves it cached."""

import os

import polars as pl
import pytest

from resources.catalog import Catalog
from resources.lineage import OUTPUT_STAMPS, StageRun, output_stamp, relation_key
from resources.storage import FilmWorkspace


def _run(workspace: FilmWorkspace, catalog: Catalog, write_files: bool = True) -> StageRun:
    """One run of a stage (same code, parameters and inputs each time): writes two cut-outs and a
    table naming them unless its last result is current."""
    with StageRun(workspace, catalog, "probe_cutouts", "v1", {"p": 1}, {"frames": "k1"}) as stage:
        if not stage.cached:
            folder = workspace.root / "cutouts"
            folder.mkdir(parents=True, exist_ok=True)
            rows = []
            for name, content in (("a.png", b"cut-out a"), ("b.png", b"cut-out b")):
                (folder / name).write_bytes(content)
                rows.append(workspace.relative(folder / name))
            stage.commit(pl.DataFrame({"instance_id": ["i0", "i1"], "cutout_path": rows}))
    return stage


@pytest.fixture
def stage_home(castforge_home):
    workspace, catalog = FilmWorkspace("f", castforge_home), Catalog(castforge_home)
    catalog.ensure_schema()
    first = _run(workspace, catalog)
    assert not first.cached and _run(workspace, catalog).cached
    return workspace, catalog


def test_a_cut_out_edited_by_hand_makes_the_stage_compute_again_and_restores_it(stage_home, caplog):
    workspace, catalog = stage_home
    cutout = workspace.root / "cutouts" / "a.png"
    key = relation_key(workspace.read_stage_record("probe_cutouts"), "probe_cutouts")
    cutout.write_bytes(b"painted over")
    again = _run(workspace, catalog)
    assert not again.cached and "probe_cutouts changed on disk" in caplog.text
    assert cutout.read_bytes() == b"cut-out a"
    assert relation_key(workspace.read_stage_record("probe_cutouts"), "probe_cutouts") == key   # readers stay current
    assert _run(workspace, catalog).cached


def test_a_deleted_cut_out_makes_the_stage_compute_again(stage_home):
    workspace, catalog = stage_home
    (workspace.root / "cutouts" / "b.png").unlink()
    assert not _run(workspace, catalog).cached
    assert (workspace.root / "cutouts" / "b.png").read_bytes() == b"cut-out b"


def test_a_table_replaced_under_its_record_makes_the_stage_compute_again(stage_home):
    workspace, catalog = stage_home   # a write cut short: the table is another run's, the record the last one's
    workspace.write_table("probe_cutouts", pl.DataFrame({"instance_id": ["i0"],
                                                         "cutout_path": ["films/f/cutouts/a.png"]}))
    assert not _run(workspace, catalog).cached
    assert workspace.read_table("probe_cutouts").height == 2


def test_a_cut_out_touched_but_not_changed_stays_cached(stage_home):
    workspace, catalog = stage_home
    cutout = workspace.root / "cutouts" / "a.png"
    os.utime(cutout, ns=(cutout.stat().st_atime_ns, cutout.stat().st_mtime_ns + 5_000_000_000))
    assert _run(workspace, catalog).cached
    record = workspace.read_stage_record("probe_cutouts")   # stamped again: the next run hashes nothing
    assert record[OUTPUT_STAMPS]["probe_cutouts"] == output_stamp(workspace, "probe_cutouts")


def test_a_record_without_stamps_is_checked_by_content_then_stamped(stage_home):
    workspace, catalog = stage_home   # written by the first version of content keys: outputs, no stamps
    record = workspace.read_stage_record("probe_cutouts")
    workspace.write_stage_record("probe_cutouts", {k: v for k, v in record.items() if k != OUTPUT_STAMPS})
    assert _run(workspace, catalog).cached
    assert OUTPUT_STAMPS in workspace.read_stage_record("probe_cutouts")
    (workspace.root / "cutouts" / "a.png").write_bytes(b"painted over")
    workspace.write_stage_record("probe_cutouts", {k: v for k, v in record.items() if k != OUTPUT_STAMPS})
    assert not _run(workspace, catalog).cached
