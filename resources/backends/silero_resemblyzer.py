"""Offline diarization from weights that ship in PyPI packages: Silero VAD + resemblyzer GE2E + NME-SC.

1. Silero VAD (``silero-vad``; or ``audio/silero_vad.onnx`` under CASTFORGE_MODELS) finds speech regions.
2. resemblyzer's GE2E speaker encoder (``VoiceEncoder``, 256-d) embeds sliding windows inside those regions.
3. NME-SC spectral clustering (resources/backends/speaker_clustering.py) groups the windows, estimating how many
   speakers there are; up to 80 windows the count comes from NeMo's enhanced counting (synthetic anchor speakers
   added), so a short recording of one voice stays one speaker.
4. Every 10 ms frame of speech takes the label that the windows covering it vote for (triangular weights, so a
   window's centre counts most).
5. Overlapped speech (``detect_overlap``, off by default): a window farther from its best centroid than that
   cluster's mean window and about as similar to the runner-up centroid as windows usually are to their own (the
   cut is the equal-likelihood point between the recording's own distributions of best and runner-up
   similarities; ``speaker_clustering.second_speakers``) adds that second speaker to the frames nearest its centre. Optionally (``overlap_share`` > 0) a second speaker holding a large share of a frame's votes is kept.
"""

import logging
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np

from resources.backends.memory import free_torch_memory
from resources.backends.speaker_clustering import assign_to_centroids, centroids, cluster_large, second_speakers
from resources.errors import MissingWeightsError
from resources.paths import find_model
from resources.protocols import SpeakerTurn

log = logging.getLogger(__name__)
SAMPLE_RATE = 16000
FRAME_S = 0.01


@dataclass(frozen=True)
class DiarizationParams:
    window_s: float = 1.5          # GE2E was trained on 1.6 s partial utterances
    step_s: float = 0.5
    min_window_s: float = 0.5      # shorter speech regions are embedded as a whole window
    vad_threshold: float = 0.5     # Silero's documented default
    min_speech_s: float = 0.25
    min_silence_s: float = 0.1
    speech_pad_s: float = 0.03
    max_speakers: int = 10
    min_speakers: int = 1
    overlap_share: float = 0.0     # > 0: keep a second speaker whose vote share is at least this (0 = off)
    # second speaker for windows lying between two centroids (second_speakers). Off by default: on the two
    # reference files it lowers DER (AMI 23.3 -> 22.0 %, pyannote sample 16.5 -> 15.9 %), but on ten held-out
    # recordings built from the AMI speakers' isolated sources (every 2- and 3-speaker subset) it raised the mean
    # DER by 0.6 points: at 1.5 s GE2E windows most flagged windows were not overlapped speech (false alarms).
    detect_overlap: bool = False
    # up to this many windows (about 40 s of speech), count speakers with NeMo's enhanced counting
    # (speaker_clustering.enhanced_speaker_count; 80 is NeMo's own enhanced_count_thres, 0 = off): the plain
    # eigengap splits a single voice into max_speakers clusters. Reference files unchanged (AMI 96 windows is above
    # it; the pyannote sample keeps 2 speakers); on the ten AMI source subsets mean DER 37.1 -> 24.2 %.
    enhanced_count_below: int = 80


