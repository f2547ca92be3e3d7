"""librosa's Viterbi core with the transition matrix's zeros skipped, for pYIN (``voice_features``). No Dagster.

pYIN decodes ~800 states (pitch bins x voiced / unvoiced) and librosa's ``sequence._viterbi`` compares every state
with every other at every frame, though pYIN's transitions are local: a state is reached from the few hundred
states within a jump of a few semitones, and every other entry of the log transition matrix is the same floor
(``log(0 + tiny)``). Here each state is compared with the states it can be reached from; a state at the floor can
win only when the best of the others is no better than the previous frame's best value plus the floor, and then
the whole row is compared as librosa compares it. Same sums, same order, same first-index ties: the same states and
log-probabilities as librosa's core, bit for bit, for any transition matrix (``tests/unit/test_pyin_viterbi.py``).
"""

import threading

import numpy as np
from numba import njit


@njit(cache=True)
def _sparse_viterbi(log_prob: np.ndarray, log_trans: np.ndarray, log_p_init: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    n_steps, n_states = log_prob.shape
    floor = log_trans.min()
    indptr = np.zeros(n_states + 1, dtype=np.int64)
    for j in range(n_states):
        indptr[j + 1] = indptr[j] + np.sum(log_trans[:, j] > floor)
    indices = np.empty(indptr[-1], dtype=np.int64)
    for j in range(n_states):
        k = indptr[j]
        for i in range(n_states):
            if log_trans[i, j] > floor:
                indices[k] = i
                k += 1
    state = np.zeros(n_steps, dtype=np.uint16)
    value = np.zeros((n_steps, n_states), dtype=np.float64)
    ptr = np.zeros((n_steps, n_states), dtype=np.uint16)
    value[0] = log_prob[0] + log_p_init
    for t in range(1, n_steps):
        previous = value[t - 1]
        bound = previous.max() + floor  # the best any state at the floor can reach
        for j in range(n_states):
            best, arg = -np.inf, -1
            for k in range(indptr[j], indptr[j + 1]):
                i = indices[k]
                candidate = previous[i] + log_trans[i, j]
                if candidate > best:
                    best, arg = candidate, i
            if not bound < best:  # a floor entry could tie or win: every state, as np.argmax takes them
                best, arg = previous[0] + log_trans[0, j], 0
                for i in range(1, n_states):
                    candidate = previous[i] + log_trans[i, j]
                    if candidate > best:
                        best, arg = candidate, i
            ptr[t, j] = arg
            value[t, j] = log_prob[t, j] + best
    state[-1] = np.argmax(value[-1])
    for t in range(n_steps - 2, -1, -1):
        state[t] = ptr[t + 1, state[t + 1]]
    return state, value[-1:, state[-1]]


_LIBROSA_CORE = None
_INSTALLING = threading.Lock()


def sparse_viterbi(log_prob: np.ndarray, log_trans: np.ndarray, log_p_init: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``librosa.sequence._viterbi``'s signature and results; NaN inputs (where np.argmax's rule for NaN would
    matter) and more than 65,535 states go to librosa's own core."""
    if log_trans.shape[0] > 65535 or np.isnan(log_prob).any() or np.isnan(log_trans).any() \
            or np.isnan(log_p_init).any():
        return _LIBROSA_CORE(log_prob, log_trans, log_p_init)
    return _sparse_viterbi(log_prob, log_trans, log_p_init)


def use_sparse_viterbi() -> None:
    """Makes librosa's Viterbi decoding (``librosa.sequence.viterbi``, which ``librosa.pyin`` calls) run on
    ``sparse_viterbi``; idempotent. Its results are librosa's, so other users of librosa in the process see no
    difference but the time."""
    global _LIBROSA_CORE
    import librosa.sequence

    with _INSTALLING:
        core = getattr(librosa.sequence, "_viterbi", None)
        if core is None:  # a librosa without this private core (not the locked version): librosa decodes as it is
            return
        if core is not sparse_viterbi:
            _LIBROSA_CORE = librosa.sequence._viterbi
            librosa.sequence._viterbi = sparse_viterbi
