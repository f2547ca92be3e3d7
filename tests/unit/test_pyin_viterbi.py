"""pYIN's Viterbi decoding with the transition matrix's zeros skipped (assets/audio/pyin_viterbi.py) gives librosa's
own results bit for bit: on random matrices (dense, sparse, with ties) and through librosa.pyin on real speech."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assets.audio.pyin_viterbi import _sparse_viterbi, sparse_viterbi, use_sparse_viterbi


def _librosa_core():
    import librosa.sequence

    from assets.audio import pyin_viterbi

    core = librosa.sequence._viterbi
    return pyin_viterbi._LIBROSA_CORE if core is sparse_viterbi else core


@pytest.mark.parametrize("kind", ["dense", "sparse", "ties", "unreachable"])
def test_the_same_states_and_log_probability_as_librosa(kind: str):
    rng = np.random.default_rng(["dense", "sparse", "ties", "unreachable"].index(kind))
    librosa_core, tiny = _librosa_core(), np.finfo(np.float64).tiny
    for _ in range(12):
        n, steps = int(rng.integers(2, 50)), int(rng.integers(1, 60))
        transition = rng.random((n, n))
        if kind in ("sparse", "unreachable"):
            transition[rng.random((n, n)) < 0.8] = 0.0
        if kind == "ties":
            transition = np.round(transition, 1) + 0.1
        transition /= transition.sum(axis=1, keepdims=True).clip(1e-12)
        prob = rng.random((steps, n))
        if kind == "unreachable":  # most states impossible at most frames: floor entries must win some rows
            prob[rng.random((steps, n)) < 0.9] = 0.0
        args = np.log(prob + tiny), np.log(transition + tiny), np.log(np.full(n, 1.0 / n))
        expected, got = librosa_core(*args), _sparse_viterbi(*args)
        assert np.array_equal(expected[0], got[0]) and np.array_equal(expected[1], got[1])


def test_pyin_on_speech_is_unchanged(shared: Path):
    import librosa
    import librosa.sequence

    speech, rate = sf.read(str(shared / "media/audio/pyannote_sample/sample.wav"), dtype="float32")
    core = _librosa_core()
    librosa.sequence._viterbi = core
    try:
        expected = librosa.pyin(speech, fmin=60.0, fmax=600.0, sr=rate, frame_length=1024)
    finally:
        use_sparse_viterbi()
    assert librosa.sequence._viterbi is sparse_viterbi
    got = librosa.pyin(speech, fmin=60.0, fmax=600.0, sr=rate, frame_length=1024)
    assert np.isfinite(expected[0]).sum() > 100  # voiced frames with an F0: the decoding had work to do
    for a, b in zip(expected, got):
        assert np.array_equal(a, b, equal_nan=True)


def test_a_librosa_without_the_private_core_is_left_as_it_is(monkeypatch):
    import librosa.sequence

    monkeypatch.delattr(librosa.sequence, "_viterbi")
    use_sparse_viterbi()  # no AttributeError, nothing installed
    assert not hasattr(librosa.sequence, "_viterbi")