class SileroResemblyzerDiarizer:
    """Implements ``resources.protocols.Diarizer`` on the CPU with no hub access."""

    name = "silero_resemblyzer"

    def __init__(self, device: str = "cpu", params: DiarizationParams | None = None):
        try:
            import silero_vad
            from resemblyzer import VoiceEncoder
        except ImportError as error:
            raise MissingWeightsError(self.name, f"python package {error.name}",
                                      "install it: .venv/bin/python -m pip install silero-vad resemblyzer") from error
        self.params = params or DiarizationParams()
        local_vad = find_model("audio/silero_vad.onnx")
        self.vad = silero_vad.load_silero_vad(onnx=True) if local_vad is None else _load_onnx_vad(local_vad)
        self.get_speech_timestamps = silero_vad.get_speech_timestamps
        self.encoder = VoiceEncoder(device=device, verbose=False)
        self.device = device
        self.model = f"silero_vad:{local_vad or 'silero-vad package'} + resemblyzer GE2E (pretrained.pt)"

    def release(self) -> None:
        """Frees the VAD and the voice encoder (and the GPU memory it held)."""
        self.vad = self.encoder = None
        free_torch_memory(self.device)

    # -- steps ---------------------------------------------------------------------------------------------------
    def speech_regions(self, waveform: np.ndarray) -> list[tuple[int, int]]:
        import torch

        p = self.params
        stamps = self.get_speech_timestamps(
            torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32)), self.vad,
            threshold=p.vad_threshold, sampling_rate=SAMPLE_RATE, min_speech_duration_ms=int(p.min_speech_s * 1000),
            min_silence_duration_ms=int(p.min_silence_s * 1000), speech_pad_ms=int(p.speech_pad_s * 1000))
        return [(int(s["start"]), int(s["end"])) for s in stamps]

    def windows(self, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
        p = self.params
        win, step, shortest = (round(x * SAMPLE_RATE) for x in (p.window_s, p.step_s, p.min_window_s))
        spans = []
        for start, end in regions:
            if end - start < shortest:
                continue
            if end - start <= win:
                spans.append((start, end))
                continue
            starts = list(range(start, end - win + 1, step))
            if starts[-1] + win < end:
                starts.append(end - win)
            spans += [(s, s + win) for s in starts]
        return spans

    def embed(self, waveform: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
        from resemblyzer.audio import normalize_volume, wav_to_mel_spectrogram

        wav = normalize_volume(waveform.astype(np.float32), -30, increase_only=True)
        return encode_mels(self.encoder, [wav_to_mel_spectrogram(wav[s:e]) for s, e in spans], self.device)

    # -- the capability ------------------------------------------------------------------------------------------
    def diarize(self, waveform: np.ndarray, sample_rate: int) -> list[SpeakerTurn]:
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"{self.name}: expects {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
        waveform = np.asarray(waveform, dtype=np.float32).reshape(-1)
        regions = self.speech_regions(waveform)
        spans = self.windows(regions)
        if not spans:
            return []
        embeddings = self.embed(waveform, spans)
        p = self.params
        labels = cluster_large(embeddings, max_speakers=p.max_speakers, min_speakers=p.min_speakers,
                               enhanced_count_below=p.enhanced_count_below)
        cents = centroids(embeddings, labels)
        labels = assign_to_centroids(embeddings, cents) if len(cents) > 1 else labels
        similarity = np.sum(embeddings * cents[labels], axis=1)
        second = second_speakers(embeddings, cents) if p.detect_overlap else None
        return frame_votes_to_turns(regions, spans, labels, similarity, len(waveform), p.overlap_share, second)


ENCODER_THREADS = 1  # GE2E's LSTM on the CPU: see encode_mels


@contextmanager
def torch_threads(count: int):
    """Torch's intra-op threads set to ``count`` inside the block, restored after it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def encode_mels(encoder, mels: list[np.ndarray], device: str = "cpu", batch_size: int = 64) -> np.ndarray:
    """GE2E embeddings (``n x 256``) of mel sequences, batched by length (the LSTM takes one length per batch).

    On the CPU the LSTM runs on one thread: it steps through 160 frames x 3 layers of small matrix products, each a
    barrier for a thread team, and with the other core busy (the visual branch runs beside the audio one) two
    threads spent 10x the CPU seconds of one for the same embeddings (192 partials: 15-17 against 1.3-1.5 CPU-s)."""
    import torch

    by_length: dict[int, list[int]] = {}
    for i, mel in enumerate(mels):
        by_length.setdefault(mel.shape[0], []).append(i)
    out = np.zeros((len(mels), 256), dtype=np.float32)
    threads = torch_threads(ENCODER_THREADS) if device == "cpu" else nullcontext()
    with threads, torch.inference_mode():
        for indices in by_length.values():
            for chunk in range(0, len(indices), batch_size):
                batch = indices[chunk:chunk + batch_size]
                out[batch] = encoder(torch.from_numpy(np.stack([mels[i] for i in batch])).to(device)).cpu().numpy()
    return out


def encode_packed(encoder, mels: list[np.ndarray], device: str = "cpu") -> np.ndarray:
    """GE2E embeddings (``n x 256``) of mel sequences of any lengths through one packed run of the LSTM (each
    sequence's last hidden state at its own length, then resemblyzer's projection and normalisation): on 123 short
    sequences of a film 0.3 against 0.6 CPU-s one at a time; the embeddings differ from those by < 1e-6."""
    import torch
    from torch.nn.utils.rnn import pack_sequence

    if not mels:
        return np.zeros((0, 256), dtype=np.float32)
    threads = torch_threads(ENCODER_THREADS) if device == "cpu" else nullcontext()
    with threads, torch.inference_mode():
        packed = pack_sequence([torch.from_numpy(np.ascontiguousarray(m)).to(device) for m in mels],
                               enforce_sorted=False)
        _, (hidden, _) = encoder.lstm(packed)  # hidden comes back in the sequences' own order
        raw = encoder.relu(encoder.linear(hidden[-1]))
        return (raw / torch.norm(raw, dim=1, keepdim=True)).cpu().numpy()


def frame_votes_to_turns(regions: list[tuple[int, int]], spans: list[tuple[int, int]], labels: np.ndarray,
                         similarity: np.ndarray, n_samples: int, overlap_share: float = 0.0,
                         second: np.ndarray | None = None) -> list[SpeakerTurn]:
    """Per 10 ms frame, the speaker whose covering windows vote most (centre-weighted), limited to speech.
    ``second`` (per window, a second speaker or -1) adds that speaker to the frames nearer to that window's centre
    than to any other window's centre (overlapped speech)."""
    hop = round(FRAME_S * SAMPLE_RATE)
    n_frames = n_samples // hop + 1
    k = int(max(labels.max(), second.max() if second is not None and second.size else 0)) + 1
    votes = np.zeros((n_frames, k), dtype=np.float64)
    conf = np.zeros(n_frames, dtype=np.float64)
    weight_sum = np.zeros(n_frames, dtype=np.float64)
    for (start, end), label, sim in zip(spans, labels, similarity):
        f0, f1 = start // hop, max(end // hop, start // hop + 1)
        weights = np.bartlett(f1 - f0 + 2)[1:-1] if f1 - f0 > 1 else np.ones(1)
        votes[f0:f1, label] += weights
        conf[f0:f1] += weights * float(sim)
        weight_sum[f0:f1] += weights
    speech = np.zeros(n_frames, dtype=bool)
    for start, end in regions:
        speech[start // hop:end // hop] = True
    # speech frames no window covers (regions shorter than the shortest window) take their nearest window's vote
    covered = weight_sum > 0
    if speech.any() and covered.any():
        idx = np.where(covered)[0]
        for f in np.where(speech & ~covered)[0]:
            nearest = idx[np.argmin(np.abs(idx - f))]
            votes[f], conf[f], weight_sum[f] = votes[nearest], conf[nearest], weight_sum[nearest]
    active = np.zeros_like(votes, dtype=bool)
    best = votes.argmax(axis=1)
    active[np.arange(n_frames), best] = True
    if overlap_share > 0:
        share = votes / np.maximum(votes.sum(axis=1, keepdims=True), 1e-12)
        second = np.argsort(-votes, axis=1)[:, 1] if k > 1 else best
        keep_second = (share[np.arange(n_frames), second] >= overlap_share) & (second != best)
        active[np.arange(n_frames)[keep_second], second[keep_second]] = True
    if second is not None and np.any(second >= 0):
        nearest = _nearest_window(spans, n_frames, hop)
        for i in np.flatnonzero(second >= 0):
            f0, f1 = spans[i][0] // hop, max(spans[i][1] // hop, spans[i][0] // hop + 1)
            frames = np.arange(f0, min(f1, n_frames))
            active[frames[nearest[frames] == i], int(second[i])] = True
    active &= speech[:, None]
    mean_conf = np.clip(conf / np.maximum(weight_sum, 1e-12), 0.0, 1.0)
    turns = []
    for speaker in range(k):
        on = np.concatenate([[False], active[:, speaker], [False]])
        edges = np.flatnonzero(np.diff(on.astype(np.int8)))
        for f0, f1 in zip(edges[::2], edges[1::2]):
            turns.append(SpeakerTurn(round(f0 * FRAME_S, 3), round(f1 * FRAME_S, 3), f"SPEAKER_{speaker:02d}",
                                     round(float(mean_conf[f0:f1].mean()), 4)))
    return sorted(turns, key=lambda t: (t.start_s, t.speaker))


def _nearest_window(spans: list[tuple[int, int]], n_frames: int, hop: int) -> np.ndarray:
    """For every frame, the index of the window whose centre is nearest (ties to the earlier window)."""
    centres = np.array([(start + end) / 2 / hop for start, end in spans])
    order = np.argsort(centres, kind="stable")
    sorted_centres = centres[order]
    frames = np.arange(n_frames) + 0.5
    right = np.clip(np.searchsorted(sorted_centres, frames), 0, len(order) - 1)
    left = np.clip(right - 1, 0, len(order) - 1)
    take_left = np.abs(frames - sorted_centres[left]) <= np.abs(sorted_centres[right] - frames)
    return order[np.where(take_left, left, right)]


def _load_onnx_vad(path):
    from silero_vad.utils_vad import OnnxWrapper

    return OnnxWrapper(str(path), force_onnx_cpu=True)
