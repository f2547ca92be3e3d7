"""Audio path figures, printed as JSON (not a test).

- separation: the AMI meeting speech (ami_seriously/mixture.wav, panned centre) mixed with Big Buck Bunny's
  soundtrack (music and effects, no speech; stereo) at several speech-to-music ratios; SI-SDR of the vocals
  estimate (downmixed) against the known speech, and its improvement over the mixture itself. Also the same
  mixtures downmixed to mono (no panning cue).
- diarization: DER (pyannote.metrics; collar 0 with overlap scored, and collar 0.25 s without overlap) of the
  offline diarizer on ami_seriously/mixture.wav and pyannote_sample/sample.wav; for the offline diarizer also
  with its overlap detection (``DiarizationParams.detect_overlap``) switched the other way, to show what it does.
- real-time factor (processing seconds / audio seconds) of each stage on this CPU.
- with ``--subsets``: DER of the diarizer on ten more recordings built from the AMI speakers' per-speaker sources
  (ami_seriously/sources/, time-aligned with the meeting): every 2- and 3-speaker subset summed, scored against the
  reference RTTM restricted to those speakers (real turn-taking and overlap). ``turn_gated``: each source kept only
  inside its speaker's turns (the audio holds what the reference lists); ``with_crosstalk``: the sources as recorded,
  carrying the left-out speakers at -20..-35 dB (speech the reference does not list, so it scores as false alarm).
  Half the subsets are ``dev`` (tuning), half ``held_out`` (reported; ``--subset-split``).

- with ``--music``: DER of the diarizer on the pyannote sample (2 speakers, overlap) mixed with Big Buck Bunny's
  soundtrack at several speech-to-music ratios, on the mix and on the separated vocals.
- with ``--active-speakers``: the lip-sync mapping on synthetic talking-mouth clips (two drawn faces, each mouth
  moving with its own voice, the picture late by a known offset): mapping accuracy and offset error.

Usage: .venv/bin/python bench/audio.py [--separator spectral|demucs] [--diarizer pyannote_onnx|silero_resemblyzer] [--whole-model]
       [--step-s S] [--phases N] [--subsets [--subset-split dev|held_out|both]] [--music] [--active-speakers] [--sintel-home HOME [--sintel-film FILM]]
- with ``--phases N``: DER on all 22 recordings (the two files and the 20 subset recordings) at N shifts of the
  window grid, and the mean over them (``phase_figures``); ``--step-s`` sets the diarizer's window step.
- with ``--sintel-home``: voice_map on the Sintel trailer against lines labelled by eye (bench/data/).
- with ``--memory 1,10``: peak RSS of the diarizer at those lengths (the AMI excerpt looped), streamed from the WAV
  and from the whole array (``--memory-step-s`` to shorten long runs).
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.audio.extract import SEPARATION_RATE, extract_audio, read_audio  # noqa: E402
from assets.audio.separation import separate_file  # noqa: E402
from assets.audio.speech import segments_table, write_rttm  # noqa: E402
from assets.audio.voice_features import voice_features  # noqa: E402
from orchestration.eval_diarization import diarization_error  # noqa: E402
from resources.diarizer import build_diarizer  # noqa: E402
from resources.paths import shared_dir  # noqa: E402
from resources.vocal_separator import build_separator  # noqa: E402

RATIOS_DB = (-5, 0, 5, 10)


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    scale = np.dot(estimate, reference) / np.dot(reference, reference)
    target = scale * reference
    return float(10 * np.log10(np.sum(target ** 2) / np.sum((estimate - target) ** 2)))


def separation_figures(shared: Path, separator, work: Path) -> dict:
    import librosa

    bunny = extract_audio(shared / "media/video/big_buck_bunny_0_30.webm", work / "bunny")
    music, _ = read_audio(bunny.separation_path)
    speech, _ = sf.read(str(shared / "media/audio/ami_seriously/mixture.wav"), dtype="float32")
    speech = librosa.resample(speech, orig_sr=16000, target_sr=SEPARATION_RATE)[: music.shape[1]]
    music = music[:, : speech.shape[0]]
    speech, music = speech / np.sqrt(np.mean(speech ** 2)), music / np.sqrt(np.mean(music ** 2))
    rows, seconds, audio_s = [], 0.0, 0.0
    for ratio in RATIOS_DB:
        mix = np.stack([speech, speech]) + music * 10 ** (-ratio / 20)
        row = {"speech_to_music_db": ratio}
        for layout, signal in (("stereo", mix), ("mono", mix.mean(axis=0, keepdims=True))):
            started = time.perf_counter()
            vocals, _ = separator.separate(signal, SEPARATION_RATE)
            seconds += time.perf_counter() - started
            audio_s += signal.shape[1] / SEPARATION_RATE
            before, after = si_sdr(signal.mean(0), speech), si_sdr(vocals.mean(0), speech)
            row[layout] = {"mixture_si_sdr_db": round(before, 2), "vocals_si_sdr_db": round(after, 2),
                           "si_sdr_improvement_db": round(after - before, 2)}
        rows.append(row)
    return {"backend": separator.name, "model": separator.model, "mixtures": rows,
            "real_time_factor": round(seconds / audio_s, 4)}


def warm_up(shared: Path, diarizer) -> None:
    """One short diarization first, so the figures do not count lazy imports (librosa) and first-call set-up."""
    waveform, rate = sf.read(str(shared / "media/audio/pyannote_sample/sample.wav"), dtype="float32")
    diarizer.diarize(waveform[: 12 * rate], rate)


def diarization_figures(shared: Path, diarizer, work: Path, ablation: bool = False) -> dict:
    """DER of ``diarizer`` on the two reference files; real-time factor in wall seconds and in CPU seconds of this
    process (all its threads: on a shared machine the steadier figure)."""
    out, seconds, cpu_s, audio_s = {}, 0.0, 0.0, 0.0
    for name, wav, rttm in (("ami_seriously", "ami_seriously/mixture.wav", "ami_seriously/mixture.rttm"),
                            ("pyannote_sample", "pyannote_sample/sample.wav", "pyannote_sample/sample.rttm")):
        waveform, rate = sf.read(str(shared / "media/audio" / wav), dtype="float32")
        started, cpu_started = time.perf_counter(), time.process_time()
        turns = diarizer.diarize(waveform, rate)
        seconds += time.perf_counter() - started
        cpu_s += time.process_time() - cpu_started
        audio_s += waveform.shape[0] / rate
        hypothesis = write_rttm(segments_table(turns), name, work / f"{name}.rttm")
        reference = shared / "media/audio" / rttm
        full = diarization_error(reference, hypothesis)
        forgiving = diarization_error(reference, hypothesis, collar=0.25, skip_overlap=True)
        file_scores = next(iter(full["files"].values()))
        out[name] = {"der": full["der"], "missed": full["missed"], "false_alarm": full["false_alarm"],
                     "confusion": full["confusion"], "speakers_found": file_scores["hypothesis_speakers"],
                     "speakers_reference": file_scores["reference_speakers"],
                     "der_collar_0.25_skip_overlap": forgiving["der"]}
    figures = {"backend": diarizer.name, "model": diarizer.model, "files": out,
               "real_time_factor": round(seconds / audio_s, 4), "cpu_real_time_factor": round(cpu_s / audio_s, 4)}
    params = getattr(diarizer, "params", None)
    if params is not None and hasattr(params, "detect_overlap") and not ablation:
        import dataclasses

        figures["overlap_detection"] = params.detect_overlap
        diarizer.params = dataclasses.replace(params, detect_overlap=not params.detect_overlap)
        try:
            other = "without" if params.detect_overlap else "with"
            figures[f"{other}_overlap_detection"] = diarization_figures(shared, diarizer, work, ablation=True)["files"]
        finally:
            diarizer.params = params
    return figures


def read_rttm_turns(path: Path) -> dict[str, list[tuple[float, float]]]:
    turns: dict[str, list[tuple[float, float]]] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            turns.setdefault(fields[7], []).append((float(fields[3]), float(fields[4])))
    return turns


SUBSET_SPLITS = ("dev", "held_out")


def ami_subsets(shared: Path) -> tuple[list[dict], int]:
    """Every 2- and 3-speaker subset of the AMI excerpt rebuilt from its per-speaker source files, in two variants:
    ``turn_gated`` (each source kept only inside its own speaker's reference turns, 10 ms ramps, so the audio holds
    exactly the speech the reference lists) and ``with_crosstalk`` (the sources as recorded: each one also carries the
    other speakers at -20..-35 dB, speech the restricted reference does not list). Subsets alternate between the
    ``dev`` split (tuning) and the ``held_out`` split (reported only)."""
    import itertools

    folder = shared / "media/audio/ami_seriously"
    reference = read_rttm_turns(folder / "mixture.rttm")
    sources = [sf.read(str(path), dtype="float32")[0] for path in sorted((folder / "sources").glob("source*.wav"))]
    rate = 16000

    def share_inside(signal: np.ndarray, turns: list[tuple[float, float]]) -> float:
        inside = sum(float(np.sum(signal[int(s * rate):int((s + d) * rate)] ** 2)) for s, d in turns)
        return inside / max(float(np.sum(signal ** 2)), 1e-12)

    def turn_mask(n: int, turns: list[tuple[float, float]]) -> np.ndarray:
        mask = np.zeros(n, dtype=np.float32)
        for s, d in turns:
            mask[int(s * rate):int((s + d) * rate)] = 1.0
        ramp = np.hanning(2 * int(0.01 * rate) + 1)
        return np.convolve(mask, ramp / ramp.sum(), mode="same").astype(np.float32)

    # which source is which speaker: the one with most of its energy inside that speaker's reference turns
    source_of = {speaker: int(np.argmax([share_inside(src, turns) for src in sources]))
                 for speaker, turns in reference.items()}
    combos = [keep for size in (2, 3) for keep in itertools.combinations(sorted(reference), size)]
    subsets = []
    for i, keep in enumerate(combos):
        raw = [sources[source_of[k]] for k in keep]
        gated = [src * turn_mask(len(src), reference[k]) for src, k in zip(raw, keep)]
        subsets.append({"name": "+".join(keep), "split": SUBSET_SPLITS[i % 2],
                        "reference": {k: reference[k] for k in keep},
                        "turn_gated": np.sum(gated, axis=0).astype(np.float32),
                        "with_crosstalk": np.sum(raw, axis=0).astype(np.float32)})
    return subsets, rate


def subset_figures(shared: Path, diarizer, work: Path, splits: tuple[str, ...] = SUBSET_SPLITS) -> dict:
    """DER on the AMI subsets (``ami_subsets``), per variant and split; scored against the reference RTTM
    restricted to the subset's speakers (real turn-taking and overlap)."""
    subsets, rate = ami_subsets(shared)
    rows, scores_by, cpu_s, audio_s = [], {}, 0.0, 0.0
    for subset in subsets:
        if subset["split"] not in splits:
            continue
        name = subset["name"]
        ref_path = work / f"subset_{name}.ref.rttm"
        ref_path.write_text("".join(f"SPEAKER {name} 1 {s:.3f} {d:.3f} <NA> <NA> {k} <NA> <NA>\n"
                                    for k, turns in subset["reference"].items() for s, d in turns))
        row = {"speakers": name, "split": subset["split"]}
        for variant in ("turn_gated", "with_crosstalk"):
            cpu_started = time.process_time()
            turns = diarizer.diarize(subset[variant], rate)
            cpu_s += time.process_time() - cpu_started
            audio_s += len(subset[variant]) / rate
            scores = diarization_error(ref_path, write_rttm(segments_table(turns), name,
                                                            work / f"subset_{name}.{variant}.rttm"))
            row[variant] = {"der": scores["der"], "missed": scores["missed"], "false_alarm": scores["false_alarm"],
                            "confusion": scores["confusion"], "speakers_found": len({t.speaker for t in turns})}
            scores_by.setdefault(f"{variant}/{subset['split']}", []).append(scores["der"])
        rows.append(row)
    return {"recordings": rows, "mean_der": {k: round(float(np.mean(v)), 4) for k, v in sorted(scores_by.items())},
            "cpu_real_time_factor": round(cpu_s / max(audio_s, 1e-9), 4),
            "splits": "dev: even-numbered subsets (tuning); held_out: odd-numbered ones (never tuned on)"}


