"""Audio core functions on real media (../shared) and hand-made edge cases."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import soundfile as sf

from assets.audio.extract import SEPARATION_RATE, SPEECH_RATE, extract_audio
from assets.audio.separation import separate_file
from assets.audio.speech import read_rttm, segments_table, write_rttm
from assets.audio.voice_features import VoiceFeatureParams, voice_features
from assets.audio.voice_map import frame_spans, visible_identities, voice_map
from orchestration.eval_diarization import diarization_error
from resources.backends.librosa_spectral import SpectralVocalSeparator
from resources.backends.speaker_clustering import nme_spectral_clustering
from resources.errors import BadMediaError
from resources.protocols import SpeakerTurn

SINTEL = "media/video/sintel_trailer_480x204.mp4"
AMI = "media/audio/ami_seriously"
BUNNY = "media/video/big_buck_bunny_0_30.webm"


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    scale = np.dot(estimate, reference) / np.dot(reference, reference)
    target = scale * reference
    return float(10 * np.log10(np.sum(target ** 2) / np.sum((estimate - target) ** 2)))


def test_extract_sintel_soundtrack(shared: Path, tmp_path: Path):
    out = extract_audio(shared / SINTEL, tmp_path)
    stereo, mono = sf.info(str(out.separation_path)), sf.info(str(out.speech_path))
    assert (stereo.samplerate, stereo.channels, mono.samplerate, mono.channels) == (SEPARATION_RATE, 2, SPEECH_RATE, 1)
    assert stereo.subtype == mono.subtype == "PCM_16"  # intermediate audio at 16 bits, not float
    assert out.duration_s == pytest.approx(52.15, abs=0.2) and mono.duration == pytest.approx(out.duration_s, abs=0.05)
    assert out.codec == "aac" and -30 < out.loudness_lufs < -5


def test_extract_silent_audio_has_no_loudness(tmp_path: Path):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros((SPEECH_RATE * 3, 2), dtype=np.float32), SPEECH_RATE)
    out = extract_audio(silent, tmp_path / "out")
    assert out.loudness_lufs is None and out.duration_s == pytest.approx(3.0, abs=0.01)


@pytest.mark.parametrize("make", ["garbage", "truncated"])
def test_corrupt_audio_names_the_file(shared: Path, tmp_path: Path, make: str):
    bad = tmp_path / ("bad.m4a" if make == "garbage" else "bad.mp4")
    data = np.random.default_rng(0).bytes(50_000) if make == "garbage" else (shared / SINTEL).read_bytes()[:40_000]
    bad.write_bytes(data)
    with pytest.raises(BadMediaError, match="bad.m"):
        extract_audio(bad, tmp_path / "out")




def test_spectral_separator_recovers_centred_dialogue(shared: Path, tmp_path: Path):
    import librosa

    bunny = extract_audio(shared / BUNNY, tmp_path)
    music, _ = sf.read(str(bunny.separation_path), dtype="float32", frames=SEPARATION_RATE * 8)
    speech, _ = sf.read(str(shared / AMI / "mixture.wav"), dtype="float32", start=16000 * 2, frames=16000 * 8)
    speech = librosa.resample(speech, orig_sr=16000, target_sr=SEPARATION_RATE)[: music.shape[0]]
    speech /= np.sqrt(np.mean(speech ** 2))
    music = music.T[:, : speech.shape[0]] / np.sqrt(np.mean(music ** 2))
    mix = np.stack([speech, speech]) + music
    vocals, rest = SpectralVocalSeparator().separate(mix, SEPARATION_RATE)
    assert vocals.shape == mix.shape and np.allclose(vocals + rest, mix, atol=1e-4)
    assert si_sdr(vocals.mean(0), speech) > si_sdr(mix.mean(0), speech) + 2.0  # a film-like centred mix
    mono_vocals, mono_rest = SpectralVocalSeparator().separate(mix.mean(0, keepdims=True), SEPARATION_RATE)
    assert mono_vocals.shape == (1, mix.shape[1]) and np.isfinite(mono_vocals).all()


def test_separate_file_in_segments_is_seamless(tmp_path: Path):
    rng = np.random.default_rng(1)
    audio = (0.1 * rng.standard_normal((SEPARATION_RATE * 5, 2))).astype(np.float32)
    source = tmp_path / "in.wav"
    sf.write(source, audio, SEPARATION_RATE, subtype="FLOAT")
    out = separate_file(source, SpectralVocalSeparator(), tmp_path / "out", chunk_s=1.5, overlap_s=0.25)
    vocals, _ = sf.read(str(out.vocals_path), dtype="float32")
    rest, _ = sf.read(str(out.rest_path), dtype="float32")
    assert out.segments == 4 and vocals.shape == audio.shape
    assert np.allclose(vocals + rest, audio, atol=2 / 32768)  # each stem within half a 16-bit step
    assert sf.info(str(out.vocals16k_path)).samplerate == SPEECH_RATE
    assert {sf.info(str(p)).subtype for p in (out.vocals_path, out.rest_path, out.vocals16k_path)} == {"PCM_16"}


def test_overshoot_past_full_scale_is_clipped_not_wrapped(tmp_path: Path):
    t = np.arange(SPEECH_RATE) / SPEECH_RATE
    loud = (1.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)  # 3.5 dB over full scale
    source = tmp_path / "loud.wav"
    sf.write(source, loud, SPEECH_RATE, subtype="FLOAT")
    out = extract_audio(source, tmp_path / "out")
    speech, _ = sf.read(str(out.speech_path), dtype="float32")
    peaks = speech[np.abs(loud[: len(speech)]) > 1.2]
    assert peaks.size and np.all(np.abs(peaks) > 0.99)  # wrapped samples would flip sign and land near zero
    assert out.peak_dbfs > 0.3  # the overshoot is still reported (measured before the 16-bit write)


@pytest.mark.parametrize("centres,expected", [(1, 1), (2, 2), (4, 4)])
def test_nme_sc_estimates_the_number_of_speakers(centres: int, expected: int):
    rng = np.random.default_rng(centres)
    means = rng.standard_normal((centres, 32)) * 3
    points = np.concatenate([m + rng.standard_normal((40, 32)) for m in means])
    labels = nme_spectral_clustering(points)
    assert len(set(labels)) == expected
    for c in range(centres):
        assert len(set(labels[c * 40:(c + 1) * 40])) == 1


def test_rttm_round_trip_and_der(tmp_path: Path, shared: Path):
    reference = shared / "media/audio/pyannote_sample/sample.rttm"
    table = read_rttm(reference)
    turns = [SpeakerTurn(r["start_s"], r["end_s"], "X" + r["speaker"], 1.0) for r in table.iter_rows(named=True)]
    path = write_rttm(segments_table(turns), "sample", tmp_path / "h.rttm")
    assert diarization_error(reference, path)["der"] == 0.0
    shifted = [SpeakerTurn(t.start_s + 0.5, t.end_s + 0.5, t.speaker, 1.0) for t in turns]
    scores = diarization_error(reference, write_rttm(segments_table(shifted), "sample", tmp_path / "s.rttm"))
    assert 0 < scores["der"] < 0.5 and scores["der"] == pytest.approx(
        scores["missed"] + scores["false_alarm"] + scores["confusion"], abs=1e-3)


def test_voice_map_follows_who_is_on_screen():
    frames = pl.DataFrame({"frame_id": [f"f{i}" for i in range(6)], "shot": [0, 0, 1, 1, 2, 2],
                           "timestamp_s": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5], "kept": [True] * 6})
    shots = pl.DataFrame({"shot": [0, 1, 2], "start_s": [0.0, 2.0, 4.0], "end_s": [2.0, 4.0, 6.0]})
    instances = pl.DataFrame({"instance_id": ["a0", "a1", "b2", "b3", "a4", "b5"],
                              "frame_id": ["f0", "f1", "f2", "f3", "f4", "f5"]})
    assigned = pl.DataFrame({"instance_id": ["a0", "a1", "b2", "b3", "a4", "b5"],
                             "identity": ["alice", "alice", "bob", "bob", "alice", "bob"]})
    names = pl.DataFrame({"identity": ["alice", "bob"], "name": ["Alice", None]})
    segments = segments_table([SpeakerTurn(0.0, 2.0, "S0", 1.0), SpeakerTurn(2.0, 4.0, "S1", 1.0),
                               SpeakerTurn(4.0, 5.0, "S0", 1.0)])
    spans = frame_spans(frames, shots, 2.0)
    pairs, best = voice_map(segments, spans, visible_identities(instances, assigned), names)
    mapping = {row["speaker"]: (row["identity"], row["name"]) for row in best.iter_rows(named=True)}
    assert mapping == {"S0": ("alice", "Alice"), "S1": ("bob", None)}
    assert pairs.filter(pl.col("speaker") == "S0")["frames"].max() == 3
    assert (best["confidence"] > 0.9).all()


def test_voice_map_never_maps_a_voice_to_noise():
    """Cut-outs a review (or the clustering) left as noise are no character: the voice over them stays unmapped
    (session 39: a speaker mapped to "noise" failed multimodal_datasets with KeyError 'noise')."""
    frames = pl.DataFrame({"frame_id": ["f0", "f1", "f2", "f3"], "shot": [0, 0, 1, 1],
                           "timestamp_s": [0.5, 1.5, 2.5, 3.5], "kept": [True] * 4})
    shots = pl.DataFrame({"shot": [0, 1], "start_s": [0.0, 2.0], "end_s": [2.0, 4.0]})
    instances = pl.DataFrame({"instance_id": ["a0", "a1", "n2", "n3"], "frame_id": ["f0", "f1", "f2", "f3"]})
    assigned = pl.DataFrame({"instance_id": ["a0", "a1", "n2", "n3"], "identity": ["alice", "alice", "noise", None]})
    visible = visible_identities(instances, assigned)
    assert sorted(visible["identity"]) == ["alice", "alice"]
    segments = segments_table([SpeakerTurn(0.0, 2.0, "S0", 1.0), SpeakerTurn(2.0, 4.0, "S1", 1.0)])
    _, best = voice_map(segments, frame_spans(frames, shots, 2.0), visible, None)
    assert dict(zip(best["speaker"], best["identity"])) == {"S0": "alice"}


def test_voice_map_with_nothing_to_map_is_empty():
    empty = segments_table([])
    pairs, best = voice_map(empty, pl.DataFrame(schema={"frame_id": pl.String, "start_s": pl.Float64,
                                                        "end_s": pl.Float64}), empty, None)
    assert pairs.height == 0 and best.height == 0


def test_voice_features_measure_pitch():
    rate = SPEECH_RATE
    t = np.arange(rate * 2) / rate
    low = (0.3 * np.sin(2 * np.pi * 120 * t) + 0.1 * np.sin(2 * np.pi * 240 * t)).astype(np.float32)
    high = (0.3 * np.sin(2 * np.pi * 300 * t) + 0.1 * np.sin(2 * np.pi * 600 * t)).astype(np.float32)
    waveform = np.concatenate([low, high])
    segments = segments_table([SpeakerTurn(0.0, 2.0, "low", 1.0), SpeakerTurn(2.0, 4.0, "high", 1.0)])
    table = voice_features(waveform, rate, segments, VoiceFeatureParams(max_analysed_s=2.0))
    f0 = dict(zip(table["speaker"], table["f0_median_hz"]))
    assert f0["low"] == pytest.approx(120, rel=0.05) and f0["high"] == pytest.approx(300, rel=0.05)
    assert table["speech_s"].to_list() == [2.0, 2.0] and len(table["mfcc_mean"][0]) == 13


def test_eval_diarization_command_prints_json(shared: Path, castforge_home: Path, capsys):
    import json

    from orchestration.cli import main

    reference = str(shared / "media/audio/ami_seriously/mixture.rttm")
    assert main(["eval", "diarization", "--reference", reference, "--hypothesis", reference, "--collar", "0.25"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["der"] == 0.0 and scores["collar"] == 0.25
    assert scores["files"]["mixture"]["reference_speakers"] == 4
    assert main(["eval", "diarization", "--reference", reference, "--hypothesis", "/nonexistent.rttm"]) == 2
