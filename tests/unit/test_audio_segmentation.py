"""The overlap-aware offline diarizer (pyannote segmentation-3.0 ONNX + GE2E): the recipe's pieces on hand-made
inputs, then DER and overlap on the real recordings in ../shared (thresholds: measured figure plus margin)."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assets.audio.speech import read_rttm, segments_table, write_rttm
from resources.backends import powerset as ps


def one_hot(classes: list[int]) -> np.ndarray:
    out = np.zeros((len(classes), 7), dtype=np.float32)
    out[np.arange(len(classes)), classes] = 1.0
    return out


def test_powerset_decoding_keeps_overlap():
    activity = ps.powerset_to_activity(one_hot([0, 1, 4, 6, 3]))
    assert activity.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]]
    soft = np.full((1, 7), 0.0, dtype=np.float32)
    soft[0, 0], soft[0, 2] = 0.6, 0.4          # quiet speech: "none" still the most probable class
    assert ps.powerset_to_activity(soft).tolist() == [[0, 0, 0]]
    assert ps.powerset_to_activity(soft, speech_threshold=0.3).tolist() == [[0, 1, 0]]


@pytest.mark.parametrize("speech_level, expected", [(0.97, 0.5), (0.45, 0.25)])
def test_adaptive_threshold_moves_to_the_valley(speech_level: float, expected: float):
    rng = np.random.default_rng(0)
    speech = np.clip(np.concatenate([rng.normal(0.03, 0.02, 600), rng.normal(speech_level, 0.03, 400)]), 0, 1)
    powerset = np.zeros((1, 1000, 7), dtype=np.float32)
    powerset[0, :, 0], powerset[0, :, 1] = 1 - speech, speech
    threshold = ps.adaptive_speech_threshold(powerset)
    assert 0.2 <= threshold <= 0.5 and abs(threshold - expected) < 0.2
    assert (powerset[0, :, 1] >= threshold).sum() >= 390  # the quiet speech is kept


def test_two_local_speakers_of_one_window_never_share_a_cluster():
    similarity = np.array([[0.9, 0.2], [0.8, 0.3], [0.1, 0.9]])  # both local speakers of window 0 prefer cluster 0
    labels = ps.constrained_assignment(similarity, np.array([0, 0, 1]))
    assert labels[0] != labels[1] and labels.tolist() == [0, 1, 1]


def test_reconstruction_keeps_the_counted_overlap():
    # two windows of 4 frames, 2 frames apart; local speaker 0 -> cluster 0 and 1 -> cluster 1 in both
    activity = np.zeros((2, 4, 3), dtype=np.float32)
    activity[0, :, 0] = 1
    activity[0, 2:, 1] = 1
    activity[1, :2, 1] = 1
    activity[1, :2, 0] = 1
    starts = np.array([0, 2])
    count = ps.speaker_count(activity, starts, 6)
    binary = ps.reconstruct(activity, starts, np.array([(0, 0), (0, 1), (1, 0), (1, 1)]), np.array([0, 1, 0, 1]),
                            count, 2)
    assert count.tolist() == [1, 1, 2, 2, 0, 0]
    assert binary[:4].tolist() == [[True, False], [True, False], [True, True], [True, True]]
    assert not binary[4:].any()


def test_frames_far_below_the_speech_are_not_speech():
    level = np.array([-20.0] * 10 + [-50.0] * 10)
    keep = ps.loud_enough(level, np.full(20, -18.0), max_below_db=25, spread_frames=2)
    assert keep[:12].all() and not keep[12:].any()  # two frames after the loud run still count (word ends)


@pytest.fixture(scope="module")
def diarizer():
    from resources.diarizer import build_diarizer

    model = build_diarizer("pyannote_onnx")
    assert model.name == "pyannote_onnx"
    return model


def _der(shared: Path, tmp_path: Path, diarizer, name: str, wav: str, rttm: str):
    from orchestration.eval_diarization import diarization_error

    waveform, rate = sf.read(str(shared / "media/audio" / wav), dtype="float32")
    turns = diarizer.diarize(waveform, rate)
    hypothesis = write_rttm(segments_table(turns), name, tmp_path / f"{name}.rttm")
    return diarization_error(shared / "media/audio" / rttm, hypothesis), turns


def _overlap_frames(table, step: float = 0.01) -> np.ndarray:
    end = float(table["end_s"].max()) if table.height else 0.0
    count = np.zeros(int(end / step) + 2)
    for row in table.iter_rows(named=True):
        count[int(row["start_s"] / step):int(row["end_s"] / step)] += 1
    return count >= 2


@pytest.mark.slow
def test_pyannote_sample_two_speakers_and_its_overlap(shared: Path, tmp_path: Path, diarizer):
    scores, turns = _der(shared, tmp_path, diarizer, "sample", "pyannote_sample/sample.wav",
                         "pyannote_sample/sample.rttm")
    assert scores["der"] < 0.10  # measured 5.9 %
    assert len({t.speaker for t in turns}) == 2
    found = _overlap_frames(segments_table(turns))
    truth = _overlap_frames(read_rttm(shared / "media/audio/pyannote_sample/sample.rttm"))
    n = min(len(found), len(truth))
    hits = np.sum(found[:n] & truth[:n])
    assert hits / truth.sum() > 0.5 and hits / max(found.sum(), 1) > 0.5  # overlap found where it is
    assert diarizer.diarize(np.zeros(16000 * 3, dtype=np.float32), 16000) == []


@pytest.mark.slow
def test_ami_excerpt(shared: Path, tmp_path: Path, diarizer):
    scores, turns = _der(shared, tmp_path, diarizer, "ami", "ami_seriously/mixture.wav", "ami_seriously/mixture.rttm")
    assert scores["der"] < 0.22 and 3 <= len({t.speaker for t in turns}) <= 5
