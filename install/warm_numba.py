"""Compile librosa's numba gufuncs into their on-disk cache once, in one process, at set-up.

librosa declares its gufuncs with ``@guvectorize(..., cache=True)``: each is compiled when its module is first
imported and written to the package's ``__pycache__`` as two files (the kernel and its gufunc wrapper), each renamed
into place on its own. Two processes compiling the same gufunc at once (the test suite's xdist workers on a fresh
environment, or a multiprocess / Celery run's first steps) can leave a kernel from one beside a wrapper from the
other, and the next process to load them dies of a segmentation fault (numba/numba#10128, librosa/librosa#1998; seen
here in `librosa.pyin` during a fresh-clone CI run). Compiled here first, every later process only reads them.
"""

import numpy as np


def main() -> None:
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
    print("numba caches warm: librosa")


if __name__ == "__main__":
    main()
