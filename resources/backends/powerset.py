"""The pyannote 3.x diarization recipe on per-window powerset segmentations, in numpy (no model, no Dagster).

A segmentation model such as pyannote's segmentation-3.0 looks at one window (10 s) at a time and answers, per
frame, which of up to 3 *local* speakers talk (powerset classes: none, s1, s2, s3, s1+s2, s1+s3, s2+s3). Local
speaker 1 of one window has nothing to do with local speaker 1 of the next: a speaker embedding per local speaker
links windows (clustering), and the aggregated segmentation says how many speakers talk at each frame (overlap).

Shapes: ``powerset`` is ``windows x frames x 7`` probabilities; ``activity`` ``windows x frames x 3`` in [0, 1];
``starts`` the first global frame of each window (the global frame grid has the model's frame step).
"""

import numpy as np

# powerset class -> the local speakers it holds (segmentation-3.0: max 3 speakers, at most 2 at once)
POWERSET_CLASSES = ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2))


def powerset_to_activity(powerset: np.ndarray, speech_threshold: float | None = None) -> np.ndarray:
    """Per local speaker, hard activity (0/1) from powerset probabilities.

    ``speech_threshold`` None: pyannote's decoding (the most probable class at each frame). A number: a frame is
    speech when ``P(not none) >= threshold``; its speakers are then the most probable *speech* class. A lower
    threshold recovers quiet speech that the model still ranks as more likely than in silence."""
    classes = np.asarray(powerset)
    mapping = np.zeros((len(POWERSET_CLASSES), 3), dtype=np.float32)
    for c, speakers in enumerate(POWERSET_CLASSES):
        mapping[c, list(speakers)] = 1.0
    if speech_threshold is None:
        best = classes.argmax(axis=-1)
    else:
        speech_class = classes[..., 1:].argmax(axis=-1) + 1
        best = np.where(1.0 - classes[..., 0] >= speech_threshold, speech_class, 0)
    return mapping[best]


def adaptive_speech_threshold(powerset: np.ndarray, floor: float = 0.2, ceiling: float = 0.5) -> float:
    """A recording-specific speech threshold on ``P(speech) = 1 - P(none)``.

    The model's speech probability is bimodal on most recordings (silence near 0, speech near 1) and then the
    usual 0.5 is right. On quiet recordings and short replies, speech frames sit at intermediate values: the cut
    moves down to the valley between the two modes (Otsu's threshold on the frames' speech probability), never
    below ``floor`` (which would take breaths and room noise) nor above ``ceiling`` (the argmax point)."""
    speech = (1.0 - np.asarray(powerset)[..., 0]).reshape(-1)
    histogram = SpeechHistogram()
    histogram.add(speech)
    return histogram.threshold(floor, ceiling)


class SpeechHistogram:
    """The frames' speech probabilities, kept as a 50-bin histogram so a film can be added window by window."""

    def __init__(self):
        self.counts = np.zeros(50, dtype=np.int64)
        self.low, self.high = np.inf, -np.inf

    def add(self, speech: np.ndarray) -> None:
        if speech.size:
            self.counts += np.histogram(speech, bins=50, range=(0.0, 1.0))[0]
            self.low, self.high = min(self.low, float(speech.min())), max(self.high, float(speech.max()))

    def threshold(self, floor: float = 0.2, ceiling: float = 0.5) -> float:
        """Otsu's cut (see ``adaptive_speech_threshold``)."""
        if not self.counts.any() or self.high - self.low < 1e-3:
            return ceiling
        edges = np.linspace(0.0, 1.0, 51)
        centres = (edges[:-1] + edges[1:]) / 2
        weight = np.cumsum(self.counts)
        mean = np.cumsum(self.counts * centres)
        total, total_mean = weight[-1], mean[-1]
        between = (total_mean * weight / total - mean) ** 2 / np.maximum(weight * (total - weight), 1e-12)
        # an empty valley leaves a plateau of equally good cuts: take its middle, not its lower edge
        plateau = np.flatnonzero(between >= between.max() * (1 - 1e-6))
        return float(np.clip(edges[int(np.round(np.median(plateau))) + 1], floor, ceiling))