def phase_figures(shared: Path, diarizer, work: Path, phases: int) -> dict:
    """DER on all 22 recordings (the two files, every AMI subset in both variants) with the audio shifted against the
    window grid: each recording diarized ``phases`` times behind k / phases of a window step of digital silence
    (turns shifted back before scoring). Which windows a line falls into moves DER by several points on its own
    (the pyannote sample's two voices sit at the clustering cut and merge at some shifts): a step is judged on the
    mean over phases. CPU seconds of this process per minute of audio."""
    subsets, rate = ami_subsets(shared)
    recordings = []
    for name, wav, rttm in (("ami", "ami_seriously/mixture.wav", "ami_seriously/mixture.rttm"),
                            ("sample", "pyannote_sample/sample.wav", "pyannote_sample/sample.rttm")):
        recordings.append((name, "file", sf.read(str(shared / "media/audio" / wav), dtype="float32")[0],
                           shared / "media/audio" / rttm))
    for subset in subsets:
        reference = work / f"phase_{subset['name']}.ref.rttm"
        reference.write_text("".join(f"SPEAKER {subset['name']} 1 {s:.3f} {d:.3f} <NA> <NA> {k} <NA> <NA>\n"
                                     for k, turns in subset["reference"].items() for s, d in turns))
        recordings += [(subset["name"], f"{variant}/{subset['split']}", subset[variant], reference)
                       for variant in ("turn_gated", "with_crosstalk")]
    step_s = diarizer.params.step_s
    runs, cpu_s, audio_s = [], 0.0, 0.0
    for phase in range(phases):
        pad = round(phase * step_s / phases, 3)
        ders, groups = {}, {}
        for name, group, waveform, reference in recordings:
            shifted = np.concatenate([np.zeros(int(pad * rate), dtype=np.float32), waveform])
            started = time.process_time()
            turns = diarizer.diarize(shifted, rate)
            cpu_s += time.process_time() - started
            audio_s += len(shifted) / rate
            turns = [t._replace(start_s=round(max(t.start_s - pad, 0.0), 3), end_s=round(t.end_s - pad, 3))
                     for t in turns if t.end_s > pad]
            scores = diarization_error(reference, write_rttm(segments_table(turns), name, work / f"phase_{name}.rttm"))
            ders[f"{group}:{name}"] = round(100 * scores["der"], 2)
            groups.setdefault(name if group == "file" else group, []).append(100 * scores["der"])
        runs.append({"shift_s": pad, "der_percent": ders,
                     "means": {k: round(float(np.mean(v)), 2) for k, v in sorted(groups.items())}})
    per_recording = {k: round(float(np.mean([run["der_percent"][k] for run in runs])), 2) for k in runs[0]["der_percent"]}
    return {"step_s": step_s, "phases": runs, "mean_over_phases": per_recording,
            "means_over_phases": {k: round(float(np.mean([run["means"][k] for run in runs])), 2) for k in runs[0]["means"]},
            "all_recordings_mean": round(float(np.mean(list(per_recording.values()))), 2),
            "cpu_s_per_minute_of_audio": round(60 * cpu_s / max(audio_s, 1e-9), 3)}


