"""A sound track's decoded frames laid on its own clock: silence where its timestamps jump ahead, samples cut where
they step back. No Dagster.

A broadcast capture that lost packets, a track spliced from pieces or a file repaired by a muxer carries a sound
whose timestamps skip: a player leaves the skipped time silent and plays what follows at its time. Decoded frames
written one after the other instead pull everything after a gap early (every voice later than it off its face), and
a long gap left the WAV short of the declared duration, so the film's audio was refused as truncated.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
JITTER_S = 0.02   # timestamps this close to where the last frame ended are on time (containers round to 1 ms)
MAX_GAP_S = 600.0  # a jump longer than this is a broken clock, not lost sound: not filled, the sound goes on


@dataclass
class TimelineReport:
    filled_s: float = 0.0       # silence written into gaps
    gaps: int = 0
    cut_s: float = 0.0          # overlapping sound dropped
    unfilled: list[tuple[float, float]] = field(default_factory=list)  # (at_s, jump_s) left as they were

    def note(self) -> str:
        parts = []
        if self.gaps:
            parts.append(f"its timestamps skip {self.filled_s:.2f} s in {self.gaps} place(s): filled with silence "
                         "to keep the sound on the film's clock")
        if self.cut_s >= JITTER_S:
            parts.append(f"{self.cut_s:.2f} s of overlapping sound dropped")
        parts += [f"a jump of {jump:.0f} s at {at:.1f} s was not filled" for at, jump in self.unfilled[:3]]
        return "; ".join(parts)


def on_timeline(frames: Iterator[Any], report: TimelineReport) -> Iterator[Any]:
    """``frames`` (av.AudioFrame, as decoded) with silent frames inserted where a frame starts more than
    ``JITTER_S`` after the previous one ended, and a frame's samples that start before that end dropped."""
    import av

    end_s: float | None = None
    for frame in frames:
        start_s = float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else None
        rate = frame.sample_rate
        if start_s is not None and end_s is not None:
            step = start_s - end_s
            if JITTER_S < step <= MAX_GAP_S:
                report.gaps += 1
                report.filled_s += step
                yield _silence(av, frame, round(step * rate))
            elif step > MAX_GAP_S:
                report.unfilled.append((end_s, step))
                log.warning("audio timestamps jump by %.0f s at %.1f s: not filled", step, end_s)
            elif step < -JITTER_S:
                drop = min(frame.samples, round(-step * rate))
                report.cut_s += drop / rate
                if drop == frame.samples:
                    continue  # wholly inside what was already written
                frame = _trimmed(av, frame, drop)
                start_s += drop / rate
        if start_s is not None:
            end_s = start_s + frame.samples / rate
        elif end_s is not None:
            end_s += frame.samples / rate
        yield frame


def _silence(av: Any, like: Any, samples: int) -> Any:
    """A silent frame of ``samples`` in ``like``'s format, layout and rate."""
    planar = like.format.is_planar
    channels = len(like.layout.channels)
    dtype = like.to_ndarray().dtype
    shape = (channels, samples) if planar else (1, samples * channels)
    silent = av.AudioFrame.from_ndarray(np.zeros(shape, dtype=dtype), format=like.format.name, layout=like.layout.name)
    silent.sample_rate = like.sample_rate
    return silent


def _trimmed(av: Any, frame: Any, drop: int) -> Any:
    """``frame`` without its first ``drop`` samples."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    kept = data[:, drop:] if frame.format.is_planar else data[:, drop * channels:]
    out = av.AudioFrame.from_ndarray(np.ascontiguousarray(kept), format=frame.format.name, layout=frame.layout.name)
    out.sample_rate = frame.sample_rate
    return out
