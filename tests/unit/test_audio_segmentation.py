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


def test_a_local_speaker_quiet_as_a_whole_is_dropped_with_its_loud_neighbour_kept():
    """Window 0: local speaker 0 talks at the loud speech's level with word ends dipping 35 dB, local speaker 1 is
    background 32 dB down throughout (crosstalk). Only the background one is dropped, and only in its window."""
    activity = np.zeros((2, 20, 3), dtype=np.float32)
    activity[0, :10, 0] = activity[0, 10:, 1] = activity[1, 10:, 0] = 1
    level = np.array([-20.0] * 7 + [-55.0] * 3 + [-52.0] * 10 + [-20.0] * 10)  # global frames = 2 windows apart
    starts = np.array([0, 10])
    quiet = ps.quiet_local_speakers(activity, starts, level, np.full(30, -20.0), max_below_db=20)
    assert quiet.tolist() == [[False, True, False], [False, False, False]]


@pytest.mark.parametrize("threshold", [None, 0.3, 0.5])
def test_compact_windows_decode_as_the_full_probabilities(threshold):
    rng = np.random.default_rng(3)
    powerset = rng.dirichlet(np.full(7, 0.3), size=(4, 50)).astype(np.float32)
    compact = ps.CompactPowerset(4, 50)
    compact.put(0, powerset[:2])
    speech = compact.put(2, powerset[2:])
    assert np.allclose(speech, 1 - powerset[2:, :, 0])
    assert np.array_equal(compact.activity(threshold), ps.powerset_to_activity(powerset, threshold).astype(np.uint8))


def test_a_file_read_in_blocks_reads_what_the_array_holds_and_names_a_wrong_rate(tmp_path: Path):
    from resources.backends.sample_source import ArraySamples, FileSamples

    signal = np.random.default_rng(0).uniform(-0.5, 0.5, 16000 * 3).astype(np.float32)
    sf.write(tmp_path / "s.wav", signal, 16000, subtype="FLOAT")
    with FileSamples(tmp_path / "s.wav") as samples:
        assert samples.n == len(signal)
        for start, stop in ((0, 100), (47000, 49000), (-20, 10)):  # inside, across the end, before the start
            expected = np.pad(signal, (20, 2000))[start + 20:stop + 20]
            assert np.array_equal(samples.read(start, stop), expected)
        assert np.array_equal(ArraySamples(signal).read(47000, 49000), samples.read(47000, 49000))
    sf.write(tmp_path / "cd.wav", signal, 44100)
    with pytest.raises(ValueError, match="cd.wav is 44100 Hz"):
        FileSamples(tmp_path / "cd.wav")


def test_one_short_line_lies_in_enough_windows_to_be_a_speaker():
    """The default window step (2.5 s since session 9) still puts a line of speech anywhere in the recording into at
    least ``min_cluster_size`` windows, so a character who speaks once can be a speaker of its own (a longer step,
    5 s, put a line into 2 windows and folded such speakers into others)."""
    from types import SimpleNamespace

    from resources.backends.pyannote_onnx import WINDOW_SAMPLES, PyannoteOnnxDiarizer, SegmentationDiarizationParams

    params = SegmentationDiarizationParams()
    assert params.step_s > 1.0  # not pyannote's 1 s: a quarter of the segmentation's cost per minute (README)
    n = 16000 * 95 + 123
    offsets = PyannoteOnnxDiarizer.window_offsets(SimpleNamespace(params=params), n)
    assert offsets[0] == 0 and offsets[-1] == n - WINDOW_SAMPLES and np.all(np.diff(offsets) > 0)
    line = 16000  # one second of speech, starting at every 0.1 s of the recording
    for start in range(0, n - line, 1600):
        holding = np.sum((offsets <= start) & (offsets + WINDOW_SAMPLES >= start + line))
        inside = start >= WINDOW_SAMPLES - line and start + line <= n - WINDOW_SAMPLES + line
        assert holding >= (params.min_cluster_size if inside else 1), start


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


@pytest.mark.slow
def test_a_file_streamed_in_blocks_diarizes_as_the_whole_array(shared: Path, tmp_path: Path, diarizer):
    """diarize_file reads the WAV a block at a time (memory flat with length); the turns equal diarize's on the
    array, and embedding two windows at a time gives the embeddings of one pass over everything."""
    from resources.backends.pyannote_onnx import ArraySamples, FRAME_HOP

    waveform, rate = sf.read(str(shared / "media/audio/pyannote_sample/sample.wav"), dtype="float32",
                             frames=16000 * 24)
    sf.write(tmp_path / "part.wav", waveform, rate, subtype="PCM_16")
    pcm, _ = sf.read(str(tmp_path / "part.wav"), dtype="float32")
    assert diarizer.diarize_file(tmp_path / "part.wav") == diarizer.diarize(pcm, rate) != []
    samples = ArraySamples(pcm)
    offsets = diarizer.window_offsets(samples.n)
    starts = np.rint(offsets / FRAME_HOP).astype(np.int64)
    activity = diarizer.segment(samples, offsets)[0].activity(0.5)
    whole = diarizer.embed_in_blocks(samples, offsets, activity, starts, 1.0, block_windows=len(offsets))
    blocks = diarizer.embed_in_blocks(samples, offsets, activity, starts, 1.0, block_windows=2)
    assert np.array_equal(whole[0], blocks[0]) and np.allclose(whole[1], blocks[1], atol=1e-5)


def test_short_sequences_embedded_packed_equal_one_at_a_time(shared: Path, diarizer):
    """GE2E on mel sequences of different lengths in one packed LSTM run: each gets the embedding it gets alone
    (within float rounding) and keeps its place, so the short local speakers of a window are embedded cheaply."""
    import torch

    from resources.backends.silero_resemblyzer import encode_packed

    waveform, rate = sf.read(str(shared / "media/audio/pyannote_sample/sample.wav"), dtype="float32")
    mel = diarizer.mel(waveform[: 12 * rate])
    lengths = [150, 23, 159, 60, 23, 101, 7]  # unsorted, a repeated length, one shorter than any other
    starts = [0, 300, 410, 600, 700, 800, 1000]
    sequences = [mel[s:s + n] for s, n in zip(starts, lengths)]
    with torch.inference_mode():
        alone = np.concatenate([diarizer.encoder(torch.from_numpy(s[None])).numpy() for s in sequences])
    packed = encode_packed(diarizer.encoder, sequences)
    assert packed.shape == (len(sequences), 256)
    assert np.abs(packed - alone).max() < 1e-5
    similarity = alone @ alone.T
    assert similarity[~np.eye(len(sequences), dtype=bool)].min() < 0.99  # the sequences differ: order is tested
    assert encode_packed(diarizer.encoder, []).shape == (0, 256)
