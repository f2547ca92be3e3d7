"""A frame's cues remembered for one block of work (the instances stage opens one per shot, beside grabcut_memo's):
``CharacterCues`` asked again about the very same drawn analysis frame (its pixels, with 2D faces wanted) gives the
first answer's faces, boxes and class map back instead of running YuNet, AnimeFace, YOLOX and DeepLab again.

Where frames repeat: a drawn key frame that a neighbour's carried cut seeds again (assets/instances/shot_seeds.py)
is segmented a second time from the same pixels. Each cue is a function of those pixels alone (the same models, no
random state), so the answer is the very same arrays; they are handed out as copies, the class map once computed
(DeepLab runs on first read, as before). Penny & Chip (session 41, h45): 20 of 183 frames' YuNet, YOLOX and DeepLab
runs repeat an earlier one's inputs exactly, 2.2 of 19.7 CPU-s of those models. Outside a block nothing is kept.

The per-seed pose models (BlazePose's person matte, MoveNet's keypoints) are remembered by their input tensor
(``model_outputs``): a re-cut frame's seed whose model input is the very same pixels gets the first run's outputs
(Penny & Chip, h45: 97 of 836 BlazePose and 49 of 547 MoveNet runs repeat an earlier input exactly).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
import hashlib

import numpy as np

MEMO_BYTES = 64 << 20  # at most this many bytes of remembered answers a block (a 480-row frame's: ~0.5 MB)

_memo: ContextVar["dict[bytes, dict] | None"] = ContextVar("cue_memo", default=None)


@contextmanager
def remembered_cues() -> Iterator[None]:
    """Inside the block, cues asked again about an earlier frame's pixels are that frame's (see the module)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def frame_answers(rgb: np.ndarray, drawn: bool, anime: bool, detect: Callable[[], dict[str, np.ndarray]]
                  ) -> tuple[dict[str, np.ndarray], bytes | None]:
    """(``detect()``'s arrays for this frame (name -> array), the frame's key for ``class_map``), remembered in a
    block for a ``drawn`` frame (only a drawn shot's key frames are cut again): a frame whose pixels, ``drawn`` and
    ``anime`` (AnimeFace ran) an earlier call of the block had gets copies of that call's arrays, ``detect`` not
    run. Else ``detect()`` and no key (inside: one SHA-256 of the pixels a frame, 0.8 ms at 480 rows)."""
    memo = _memo.get()
    if memo is None or not drawn:
        return detect(), None
    digest = hashlib.sha256(repr((rgb.shape, rgb.dtype.str, bool(drawn), bool(anime))).encode())
    digest.update(np.ascontiguousarray(rgb).data)
    key = digest.digest()
    if key in memo:
        return {name: array.copy() for name, array in memo[key].items() if name != "class_map"}, key
    answers = detect()
    if _held(memo) + sum(a.nbytes for a in answers.values()) <= MEMO_BYTES:
        memo[key] = {name: array.copy() for name, array in answers.items()}
    return answers, key


def class_map(key: bytes | None, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """``compute()``'s class map of the frame ``frame_answers`` keyed, kept with its answers (DeepLab runs on
    first read, once a frame in a block; its 2D-face choice changes the key, not the map, so a frame asked with
    both choices runs it once for each)."""
    memo = _memo.get()
    answers = None if key is None or memo is None else memo.get(key)
    if answers is not None and "class_map" in answers:
        return answers["class_map"].copy()
    mask = compute()
    if answers is not None and _held(memo) + mask.nbytes <= MEMO_BYTES:
        answers["class_map"] = mask.copy()
    return mask


def model_outputs(model: str, tensor: np.ndarray, run: Callable[[], tuple[np.ndarray, ...]]
                  ) -> tuple[np.ndarray, ...]:
    """``run()``'s output arrays for ``model`` (its weights' path) fed ``tensor`` (the model's whole input, or the
    uint8 pixels it is made from), remembered in a block: the same model and tensor bytes an earlier call of the
    block had get copies of that call's outputs, ``run`` not called. Outside a block: ``run()``."""
    memo = _memo.get()
    if memo is None:
        return run()
    digest = hashlib.sha256(repr(("model", model, tensor.shape, tensor.dtype.str)).encode())
    digest.update(np.ascontiguousarray(tensor).data)
    key = digest.digest()
    if key in memo:
        kept = memo[key]
        return tuple(kept[str(n)].copy() for n in range(len(kept)))
    outputs = tuple(run())
    if _held(memo) + sum(a.nbytes for a in outputs) <= MEMO_BYTES:
        memo[key] = {str(n): np.array(array, copy=True) for n, array in enumerate(outputs)}
    return outputs


def _held(memo: dict[bytes, dict]) -> int:
    return sum(array.nbytes for answers in memo.values() for array in answers.values())
