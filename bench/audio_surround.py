"""Diarization on a surround film mix: the speech track from the front centre (``audio.speech_channel: auto``) or
from every channel (``mix``), printed as JSON (not a test).

A 5.1 film mix is built from ../shared: the pyannote sample (2 speakers, overlap, reference RTTM) as the dialogue in
the front centre, Big Buck Bunny's soundtrack (music and effects, no speech) in the front and side pairs and, low
passed, the LFE, at several speech-to-music ratios (the dialogue's level while it sounds against the music's RMS).
``centre_bleed_db``: the centre also carries the music that far below the dialogue (a mix's centre-panned score;
None: dialogue alone). Each mix is written as 5.1(side) FLAC and read by castforge's own ``extract_audio`` with
each ``speech_channel``; the default diarizer runs on its speech track; DER by pyannote.metrics (collar 0, overlap
scored).

Usage: .venv/bin/python bench/audio_surround.py [--ratios -5,0,5,10] [--bleed none,-12]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.audio.extract import SEPARATION_RATE, extract_audio, read_audio  # noqa: E402
from assets.audio.speech import segments_table, write_rttm  # noqa: E402
from orchestration.eval_diarization import diarization_error  # noqa: E402
from resources.diarizer import build_diarizer  # noqa: E402
from resources.paths import shared_dir  # noqa: E402


def surround_mix(speech: np.ndarray, music: np.ndarray, ratio_db: float, bleed_db: float | None) -> np.ndarray:
    """6 x samples in 5.1(side) order (FL FR FC LFE SL SR), peak 0.3: the dialogue in FC at ``ratio_db`` over the
    music, which fills the other channels (the LFE its low end)."""
    import scipy.signal

    voiced = speech[np.abs(speech) > 1e-4]
    dialogue = speech / np.sqrt(np.mean(voiced ** 2))
    score = music / np.sqrt(np.mean(music ** 2)) * 10 ** (-ratio_db / 20)
    centre = dialogue + (score.mean(axis=0) * 10 ** (bleed_db / 20) if bleed_db is not None else 0.0)
    low = scipy.signal.sosfilt(scipy.signal.butter(4, 120, fs=SEPARATION_RATE, output="sos"), score.mean(axis=0))
    channels = np.stack([score[0], score[1], centre, low, 0.7 * score[0], 0.7 * score[1]])
    return (0.3 * channels / np.abs(channels).max()).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratios", default="-5,0,5,10", help="speech-to-music ratios in dB")
    parser.add_argument("--bleed", default="none,-12", help="music in the centre, dB below the dialogue (none: no)")
    args = parser.parse_args()
    shared = shared_dir()
    if shared is None:
        sys.exit("bench/audio_surround.py needs ../shared (or CASTFORGE_SHARED) with the real media")
    import librosa

    diarizer = build_diarizer("pyannote_onnx")
    reference = shared / "media/audio/pyannote_sample/sample.rttm"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bunny = extract_audio(shared / "media/video/big_buck_bunny_0_30.webm", work / "bunny")
        music, _ = read_audio(bunny.separation_path)
        speech, _ = sf.read(str(shared / "media/audio/pyannote_sample/sample.wav"), dtype="float32")
        speech = librosa.resample(speech, orig_sr=16000, target_sr=SEPARATION_RATE)
        n = min(speech.shape[0], music.shape[1])
        for bleed in [None if b == "none" else float(b) for b in args.bleed.split(",")]:
            for ratio in [float(r) for r in args.ratios.split(",")]:
                wav, flac = work / "mix.wav", work / f"mix_{ratio}_{bleed}.flac"
                sf.write(wav, surround_mix(speech[:n], music[:, :n], ratio, bleed).T, SEPARATION_RATE)
                subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-channel_layout",
                                "5.1(side)", "-c:a", "flac", str(flac)], check=True)
                row = {"speech_to_music_db": ratio, "centre_bleed_db": bleed}
                for choice in ("auto", "mix"):
                    out = extract_audio(flac, work / choice, speech_channel=choice)
                    signal, rate = sf.read(str(out.speech_path), dtype="float32")
                    turns = diarizer.diarize(signal, rate)
                    hypothesis = write_rttm(segments_table(turns), "sample", work / f"{choice}.rttm")
                    scores = diarization_error(reference, hypothesis)
                    row[choice] = {key: round(scores[key], 4) for key in ("der", "missed", "false_alarm",
                                                                          "confusion")}
                    row[choice]["speakers_found"] = len({t.speaker for t in turns})
                rows.append(row)
    print(json.dumps({"surround": rows, "mean_der": {choice: round(float(np.mean([r[choice]["der"] for r in rows])), 4)
                                                      for choice in ("auto", "mix")}}, indent=1))


if __name__ == "__main__":
    main()
