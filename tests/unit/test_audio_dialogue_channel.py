"""A surround film mix's speech track is its front centre, where films put the dialogue (assets/audio/
dialogue_channel.py): before session 43 every channel was folded into mono, laying the score over the voices. The
mix: the pyannote sample (two speakers, reference RTTM) in the centre, Big Buck Bunny's soundtrack around it, as
bench/audio_surround.py builds it, written as 5.1 FLAC and 7.1 PCM with FFmpeg."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assets.audio.extract import SEPARATION_RATE, extract_audio, read_audio
from assets.audio.tracks import AudioParams
from tests.conftest import load_bench
from tests.made_media import needs_ffmpeg

pytestmark = needs_ffmpeg
SAMPLE = "media/audio/pyannote_sample/sample.wav"


@pytest.fixture(scope="module")
def surround(shared, tmp_path_factory) -> dict:
    import librosa

    work = tmp_path_factory.mktemp("surround")
    music, _ = read_audio(extract_audio(shared / "media/video/big_buck_bunny_0_30.webm", work / "bunny")
                          .separation_path)
    speech, _ = sf.read(str(shared / SAMPLE), dtype="float32")
    speech = librosa.resample(speech, orig_sr=16000, target_sr=SEPARATION_RATE)
    n = min(speech.shape[0], music.shape[1])
    mix = load_bench("audio_surround").surround_mix(speech[:n], music[:, :n], 0.0, None)
    sf.write(work / "mix.wav", mix.T, SEPARATION_RATE)
    made = {"5.1": work / "film_51.flac", "7.1": work / "film_71.wav", "speech": speech[:n]}
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(work / "mix.wav"), "-channel_layout",
                    "5.1(side)", "-c:a", "flac", str(made["5.1"])], check=True)
    # 7.1 as 16-bit PCM: the centre the third of eight channels, the side pair's copies in the back pair
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(work / "mix.wav"), "-af",
                    "pan=7.1|FL=c0|FR=c1|FC=c2|LFE=c3|BL=c4|BR=c5|SL=c4|SR=c5", "-c:a", "pcm_s16le",
                    str(made["7.1"])], check=True)
    return made


def _correlation(path: Path, speech: np.ndarray) -> float:
    import librosa

    track, rate = sf.read(str(path), dtype="float32")
    truth = librosa.resample(speech, orig_sr=SEPARATION_RATE, target_sr=rate)
    n = min(len(track), len(truth))
    return float(np.corrcoef(track[:n], truth[:n])[0, 1])


@pytest.mark.parametrize("layout", ["5.1", "7.1"])
def test_the_speech_track_of_a_surround_mix_is_its_dialogue_channel(surround, tmp_path, layout):
    centre = extract_audio(surround[layout], tmp_path / "auto")
    mixed = extract_audio(surround[layout], tmp_path / "mix", speech_channel="mix")
    assert "front centre (dialogue) channel" in centre.speech_note and mixed.speech_note == ""
    assert _correlation(centre.speech_path, surround["speech"]) > 0.99
    assert _correlation(mixed.speech_path, surround["speech"]) < 0.8
    stereo_a, _ = read_audio(centre.separation_path)  # the separators' stereo keeps every channel
    stereo_b, _ = read_audio(mixed.separation_path)
    assert np.array_equal(stereo_a, stereo_b)


def test_diarization_of_the_dialogue_channel_finds_the_two_speakers(shared, surround, tmp_path):
    from assets.audio.speech import segments_table, write_rttm
    from orchestration.eval_diarization import diarization_error
    from resources.diarizer import build_diarizer

    diarizer = build_diarizer("pyannote_onnx")
    reference = shared / "media/audio/pyannote_sample/sample.rttm"
    der = {}
    for choice in ("auto", "mix"):
        out = extract_audio(surround["5.1"], tmp_path / choice, speech_channel=choice)
        signal, rate = sf.read(str(out.speech_path), dtype="float32")
        turns = diarizer.diarize(signal, rate)
        der[choice] = diarization_error(reference, write_rttm(segments_table(turns), "sample",
                                                              tmp_path / f"{choice}.rttm"))["der"]
    assert der["auto"] < 0.1 < 0.3 < der["mix"], der


def test_mono_and_stereo_tracks_are_mixed_as_before(shared, tmp_path):
    out = extract_audio(shared / "media/video/big_buck_bunny_0_30.webm", tmp_path / "stereo")
    mixed = extract_audio(shared / "media/video/big_buck_bunny_0_30.webm", tmp_path / "mix", speech_channel="mix")
    assert out.speech_note == "" and sf.read(out.speech_path)[0].tolist() == sf.read(mixed.speech_path)[0].tolist()


def test_an_unknown_speech_channel_setting_is_refused():
    with pytest.raises(ValueError, match="audio.speech_channel must be one of auto, mix"):
        AudioParams(speech_channel="centre")
