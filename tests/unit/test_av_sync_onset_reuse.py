"""av_sync after a review takes the soundtrack's onset analysis from the last run when the speech track and the
picture's sample times did not change, and makes it again when either (or a setting) did; what it gives equals a
full recompute's (the Sintel trailer's soundtrack, real media)."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
import soundfile as sf

from assets.audio.extract import extract_audio, read_audio
from assets.av_sync.core import AvSyncParams, audio_onsets, summarise
from assets.av_sync.onset_reuse import STORE, OnsetReuse
from resources.item_reuse import ItemReuse
from resources.storage import FilmWorkspace

SINTEL = "media/video/sintel_trailer_480x204.mp4"
TIMES = np.round(np.arange(0.04, 50.0, 0.08), 6)   # the picture change's 12.5 Hz sample times


def full(speech: Path, times: np.ndarray):
    waveform, rate = read_audio(speech)
    return audio_onsets(waveform[0], rate, times)


def run(workspace: FilmWorkspace, speech: Path, times: np.ndarray, config: str = "settings-a"):
    """One av_sync analysis as the asset makes it: (analysis, whether it was analysed now)."""
    stage = SimpleNamespace(asset="av_sync", code_version="av_sync-test", config_hash=config)
    reuse = OnsetReuse(ItemReuse(workspace, stage), workspace.artefact_dir("av_sync") / STORE)
    calls = []
    made = reuse.analysis(speech, times, lambda: calls.append(1) or full(speech, times))
    reuse.keep(workspace.artefact_dir("av_sync") / STORE)
    assert reuse.reused == (not calls)
    return made, bool(calls)


def assert_same(made, expected):
    for got, want in zip(made, expected):
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
        else:
            assert type(got) is type(want) and got == want


def summary_of(made) -> tuple[pl.DataFrame, pl.DataFrame]:
    change = np.abs(np.sin(TIMES))
    return summarise(None, TIMES, change, *made, np.array([5.0, 20.0]), AvSyncParams(), 12.5)


@pytest.fixture(scope="module")
def speech(shared: Path, tmp_path_factory) -> Path:
    return extract_audio(shared / SINTEL, tmp_path_factory.mktemp("audio")).speech_path


def test_an_unchanged_soundtrack_is_taken_a_changed_one_analysed_again(speech: Path, tmp_path: Path):
    workspace = FilmWorkspace("film", tmp_path)
    expected = full(speech, TIMES)
    assert len(expected[3]) > 10 and len(expected[1]) > 10   # the trailer has beats and onsets

    first, analysed = run(workspace, speech, TIMES)
    assert analysed and (workspace.artefact_dir("av_sync") / STORE).is_file()
    assert_same(first, expected)

    # a review round: nothing the analysis reads changed -> taken, bit-equal, the same summary and events
    again, analysed = run(workspace, speech, TIMES)
    assert not analysed
    assert_same(again, expected)
    for taken, made in zip(summary_of(again), summary_of(expected)):
        assert taken.equals(made)

    # the soundtrack changed (one second muted): analysed again, equal to a full recompute of the new track
    samples, rate = sf.read(str(speech), dtype="int16")
    samples[rate * 10: rate * 11] = 0
    changed = tmp_path / "speech16k_changed.wav"
    sf.write(str(changed), samples, rate, subtype="PCM_16")
    redone, analysed = run(workspace, changed, TIMES)
    assert analysed
    assert_same(redone, full(changed, TIMES))
    assert not np.array_equal(redone[0], expected[0])

    # other picture sample times, or another setting: analysed again
    shifted = TIMES[: len(TIMES) // 2]
    redone, analysed = run(workspace, changed, shifted)
    assert analysed and len(redone[0]) == len(shifted)
    assert_same(redone, full(changed, shifted))
    assert run(workspace, changed, shifted)[1] is False
    assert run(workspace, changed, shifted, config="settings-b")[1] is True


def test_an_unreadable_store_means_analysing_again(speech: Path, tmp_path: Path):
    workspace = FilmWorkspace("film", tmp_path)
    (workspace.artefact_dir("av_sync")).mkdir(parents=True, exist_ok=True)
    (workspace.artefact_dir("av_sync") / STORE).write_bytes(b"not an npz")
    made, analysed = run(workspace, speech, TIMES)
    assert analysed
    assert_same(made, full(speech, TIMES))
