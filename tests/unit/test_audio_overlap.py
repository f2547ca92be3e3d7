"""Overlap-aware offline diarization logic on synthetic embeddings: the data-driven overlap cut, the second-speaker
detection, and how a flagged window becomes overlapped speaker turns."""

import numpy as np

from resources.backends.silero_resemblyzer import frame_votes_to_turns
from resources.backends.speaker_clustering import centroids, equal_likelihood_threshold, second_speakers

RATE = 16000


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_equal_likelihood_threshold_lies_between_the_two_distributions():
    rng = np.random.default_rng(0)
    within, between = rng.normal(0.85, 0.03, 500), rng.normal(0.70, 0.03, 500)
    cut = equal_likelihood_threshold(within, between)
    assert abs(cut - 0.775) < 0.01  # equal spreads: the midpoint
    wide_between = rng.normal(0.70, 0.08, 5000)
    assert equal_likelihood_threshold(within, wide_between) > cut  # a wider "other speaker" spread pushes it up
    assert equal_likelihood_threshold(within[:1], between) == float("inf")
    assert equal_likelihood_threshold(between, within) == float("inf")  # not ordered: no overlap claimed


def test_windows_between_two_speakers_get_a_second_speaker():
    rng = np.random.default_rng(1)
    speakers = _unit(rng.standard_normal((3, 64)))
    pure = np.concatenate([_unit(s + 0.25 * rng.standard_normal((40, 64))) for s in speakers])
    mixed = _unit(speakers[0] + speakers[2] + 0.25 * rng.standard_normal((4, 64)))
    embeddings = np.concatenate([pure, mixed])
    labels = np.repeat([0, 1, 2], 40)
    cents = centroids(pure, labels)
    second = second_speakers(embeddings, cents)
    assert np.all(second[-4:] >= 0)
    assert {frozenset((np.argmax(e @ cents.T), s)) for e, s in zip(embeddings[-4:], second[-4:])} == {
        frozenset((0, 2))}
    assert np.mean(second[:120] >= 0) < 0.05  # pure windows rarely flagged
    assert np.all(second_speakers(embeddings, cents[:1]) == -1)  # one speaker: no overlap


def test_a_window_still_close_to_its_main_speaker_is_not_overlap():
    """A speaker-change window (mostly one speaker, a little of the next) is nearer its main speaker than that
    speaker's typical window: the frame votes split it, no second speaker is claimed."""
    rng = np.random.default_rng(2)
    speakers = _unit(rng.standard_normal((2, 64)))
    pure = np.concatenate([_unit(s + 0.15 * rng.standard_normal((40, 64))) for s in speakers])
    cents = centroids(pure, np.repeat([0, 1], 40))
    change = _unit(speakers[0] + 0.5 * speakers[1])[None]
    middle = _unit(cents[0] + cents[1])
    residual = rng.standard_normal((4, 64))
    residual -= (residual @ cents.T) @ np.linalg.pinv(cents.T)  # orthogonal to both centroids
    similarity = 0.55  # to both centroids: below a typical window's own (about 0.65), far above a runner-up's
    a = similarity / float(middle @ cents[0])
    mixed = a * middle + np.sqrt(1 - a ** 2) * _unit(residual)
    second = second_speakers(np.concatenate([pure, change, mixed]), cents)
    runner_up = np.sort(np.concatenate([change, mixed]) @ cents.T, axis=1)[:, 0]
    assert runner_up.min() > np.sort(pure @ cents.T, axis=1)[:, 0].max()  # all of them lie "between"
    assert second[80] == -1 and np.all(second[81:] >= 0)
    assert second_speakers(np.zeros((0, 64)), cents).shape == (0,)


def test_flagged_window_adds_the_second_speaker_near_its_centre():
    second_s = RATE
    regions = [(0, 4 * second_s)]
    spans = [(s, s + int(1.5 * second_s)) for s in range(0, int(2.5 * second_s) + 1, second_s // 2)]
    labels = np.zeros(len(spans), dtype=np.int64)
    similarity = np.full(len(spans), 0.9)
    plain = frame_votes_to_turns(regions, spans, labels, similarity, 4 * second_s)
    assert [t.speaker for t in plain] == ["SPEAKER_00"]
    second = np.full(len(spans), -1)
    second[3] = 1  # window 1.5-3.0 s, centre 2.25 s: frames nearest its centre are 2.0-2.5 s
    turns = frame_votes_to_turns(regions, spans, labels, similarity, 4 * second_s, second=second)
    extra = [t for t in turns if t.speaker == "SPEAKER_01"]
    assert len(extra) == 1 and abs(extra[0].start_s - 2.0) <= 0.02 and abs(extra[0].end_s - 2.5) <= 0.02
    assert [t for t in turns if t.speaker == "SPEAKER_00"] == plain
    outside_speech = frame_votes_to_turns([(0, 2 * second_s)], spans, labels, similarity, 4 * second_s,
                                          second=second)
    assert all(t.end_s <= 2.0 for t in outside_speech)  # never outside the speech regions



def _voices(n_speakers: int, windows: int, rng) -> np.ndarray:
    """GE2E-like windows: unit 256-d non-negative vectors, about 0.86 cosine to their speaker's mean."""
    speakers = np.abs(rng.standard_normal((n_speakers, 256)))
    return np.concatenate([_unit(np.abs(s + rng.standard_normal((windows, 256)))) for s in speakers])


def test_enhanced_count_on_synthetic_voices():
    from resources.backends.speaker_clustering import enhanced_speaker_count, nme_spectral_clustering

    rng = np.random.default_rng(3)
    assert enhanced_speaker_count(_voices(1, 30, rng)) == 1
    two = _voices(2, 20, rng)
    assert enhanced_speaker_count(two) == 2
    labels = nme_spectral_clustering(two, enhanced_count_below=80)
    assert len(set(labels[:20])) == 1 and len(set(labels[20:])) == 1 and labels[0] != labels[-1]


def test_enhanced_count_keeps_one_real_voice_in_one_cluster(shared):
    """One AMI speaker alone (her isolated source, 60 s): the plain eigengap splits her voice into many speakers;
    NeMo's enhanced counting finds one."""
    import soundfile as sf

    from resources.backends.silero_resemblyzer import DiarizationParams, SileroResemblyzerDiarizer

    waveform, rate = sf.read(str(shared / "media/audio/ami_seriously/sources/source3.wav"), dtype="float32")
    diarizer = SileroResemblyzerDiarizer(params=DiarizationParams(enhanced_count_below=0))
    assert len({t.speaker for t in diarizer.diarize(waveform, rate)}) > 2
    diarizer.params = DiarizationParams()  # the default counts with anchors up to 80 windows
    assert len({t.speaker for t in diarizer.diarize(waveform, rate)}) == 1
