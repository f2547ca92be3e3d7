"""The picture's change over time, sampled while shot_analysis decodes the film: relation ``picture_change``.

av_sync correlates it with the soundtrack's onsets (and finds motion events in it); it used to decode the whole
film again for it, which at 1080p costs as much as the decode here. Each sample is the grey picture shrunk to
64 x 36 by swscale's area filter straight from the decoded frame (full-range grey), and its change is the mean
absolute difference from the previous sample, in 0-1: the values av_sync measured itself.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from assets.frames.handoff import CHANGE_SIZE, ChangeGrey, SampleClock

PICTURE_CHANGE_SCHEMA = {"frame_index": pl.Int64, "time_s": pl.Float64, "change": pl.Float64,
                         "rate_hz": pl.Float64}


class PictureChangeSampler:
    """Takes the first frame at least ``1 / rate`` seconds after the previous sample (so the film's frame rate
    sets the exact spacing: every second frame at 24 fps for 12.5 Hz) and measures its change."""

    def __init__(self, rate: float):
        if rate <= 0:
            raise ValueError(f"picture change rate must be positive, got {rate}")
        self.rate = rate
        self._grey: ChangeGrey | None = None  # one swscale context for the film (frame.reformat builds one a call)
        self._previous: np.ndarray | None = None
        self._clock = SampleClock(rate)  # the frames stage's handoff takes its greys on the same frames
        self._rows: list[tuple[int, float, float]] = []

    def add(self, index: int, timestamp_s: float, frame: Any) -> None:
        """``frame``: the decoded av.VideoFrame at ``timestamp_s`` (presentation time), ``index`` its number."""
        if self._grey is None:
            self._grey = ChangeGrey()
        self.add_grey(index, timestamp_s, lambda: self._grey(frame))

    def add_grey(self, index: int, timestamp_s: float, grey_of: Callable[[], np.ndarray]) -> None:
        """As ``add``, with the frame's CHANGE_SIZE grey (uint8) from ``grey_of`` (called only when sampled)."""
        if not self._clock.due(timestamp_s):
            return
        grey = grey_of().astype(np.float32)
        if self._previous is not None:
            self._rows.append((index, timestamp_s, float(np.mean(np.abs(grey - self._previous))) / 255.0))
        self._previous = grey

    def table(self) -> pl.DataFrame:
        return picture_change_table(self._rows, self.rate)


def picture_change_table(rows: list[tuple[int, float, float]], rate: float) -> pl.DataFrame:
    """Rows of (frame_index, time_s, change) as the relation, each with the rate they were sampled at."""
    return pl.DataFrame([(*row, rate) for row in rows], schema=PICTURE_CHANGE_SCHEMA, orient="row")
