"""The closing summary of `castforge materialize` gives the dataset folder with what it holds: items per trigger word,
or why it is empty; `castforge status` says its rows are identities. Session 36 (h14): Big Buck Bunny's first 30 s
gave 5 kept cut-outs, no face, no identity and an empty export, and the summary still said only `dataset: <folder>`;
a trainer then met an empty Parquet file (`datasets.load_dataset` raises "Instruction "train" corresponds to no
data!") and a TOML with no subsets."""

from pathlib import Path

import av
import polars as pl

from tests.conftest import build_film


def _frames_of(video: Path, folder: Path, seconds: tuple[float, ...]) -> Path:
    folder.mkdir(parents=True)
    with av.open(str(video)) as container:
        for second in seconds:
            container.seek(int(second * 1_000_000), backward=True, any_frame=False)
            frame = next(f for f in container.decode(video=0) if f.time >= second - 0.05)
            frame.to_image().save(folder / f"bbb_{second:04.1f}.png")
    return folder


def test_an_empty_dataset_is_called_empty_with_the_reason(castforge_home: Path, shared: Path, tmp_path: Path):
    from orchestration.summary import dataset_contents, summary_lines
    from resources.storage import FilmWorkspace

    # two frames of Big Buck Bunny (a 3D film, scenery and the bunny, no face a detector finds)
    folder = _frames_of(shared / "media/video/big_buck_bunny_0_30.webm", tmp_path / "bbb stills", (1.0, 28.0))
    assert build_film(castforge_home, folder, "bbb_stills", ["character_datasets"]).success
    workspace = FilmWorkspace("bbb_stills", castforge_home)
    assert workspace.read_table("dataset_items").height == 0
    lines = summary_lines("bbb_stills", {}, True, tmp_path / "run.log")
    dataset = [line for line in lines if line.startswith("  dataset: ")]
    assert len(dataset) == 1 and str(workspace.artefact_dir("datasets")) in dataset[0]
    assert "(empty: no identity was found" in dataset[0], lines
    # `castforge status` counted this table's rows (one per identity) as "exported items per identity"
    from orchestration.cli_status import asset_states

    row = next(r for r in asset_states("bbb_stills") if r["asset"] == "character_datasets")
    assert f"{row['rows']} {row['counts']}" == "0 identities exported, each with its item count"

    # and a folder that holds items says how many per trigger word, the largest first
    items = pl.DataFrame({"trigger": ["pc_char1", "pc_char0", "pc_char0"]})
    assert dataset_contents(items, None, None) == " (3 items: pc_char0 2, pc_char1 1)"
    skipped = pl.DataFrame({"decision": ["skipped", "skipped", "exported"], "rule": ["too_small"] * 2 + [None]})
    identities = pl.DataFrame({"identity": ["identity_000"]})
    assert dataset_contents(items.head(0), skipped, identities) == (
        " (empty: every candidate was skipped: too_small 2; see manifest.json)")


def test_no_review_step_for_a_film_with_nothing_to_review(castforge_home: Path, tmp_path: Path):
    """An audio-only film (an M4A, a podcast) ends with no cut-out and no identity: the summary sent its user to review
    cut-outs and identities anyway. A film with cut-outs but no identity (above) still has its cut-outs to review."""
    from orchestration.summary import summary_lines
    from resources.storage import FilmWorkspace

    workspace = FilmWorkspace("song", castforge_home)
    workspace.write_table("identities", pl.DataFrame(schema={"identity": pl.Utf8, "name": pl.Utf8}))
    lines = summary_lines("song", {}, True, tmp_path / "run.log")
    assert "  identities found: 0 (0 named by review)" in lines and not any("next:" in line for line in lines)
    workspace.write_table("instances", pl.DataFrame({"instance_id": ["song_0001_00"]}))
    assert any(line.startswith("  next: ") and "review cut-outs" in line
               for line in summary_lines("song", {}, True, tmp_path / "run.log"))