def music_figures(shared: Path, separator, diarizer, work: Path) -> dict:
    """DER against speech-to-music ratio: the pyannote sample over Big Buck Bunny's music, mix and vocals."""
    import librosa

    bunny = extract_audio(shared / "media/video/big_buck_bunny_0_30.webm", work / "bunny_music")
    music, _ = read_audio(bunny.separation_path)
    speech, _ = sf.read(str(shared / "media/audio/pyannote_sample/sample.wav"), dtype="float32")
    speech = librosa.resample(speech, orig_sr=16000, target_sr=SEPARATION_RATE)
    n = min(speech.shape[0], music.shape[1])
    speech, music = speech[:n], music[:, :n]
    speech_rms = np.sqrt(np.mean(speech[np.abs(speech) > 1e-4] ** 2))  # level of the speech while it sounds
    music = music / np.sqrt(np.mean(music ** 2))
    reference = shared / "media/audio/pyannote_sample/sample.rttm"
    rows = []
    for ratio in RATIOS_DB:
        mix = np.stack([speech, speech]) / speech_rms + music * 10 ** (-ratio / 20)
        mix = (0.3 * mix / np.max(np.abs(mix))).astype(np.float32)
        vocals, _ = separator.separate(mix, SEPARATION_RATE)
        row = {"speech_to_music_db": ratio}
        for label, signal in (("mix", mix), ("vocals", vocals)):
            mono = librosa.resample(signal.mean(axis=0), orig_sr=SEPARATION_RATE, target_sr=16000)
            turns = diarizer.diarize(mono.astype(np.float32), 16000)
            hypothesis = write_rttm(segments_table(turns), "sample", work / f"music_{ratio}_{label}.rttm")
            scores = diarization_error(reference, hypothesis)
            row[label] = {"der": scores["der"], "missed": scores["missed"], "false_alarm": scores["false_alarm"],
                          "confusion": scores["confusion"], "speakers_found": len({t.speaker for t in turns})}
        rows.append(row)
    return {"recording": "pyannote_sample over big_buck_bunny_0_30 (music and effects)", "separator": separator.name,
            "mixtures": rows}