def overlap_add(values: np.ndarray, starts: np.ndarray, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(sum over windows of ``values`` on the global frame grid, how many windows cover each frame).
    ``values`` is ``windows x frames x k``; NaN entries (a cluster absent from a window) add nothing."""
    windows, frames, k = values.shape
    total = np.zeros((n_frames, k), dtype=np.float64)
    covered = np.zeros((n_frames, 1), dtype=np.float64)
    for w in range(windows):
        lo = int(starts[w])
        hi = min(lo + frames, n_frames)
        chunk = values[w, : hi - lo]
        total[lo:hi] += np.nan_to_num(chunk, nan=0.0)
        covered[lo:hi] += 1.0
    return total, covered


def speaker_count(activity: np.ndarray, starts: np.ndarray, n_frames: int, max_count: int = 3) -> np.ndarray:
    """How many speakers talk at each global frame: the mean over covering windows of their number of active
    local speakers, rounded (pyannote's ``speaker_count``)."""
    total, covered = overlap_add(activity.sum(axis=-1, keepdims=True), starts, n_frames)
    return np.clip(np.rint(total[:, 0] / np.maximum(covered[:, 0], 1.0)), 0, max_count).astype(np.int64)


def constrained_assignment(similarity: np.ndarray, window_of: np.ndarray) -> np.ndarray:
    """Cluster per local speaker, such that two local speakers of one window never share a cluster: per window
    the assignment that maximises the summed similarity (Hungarian), as pyannote's ``constrained_argmax``.
    ``similarity`` is ``local speakers x clusters``; a window with more local speakers than clusters leaves the
    weakest ones at -1."""
    from scipy.optimize import linear_sum_assignment

    labels = np.full(similarity.shape[0], -1, dtype=np.int64)
    for window in np.unique(window_of):
        rows = np.flatnonzero(window_of == window)
        picked, clusters = linear_sum_assignment(-similarity[rows])
        labels[rows[picked]] = clusters
    return labels


def reconstruct(activity: np.ndarray, starts: np.ndarray, local_index: np.ndarray, labels: np.ndarray,
                count: np.ndarray, n_clusters: int) -> np.ndarray:
    """Global ``frames x clusters`` binary activity with overlap kept: each window's local speakers are renamed
    to their clusters, the windows are averaged on the global grid, and at every frame the ``count`` most active
    clusters are on (pyannote's ``reconstruct`` + ``to_diarization``).
    ``local_index`` is ``(window, local speaker)`` per clustered local speaker, ``labels`` their clusters.
    Accumulated window by window on the global grid (memory: frames x clusters, not windows x frames x clusters)."""
    windows, frames, _ = activity.shape
    n_frames, k = len(count), max(n_clusters, 1)
    total = np.zeros((n_frames, k), dtype=np.float32)
    covered = np.zeros((n_frames, 1), dtype=np.float32)
    by_window: dict[int, list[tuple[int, int]]] = {}
    for (window, local), cluster in zip(local_index, labels):
        if cluster >= 0:
            by_window.setdefault(int(window), []).append((int(local), int(cluster)))
    for window in range(windows):
        lo = int(starts[window])
        hi = min(lo + frames, n_frames)
        covered[lo:hi] += 1.0
        chunk = np.zeros((hi - lo, k), dtype=np.float32)
        for local, cluster in by_window.get(window, []):
            chunk[:, cluster] = np.fmax(chunk[:, cluster], activity[window, : hi - lo, local])
        total[lo:hi] += chunk
    mean = total / np.maximum(covered, 1.0)
    order = np.argsort(-mean, axis=1, kind="stable")
    binary = np.zeros_like(mean, dtype=bool)
    rows = np.arange(n_frames)
    for rank in range(min(int(count.max(initial=0)), k)):
        on = count > rank
        binary[rows[on], order[on, rank]] = True
    return binary & (mean > 0)


def frames_to_turns(binary: np.ndarray, score: np.ndarray, frame_step_s: float, frame_offset_s: float,
                    min_off_s: float = 0.0) -> list[tuple[float, float, int, float]]:
    """(start_s, end_s, cluster, mean score) per run of active frames; gaps shorter than ``min_off_s`` between two
    runs of one cluster are closed."""
    turns = []
    bridge = int(round(min_off_s / frame_step_s))
    for cluster in range(binary.shape[1]):
        on = binary[:, cluster].copy()
        if bridge > 0:
            edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
            for end, start in zip(edges[1:-1:2], edges[2::2]):
                if start - end <= bridge:
                    on[end:start] = True
        edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
        for f0, f1 in zip(edges[::2], edges[1::2]):
            start = max(f0 * frame_step_s + frame_offset_s, 0.0)
            end = f1 * frame_step_s + frame_offset_s
            turns.append((round(start, 3), round(end, 3), cluster, float(np.clip(score[f0:f1, cluster].mean(), 0, 1))))
    return sorted(turns)


def frame_levels(samples: np.ndarray, hop: int, frame: int, n_frames: int) -> np.ndarray:
    """Level in dB of ``n_frames`` frames of ``frame`` samples, ``hop`` apart, from the first sample of ``samples``
    (zero-padded past its end)."""
    need = (n_frames - 1) * hop + frame if n_frames else 0
    padded = np.pad(np.asarray(samples, dtype=np.float64)[:need], (0, max(need - len(samples), 0)))
    squared = np.concatenate([[0.0], np.cumsum(padded ** 2)])
    first = np.arange(n_frames) * hop
    return 10 * np.log10((squared[first + frame] - squared[first]) / frame + 1e-12)


def level_reference(level: np.ndarray, speech: np.ndarray, block_frames: int) -> np.ndarray:
    """Per global frame, the loud-speech level around it: the 95th percentile of the speech frames' levels in its
    block of ``block_frames``, or of the whole recording for a block with little speech (inf without speech)."""
    n = len(speech)
    reference = np.full(n, np.inf)
    if not speech.any():
        return reference
    fallback = np.percentile(level[speech], 95)
    for lo in range(0, n, block_frames):
        block = slice(lo, min(lo + block_frames, n))
        loud = level[block][speech[block]]
        reference[block] = np.percentile(loud, 95) if loud.size >= block_frames // 20 else fallback
    return reference


def loudness_reference(waveform: np.ndarray, speech: np.ndarray, hop: int, frame: int,
                       block_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(per global frame its level in dB, the loud-speech level around it: ``level_reference``)."""
    level = frame_levels(waveform, hop, frame, len(speech))
    return level, level_reference(level, speech, block_frames)


def loud_enough(level: np.ndarray, reference: np.ndarray, max_below_db: float, spread_frames: int) -> np.ndarray:
    """Per frame, whether it is within ``max_below_db`` of the loud speech around it (``loudness_reference``).

    The segmentation model normalises each window's level, so it hears crosstalk from other microphones, a
    distant TV or faint background walla as speech; on the AMI sources that sits 32-36 dB (median) below the
    recording's loud speech, while its speakers' own speech sits ~10 dB below it. ``spread_frames``: a frame
    counts as loud when any frame that near is (the quiet ends of loud words stay)."""
    from scipy.ndimage import maximum_filter1d

    loudest_near = maximum_filter1d(level, size=2 * spread_frames + 1) if spread_frames > 0 else level
    return loudest_near >= reference - max_below_db


def quiet_local_speakers(activity: np.ndarray, starts: np.ndarray, level: np.ndarray, reference: np.ndarray,
                         max_below_db: float) -> np.ndarray:
    """``windows x 3`` mask of local speakers whose speech, as a whole, is far below the loud speech around it: the
    median over their active frames of (frame level - ``reference``) under ``-max_below_db``.

    A frame gate (``loud_enough``) must stay lenient, since the quiet ends of real words dip 30 dB; a whole local
    speaker is steadier: on the AMI sources the speakers' own speech sits ~10 dB (median) below the loud speech and
    the other speakers' crosstalk ~32-36 dB below, as would a distant TV or background walla in a film."""
    windows, frames, speakers = activity.shape
    quiet = np.zeros((windows, speakers), dtype=bool)
    n = len(level)
    for window, start in enumerate(starts):
        lo, hi = int(start), min(int(start) + frames, n)
        relative = level[lo:hi] - reference[lo:hi]
        for speaker in range(speakers):
            on = activity[window, : hi - lo, speaker] > 0
            if on.any():
                quiet[window, speaker] = np.median(relative[on]) < -max_below_db
    return quiet


class CompactPowerset:
    """Per window and frame, what decoding needs of the powerset probabilities, in 4 bytes instead of 28: the speech
    probability (16-bit), the most probable speech class and whether "none" is the most probable class overall.
    A film's windows fit in a few MB per hour this way (``powerset_to_activity`` on the full array needs them all)."""

    def __init__(self, windows: int, frames: int):
        self.speech = np.zeros((windows, frames), dtype=np.uint16)
        self.speech_class = np.zeros((windows, frames), dtype=np.uint8)
        self.none_wins = np.zeros((windows, frames), dtype=bool)

    def put(self, first_window: int, powerset: np.ndarray) -> np.ndarray:
        """Stores ``powerset`` (``windows x frames x 7``) from ``first_window`` on; returns its speech probability."""
        rows = slice(first_window, first_window + len(powerset))
        speech = 1.0 - powerset[..., 0]
        self.speech[rows] = np.rint(np.clip(speech, 0.0, 1.0) * 65535)
        self.speech_class[rows] = powerset[..., 1:].argmax(axis=-1) + 1
        self.none_wins[rows] = powerset.argmax(axis=-1) == 0
        return speech

    def activity(self, speech_threshold: float | None = None) -> np.ndarray:
        """``windows x frames x 3`` uint8 activity, decoded as ``powerset_to_activity`` decodes."""
        mapping = np.zeros((len(POWERSET_CLASSES), 3), dtype=np.uint8)
        for c, speakers in enumerate(POWERSET_CLASSES):
            mapping[c, list(speakers)] = 1
        if speech_threshold is None:
            best = np.where(self.none_wins, 0, self.speech_class)
        else:
            best = np.where(self.speech >= speech_threshold * 65535, self.speech_class, 0)
        return mapping[best]
