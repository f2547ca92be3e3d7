"""Streaming shot segmentation: PySceneDetect's content detector for hard cuts, plus fades through black.

Films cut hard (content change) or fade through black. A run of near-black frames inside the film separates two
shots at its midpoint; content cuts at the edges of such a run (the fade itself, the first frame after black) are
not separate shots. Leading and trailing black belong to the first and last shot. Decisions are made as frames
arrive, at most ``min_shot_frames`` (or the length of a black run) after the boundary.
"""

from dataclasses import dataclass

import cv2
import numpy as np

DARK_LEVEL = 12.0  # mean grey level below which a frame counts as black (PySceneDetect's fade threshold default)
MIN_DARK_FRAMES = 3  # a shorter dip is not a fade
# Frames compared across skipped frames (non-reference frames not decoded) differ more by motion alone: the
# content threshold rises by this share per skipped frame (tuned on Penny & Chip and a 480p Sintel + Big Buck
# Bunny cut, where it gives the full decode's cuts within a frame; without it Penny & Chip gains 5 false cuts)
THRESHOLD_PER_SKIPPED_FRAME = 0.25


@dataclass(frozen=True)
class Shot:
    shot: int
    start_frame: int
    end_frame: int  # inclusive
    start_s: float
    end_s: float


class ShotDetector:
    """Feed frames in order; ``feed`` returns the frame numbers where confirmed new shots start."""

    def __init__(self, threshold: float, min_shot_frames: int, fps: float):
        from scenedetect import ContentDetector
        from scenedetect.common import FrameTimecode

        self._timecode = FrameTimecode
        self._fps = fps or 24.0
        self._detector = ContentDetector(threshold=threshold, min_scene_len=min_shot_frames)
        if not hasattr(self._detector, "_threshold"):  # raised per skipped frame in feed(); see the lock file's pin
            raise RuntimeError("this scenedetect's ContentDetector keeps no _threshold; frames.skip_non_reference "
                               "needs the version pinned in install/requirements.lock")
        self._threshold = threshold
        self._window = min_shot_frames
        self._last = -1
        self._dark_start: int | None = None
        self._last_dark_end = -10**9  # first light frame after the most recent black run
        self._pending_cuts: list[int] = []
        self._last_boundary = 0

    @staticmethod
    def is_dark(small_bgr: np.ndarray) -> bool:
        blue, green, red, _ = cv2.mean(small_bgr)
        return (blue + green + red) / 3.0 < DARK_LEVEL

    def feed(self, index: int, small_bgr: np.ndarray) -> list[int]:
        skipped = max(0, index - self._last - 1) if self._last >= 0 else 0
        # PySceneDetect reads its threshold per frame; it has no public setter
        self._detector._threshold = self._threshold * (1.0 + THRESHOLD_PER_SKIPPED_FRAME * skipped)
        self._last = index
        confirmed: list[int] = []
        dark = self.is_dark(small_bgr)
        if dark and self._dark_start is None:
            self._dark_start = index
        elif not dark and self._dark_start is not None:
            run_start, self._dark_start = self._dark_start, None
            if index - run_start >= MIN_DARK_FRAMES:
                self._last_dark_end = index
                # cuts at the fade-out's edge belong to this black run, not to a shot of their own
                self._pending_cuts = [c for c in self._pending_cuts if c < run_start - self._window]
                if run_start > 0:
                    confirmed.append((run_start + index - 1) // 2 + 1)
        for cut in self._detector.process_frame(self._timecode(index, fps=self._fps), small_bgr):
            self._pending_cuts.append(int(cut.frame_num))
        ready = [c for c in self._pending_cuts if index >= c + self._window]
        self._pending_cuts = [c for c in self._pending_cuts if index < c + self._window]
        for cut in ready:
            near_black = cut - self._last_dark_end < self._window or self._dark_start is not None
            if not near_black:
                confirmed.append(cut)
        return self._accept(sorted(confirmed))

    def _accept(self, boundaries: list[int]) -> list[int]:
        accepted = []
        for boundary in boundaries:
            if boundary > self._last_boundary:
                accepted.append(boundary)
                self._last_boundary = boundary
        return accepted

    def finish(self) -> list[int]:
        """Cuts still pending at the end of the film (a trailing black run is not a boundary)."""
        cuts = [int(c.frame_num) for c in self._detector.post_process(self._timecode(self._last, fps=self._fps))]
        candidates = sorted(set(self._pending_cuts) | set(cuts))
        if self._dark_start is not None:
            candidates = [c for c in candidates if c < self._dark_start - self._window]
        candidates = [c for c in candidates if c - self._last_dark_end >= self._window]
        return self._accept(candidates)