def active_speaker_figures(work: Path) -> dict:
    """Lip-sync mapping on synthetic talking clips with known offsets (tests/unit/test_audio_active_speakers.py)."""
    import polars as pl

    from assets.audio.active_speakers import ActiveSpeakerParams, pooled_evidence, shot_evidence
    from assets.audio.mouth_tracks import mouth_series
    from tests.unit.test_audio_active_speakers import BOXES, DURATION, VOICE_OF, segments, talking_clip

    params, rows, correct, total, errors = ActiveSpeakerParams(), [], 0, 0, []
    for offset in (-0.16, 0.0, 0.08, 0.2, 0.32):
        video = talking_clip(work / f"talk_{offset}.mp4", offset)
        times = np.arange(0.0, DURATION - 0.4, 1 / params.rate)
        series = mouth_series(video, times, {face: [(4.0, box)] for face, box in BOXES.items()})
        evidence = pooled_evidence(pl.DataFrame(shot_evidence(segments(), 0, times, series, params)), params)
        best = evidence.sort("sync_correlation", descending=True).group_by("speaker", maintain_order=True).first()
        for row in best.iter_rows(named=True):
            truth = next(face for face, voice in VOICE_OF.items() if f"SPEAKER_{voice}" == row["speaker"])
            correct += row["identity"] == truth
            total += 1
            errors.append(abs(row["sync_lag_s"] - offset))
        rows.append({"offset_s": offset, "mapped": dict(zip(best["speaker"], best["identity"])),
                     "lags_s": dict(zip(best["speaker"], best["sync_lag_s"]))})
    return {"clips": rows, "mapping_accuracy": round(correct / max(total, 1), 3),
            "mean_offset_error_s": round(float(np.mean(errors)), 3), "sample_period_s": 1 / params.rate}


