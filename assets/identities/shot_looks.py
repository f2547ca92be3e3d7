"""A look one character takes within its shots is not a design of its own (issue #12, session 24). No Dagster.

The design split (design_split.py) counts a part with fewer faces than a cluster needs as large enough when its
faces come from ``split_min_shots`` shots: a minor design seen in a few shots. One character's passing look (a
cheer, a shout, a turned head) recurs the same way, one key frame in each of a few shots, while the character's
usual face fills the other key frames of those shots. Two characters of one body design share frames when one shot
shows them both, and a design of its own shows in shots where the other does not; a look of one character does
neither. So a part admitted by its shots alone whose every shot holds the other part's faces, never in one of its
key frames, stays with the other part.
"""

import numpy as np


def look_within_shots(part: np.ndarray, other: np.ndarray, shots: np.ndarray, frames: np.ndarray) -> bool:
    """Whether ``part`` (row indices) is a look of the ``other`` part's character: every shot of ``part`` holds
    faces of ``other``, and no key frame (``frames``, each row's frame id) holds faces of both. A row of ``part``
    with an unknown shot or frame (None) is no proof of either: False, the cut stands."""
    other_shots = {s for s in shots[other].tolist() if s is not None}
    part_shots = shots[part].tolist()
    if not part_shots or any(s is None or s not in other_shots for s in part_shots):
        return False
    other_frames = {f for f in frames[other].tolist() if f is not None}
    return not any(f is None or f in other_frames for f in frames[part].tolist())


def cut_parts_a_look(parts: tuple[np.ndarray, np.ndarray], min_size: int, shots: np.ndarray | None,
                     frames: np.ndarray | None) -> bool:
    """Whether a cut into ``parts`` (row indices) leaves a part under ``min_size`` rows (large enough only by its
    shots) that is a look of the other part's character (``look_within_shots``). False without shots or frames."""
    if shots is None or frames is None:
        return False
    first, second = parts
    return any(len(part) < min_size and look_within_shots(part, other, shots, frames)
               for part, other in ((first, second), (second, first)))
