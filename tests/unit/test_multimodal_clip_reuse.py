"""multimodal_datasets after a review copies the last run's clips of an utterance whose sound did not change and cuts
again the others; every file and table equals a full recompute's (the pyannote sample's two speakers, real audio)."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import polars as pl

from assets.multimodal.build import Inputs, build
from assets.multimodal.clip_reuse import STORE, ClipReuse
from assets.multimodal.core import MultimodalParams
from resources.item_reuse import ItemReuse
from resources.storage import FilmWorkspace
from tests.unit.test_audio_multimodal import film  # noqa: F401 - the fixture


def inputs_of(film: dict, **changes) -> Inputs:
    inputs = Inputs(segments=film["segments"], speaker_identities=film["speaker_identities"],
                    identities=film["identities"], instances=film["instances"], faces=film["faces"],
                    voice_features=None, vocals_path=None, mix_path=film["mix"], film="pyannote",
                    transcription_note="no ASR weights: test")
    for key, value in changes.items():
        setattr(inputs, key, value)
    return inputs


def run(workspace: FilmWorkspace, inputs: Inputs, staging: Path, config: str = "settings-a", reuse: bool = True):
    """One build as the asset makes it: into ``staging``, paths stored as they will be once it replaces
    ``<film>/multimodal``; with reuse the store is kept and the folder swapped in. Returns (items, reuse)."""
    final = workspace.artefact_dir("multimodal")
    stage = SimpleNamespace(asset="multimodal_datasets", code_version="multimodal-test", config_hash=config)
    clips = ClipReuse(ItemReuse(workspace, stage), final / STORE, Path, inputs.mix_path, inputs.mix_path) \
        if reuse else None
    items, _, _ = build(inputs, staging, lambda p: str(final / Path(p).relative_to(staging)), Path,
                        MultimodalParams(), None, reuse=clips)
    if clips is not None:
        clips.keep(staging / STORE)
        shutil.rmtree(final, ignore_errors=True)
        shutil.copytree(staging, final)
    return items, clips


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != STORE}


def assert_full_recompute(workspace: FilmWorkspace, inputs: Inputs, items: pl.DataFrame, staging: Path, tmp: Path):
    full_items, _ = run(workspace, inputs, tmp, reuse=False)
    assert items.equals(full_items)
    assert files_of(staging) == files_of(tmp)


def test_a_rename_copies_every_clip_a_changed_utterance_is_cut_again(film: dict, tmp_path: Path):
    workspace = FilmWorkspace("pyannote", tmp_path / "home")
    first, clips = run(workspace, inputs_of(film), tmp_path / "s1")
    assert clips.cut == first.height >= 4 and clips.reused == 0

    # a review renames a character: every clip's name and folder change, its sound does not
    renamed = inputs_of(film, identities=pl.DataFrame({"identity": ["0", "1"], "name": ["Ada Byron", None]}))
    items, clips = run(workspace, renamed, tmp_path / "s2")
    assert (clips.reused, clips.cut) == (first.height, 0)
    assert items["character"].to_list() != first["character"].to_list()
    assert items["loudness_lufs"].to_list() == first["loudness_lufs"].to_list()
    assert_full_recompute(workspace, renamed, items, tmp_path / "s2", tmp_path / "full2")

    # one utterance ends earlier: that one is cut again, the others copied; equal to a full recompute
    segments = film["segments"].sort("start_s")
    shortened = segments.with_columns(pl.when(pl.col("start_s") == segments["start_s"][1])
                                      .then(pl.col("end_s") - 0.3).otherwise(pl.col("end_s")).alias("end_s"))
    changed = inputs_of(film, identities=renamed.identities, segments=shortened)
    items, clips = run(workspace, changed, tmp_path / "s3")
    assert (clips.reused, clips.cut) == (first.height - 1, 1)
    assert_full_recompute(workspace, changed, items, tmp_path / "s3", tmp_path / "full3")

    # the last run's clip files changed on disk: cut again, never copied
    for wav in (workspace.artefact_dir("multimodal") / "voices").rglob("*.wav"):
        wav.write_bytes(wav.read_bytes()[:-2])
    items, clips = run(workspace, changed, tmp_path / "s4")
    assert (clips.reused, clips.cut) == (0, first.height)
    assert_full_recompute(workspace, changed, items, tmp_path / "s4", tmp_path / "full4")

    # another setting: every clip cut again
    assert run(workspace, changed, tmp_path / "s5", config="settings-b")[1].cut == first.height


def test_another_soundtrack_cuts_every_clip_again(film: dict, tmp_path: Path):
    import numpy as np
    import soundfile as sf

    workspace = FilmWorkspace("pyannote", tmp_path / "home")
    first, _ = run(workspace, inputs_of(film), tmp_path / "s1")
    data, rate = sf.read(str(film["mix"]), dtype="float32")
    quieter = tmp_path / "mix_quieter.wav"
    sf.write(quieter, (data * 0.5).astype(np.float32), rate)
    changed = inputs_of(film, mix_path=quieter)
    items, clips = run(workspace, changed, tmp_path / "s2")
    assert (clips.reused, clips.cut) == (0, first.height)
    assert_full_recompute(workspace, changed, items, tmp_path / "s2", tmp_path / "full2")