def sintel_mapping_figures(home: Path, film: str) -> dict:
    """voice_map against bench/data/sintel_trailer_lines.csv (labelled by eye): each dialogue line either has its
    speaker's face on screen (the mapped identity must be the one seen then) or none (the voice must stay unmapped).
    Needs a home where ``castforge materialize FILM --select voice_map`` ran."""
    import polars as pl

    from resources.storage import FilmWorkspace

    workspace = FilmWorkspace(film, home)
    labels = pl.read_csv(Path(__file__).with_name("data") / "sintel_trailer_lines.csv")
    segments, mapped = workspace.read_table("speech_segments"), workspace.read_table("speaker_identities")
    seen = (workspace.read_table("instances").select("instance_id", "timestamp_s")
            .join(workspace.read_table("instance_identities").select("instance_id", "identity"), on="instance_id"))
    rows, correct = [], 0
    for line in labels.iter_rows(named=True):
        overlap = segments.with_columns((pl.min_horizontal("end_s", pl.lit(line["end_s"]))
                                         - pl.max_horizontal("start_s", pl.lit(line["start_s"]))).alias("o"))
        overlap = overlap.filter(pl.col("o") > 0).sort("o", descending=True)
        speaker = overlap["speaker"][0] if overlap.height else None
        got = mapped.filter(pl.col("speaker") == speaker) if speaker else mapped.head(0)
        identity = got["identity"][0] if got.height else None
        expected = None
        if line["speaker_on_screen"]:
            during = seen.filter(pl.col("timestamp_s").is_between(line["start_s"], line["end_s"]))
            expected = during["identity"].mode()[0] if during.height else "(not detected)"
        correct += identity == expected
        rows.append({"line": f"{line['start_s']}-{line['end_s']}", "on_screen": line["speaker_on_screen"] or "none",
                     "speaker": speaker, "mapped": identity, "expected": expected,
                     "evidence": got["evidence"][0] if got.height else None})
    return {"lines": rows, "mapping_accuracy": round(correct / max(labels.height, 1), 3)}


