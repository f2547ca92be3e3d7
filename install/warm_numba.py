"""Compile librosa's numba gufuncs and castforge's own numba kernels into their on-disk caches once, in one process,
at set-up (``make setup``, and before ``make test``: quick where the caches are warm).

librosa declares its gufuncs with ``@guvectorize(..., cache=True)``: each is compiled when its module is first
imported and written to the package's ``__pycache__`` as two files (the kernel and its gufunc wrapper), each renamed
into place on its own. Two processes compiling the same gufunc at once (the test suite's xdist workers on a fresh
environment, or a multiprocess / Celery run's first steps) can leave a kernel from one beside a wrapper from the
other, and the next process to load them dies of a segmentation fault (numba/numba#10128, librosa/librosa#1998; seen
here in `librosa.pyin` during a fresh-clone CI run). Compiled here first, every later process only reads them.

castforge's ``@njit(cache=True)`` kernels (GrabCut, Felzenszwalb, the guided filter, the area resize, ...) are
compiled here too (``resources/compiled_kernels.py``): ~20 CPU-s here, where a fresh checkout's first film spent ~47
compiling them (each of ``instances``' two worker processes compiled them all), and each test worker again. Their
caches are those of the checkout this file lies in, the one the pipeline then imports.
"""

import sys
from pathlib import Path

import numpy as np

CHECKOUT = Path(__file__).resolve().parent.parent


def warm_librosa() -> None:
    import librosa

    rate = 16000
    t = np.arange(rate * 2) / rate
    wave = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    librosa.pyin(wave, fmin=65.0, fmax=1000.0, sr=rate, frame_length=1024)   # pitch's gufuncs, the Viterbi decoding
    envelope = librosa.onset.onset_strength(y=wave, sr=rate)
    librosa.onset.onset_detect(onset_envelope=envelope, sr=rate)              # util's peak picking
    librosa.beat.beat_track(onset_envelope=envelope, sr=rate)                 # beat's dynamic programme
    librosa.zero_crossings(wave)                                              # audio's zero-crossing gufunc
    librosa.util.localmax(envelope), librosa.util.localmin(envelope)


def main() -> None:
    warm_librosa()   # first: librosa's own Viterbi core, before castforge's sparse one replaces it in this process
    sys.path.insert(0, str(CHECKOUT))
    from resources.compiled_kernels import cached_kernels, warm_kernels

    warm_kernels()
    print(f"numba caches warm: librosa, castforge's {len(cached_kernels())} cached kernels")


if __name__ == "__main__":
    main()
