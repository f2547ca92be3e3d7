"""GrabCut answers remembered for one block of work (the instances stage opens one per shot): a ``seeded_grabcut``
call whose window, starting labels and iterations are those of an earlier call in the block gets that call's
labels back instead of cutting again. The compiled GrabCut from its fixed seed is a function of those inputs alone
(character_edges.seeded_grabcut: one random state per call, OpenCV's left as the seed set it), so the answer is the
very same array.

Where calls repeat: a drawn key frame that a neighbour's carried cut seeds again (assets/instances/shot_seeds.py) is
segmented a second time, and its other seeds' windows are cut again from the same labels (the seed cut, its
own-colour re-cut and the edge re-cut at the source). Kenney tune film 9: 20 of 333 calls, 1.4 of 15.5 GrabCut
CPU-s; the 2-minute 1080p film: none (docs/film_scale.md, session 39). A call that raises is not remembered (a
repeat raises again). Outside a block nothing is kept.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
import hashlib

import numpy as np

MEMO_BYTES = 64 << 20  # at most this many bytes of remembered labels a block (a shot of 1080p edge re-cuts: ~10 MB)

_memo: ContextVar["dict[bytes, np.ndarray] | None"] = ContextVar("grabcut_memo", default=None)


@contextmanager
def remembered_grabcuts() -> Iterator[None]:
    """Inside the block, a ``seeded_grabcut`` repeating an earlier one's inputs gets its labels (see the module)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def call_key(image: np.ndarray, labels: np.ndarray, iterations: int, backend: str) -> bytes | None:
    """A digest of everything a seeded GrabCut's answer depends on; None outside a block (nothing to look up)."""
    if _memo.get() is None:
        return None
    digest = hashlib.sha256(repr((image.shape, image.dtype.str, labels.shape, labels.dtype.str, iterations,
                                  backend)).encode())
    digest.update(np.ascontiguousarray(image).data)
    digest.update(np.ascontiguousarray(labels).data)
    return digest.digest()


def recalled(key: bytes | None, labels: np.ndarray) -> bool:
    """Whether an earlier call of the block had ``key``; if so ``labels`` now holds its answer (in place)."""
    memo = _memo.get()
    if key is None or memo is None or key not in memo:
        return False
    labels[...] = memo[key]
    return True


def remember(key: bytes | None, labels: np.ndarray) -> None:
    """Keeps a call's answer under its ``key`` while the block holds less than MEMO_BYTES."""
    memo = _memo.get()
    if key is None or memo is None or sum(held.nbytes for held in memo.values()) + labels.nbytes > MEMO_BYTES:
        return
    memo[key] = labels.copy()