# peak RSS from /proc (VmHWM, kB): getrusage's ru_maxrss starts a child at its parent's peak (Linux keeps it
# across fork and exec), so after this bench's own diarization every probe read the bench's peak (933 MB)
MEMORY_PROBE = """
import sys, time
sys.path.insert(0, {repo!r})
def peak_kb():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
from resources.diarizer import build_diarizer
model = build_diarizer("pyannote_onnx")
model.params = __import__("dataclasses").replace(model.params, **{params!r})
before = peak_kb()
started = time.perf_counter()
if {mode!r} == "streamed":
    turns = model.diarize_file({path!r})
else:
    import soundfile
    turns = model.diarize(soundfile.read({path!r}, dtype="float32")[0], 16000)
print(before, peak_kb(), time.perf_counter() - started, len(turns))
"""


def memory_figures(shared: Path, work: Path, minutes: tuple[int, ...], params: dict) -> dict:
    """Peak RSS of the diarizer (its own process) on the AMI excerpt looped to each length: streamed from the WAV
    (``diarize_file``, what the asset does) and from the whole array in memory. ``params`` overrides the diarizer's
    (e.g. a longer ``step_s`` to keep a long run short)."""
    import subprocess

    speech, rate = sf.read(str(shared / "media/audio/ami_seriously/mixture.wav"), dtype="float32")
    rows = []
    for length in minutes:
        path = work / f"ami_{length}min.wav"
        sf.write(path, np.resize(speech, length * 60 * rate), rate, subtype="PCM_16")
        for mode in ("streamed", "array"):
            code = MEMORY_PROBE.format(repo=str(Path(__file__).resolve().parents[1]), params=params, mode=mode,
                                       path=str(path))
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            before, peak, seconds, turns = out.stdout.split()
            rows.append({"minutes": length, "mode": mode, "models_loaded_mb": round(int(before) / 1024, 1),
                         "peak_rss_mb": round(int(peak) / 1024, 1),
                         "growth_over_models_mb": round((int(peak) - int(before)) / 1024, 1),
                         "seconds": round(float(seconds), 1), "turns": int(turns)})
    return {"recording": "ami_seriously/mixture.wav looped, 16-bit WAV", "params": params, "runs": rows}


def stage_rtf(shared: Path, separator, diarizer, work: Path) -> dict:
    sintel = shared / "media/video/sintel_trailer_480x204.mp4"
    started = time.perf_counter()
    extracted = extract_audio(sintel, work / "sintel")
    extract_s = time.perf_counter() - started
    started = time.perf_counter()
    separate_file(extracted.separation_path, separator, work / "sintel_vocals")
    separate_s = time.perf_counter() - started
    waveform, rate = read_audio(shared / "media/audio/ami_seriously/mixture.wav")
    started = time.perf_counter()
    segments = segments_table(diarizer.diarize(waveform[0], rate))
    diarize_s = time.perf_counter() - started
    started = time.perf_counter()
    voice_features(waveform[0], rate, segments)
    features_s = time.perf_counter() - started
    duration = extracted.duration_s
    ami_s = waveform.shape[1] / rate
    return {"audio (decode + resample + loudness), Sintel trailer": round(extract_s / duration, 4),
            f"vocals ({separator.name}), Sintel trailer": round(separate_s / duration, 4),
            f"diarization ({diarizer.name}), AMI 60 s": round(diarize_s / ami_s, 4),
            "voice_features, AMI 60 s (up to 30 s per speaker analysed)": round(features_s / ami_s, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--separator", default="spectral", choices=["spectral", "demucs"])
    parser.add_argument("--diarizer", default="pyannote_onnx", choices=["pyannote_onnx", "silero_resemblyzer", "pyannote"])
    parser.add_argument("--subsets", action="store_true", help="also score the 2- and 3-speaker AMI subsets")
    parser.add_argument("--subset-split", default="both", choices=["dev", "held_out", "both"],
                        help="which AMI subsets to score (tune on dev only)")
    parser.add_argument("--music", action="store_true", help="also DER against speech-to-music ratio")
    parser.add_argument("--active-speakers", action="store_true", help="also the lip-sync mapping on synthetic clips")
    parser.add_argument("--memory", default="", help="peak RSS of diarization at these lengths in minutes, e.g. 1,10")
    parser.add_argument("--memory-step-s", type=float, default=1.0, help="window step for --memory runs")
    parser.add_argument("--only-extras", action="store_true", help="skip separation and real-time factors")
    parser.add_argument("--whole-model", action="store_true",
                        help="pyannote_onnx: run segmentation-3.0 whole on every window (no shared first convolution)")
    parser.add_argument("--phases", type=int, default=0,
                        help="DER on all 22 recordings at this many shifts of the window grid (phase_figures)")
    parser.add_argument("--step-s", type=float, help="pyannote_onnx: window step for this run (default: the diarizer's)")
    parser.add_argument("--sintel-home", help="a CASTFORGE_HOME where the Sintel trailer ran through voice_map")
    parser.add_argument("--sintel-film", default="sintel_trailer_480x204")
    args = parser.parse_args()
    shared = shared_dir()
    if shared is None:
        sys.exit("bench/audio.py needs ../shared (or CASTFORGE_SHARED) with the real media")
    import os

    import torch

    separator, diarizer = build_separator(args.separator), build_diarizer(args.diarizer)
    if args.whole_model and args.diarizer == "pyannote_onnx":
        from resources.backends.pyannote_onnx import PyannoteOnnxDiarizer

        diarizer = PyannoteOnnxDiarizer(shared_front=False)
    if args.step_s is not None:
        import dataclasses

        diarizer.params = dataclasses.replace(diarizer.params, step_s=args.step_s)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        warm_up(shared, diarizer)
        figures = {"machine": {"cpu_threads": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                               "load_average_1min": round(os.getloadavg()[0], 1)},
                   "diarization": diarization_figures(shared, diarizer, work)}
        if not args.only_extras:
            figures["separation"] = separation_figures(shared, separator, work)
            figures["real_time_factor"] = stage_rtf(shared, separator, diarizer, work)
        if args.subsets:
            splits = SUBSET_SPLITS if args.subset_split == "both" else (args.subset_split,)
            figures["diarization_ami_subsets"] = subset_figures(shared, diarizer, work, splits)
        if args.phases:
            figures["diarization_window_phases"] = phase_figures(shared, diarizer, work, args.phases)
        if args.music:
            figures["diarization_over_music"] = music_figures(shared, separator, diarizer, work)
        if args.active_speakers:
            figures["active_speakers"] = active_speaker_figures(work)
        if args.memory:
            figures["diarization_memory"] = memory_figures(shared, work, tuple(int(m) for m in args.memory.split(",")),
                                                           {"step_s": args.memory_step_s})
        if args.sintel_home:
            figures["sintel_voice_mapping"] = sintel_mapping_figures(Path(args.sintel_home), args.sintel_film)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
