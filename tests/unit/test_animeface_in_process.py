"""AnimeFace in castforge's own process (resources/backends/animeface.py): nvxs loaded here through ctypes gives the
subprocess worker's answers on real drawn frames, and the worker is the fallback where the library cannot be loaded."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from resources.errors import CastforgeError

PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"


def drawn_images(shared: Path) -> list[np.ndarray]:
    """Four Penny & Chip frames (labelled shots 3, 6 and 7, and one at 27 s) and a tile of the anime face grid."""
    capture, images = cv2.VideoCapture(str(shared / PENNY_CHIP)), []
    for seconds in (27.5, 51.5, 54.0, 59.5):
        capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
        ok, bgr = capture.read()
        assert ok
        images.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    grid = cv2.imread(str(shared / "media/faces/anime_face_grid.jpg"))
    images.append(np.ascontiguousarray(cv2.cvtColor(grid, cv2.COLOR_BGR2RGB)[:512, 2560:]))
    return images


def detector(**options):
    from resources.backends.animeface import AnimeFaceDetector

    try:
        return AnimeFaceDetector(max_side=None, cache_dir=None, min_score=0.0, **options)
    except CastforgeError as error:
        pytest.skip(f"the animeface environment is not built here: {error}")


@pytest.mark.slow
def test_in_process_answers_are_the_workers_on_real_drawn_frames(shared, monkeypatch):
    """Every face (box, likelihood, landmarks, colours; min_score 0 so the weak ones too) of five drawn images is the
    subprocess worker's, and no process is started: the library is mapped into this one."""
    monkeypatch.delenv("CASTFORGE_ANIMEFACE_IN_PROCESS", raising=False)
    images = drawn_images(shared)
    worker, here = detector(in_process=False), detector()
    expected = [worker.detect(image) for image in images]
    worker.close()
    found = [here.detect(image) for image in images]
    assert found == expected
    assert sum(map(len, expected)) >= 8 and sum(f.score >= 0.5 for faces in expected for f in faces) >= 5
    assert worker._process is None and here._process is None and here.calls == {"worker": 5, "cached": 0}
    library = here._native.library
    assert library == (here.nvxs or library) and str(library) in Path("/proc/self/maps").read_text()
    # the library leaves this process's floating point as it was (no flush-to-zero set when it loaded)
    assert np.nextafter(np.float64(0), 1) > 0 and np.float32(1e-40) > 0


def test_the_worker_answers_where_the_library_cannot_be_loaded_here(shared, monkeypatch):
    """A library this process cannot load (or CASTFORGE_ANIMEFACE_IN_PROCESS=0): the subprocess worker answers, the
    same faces."""
    from resources.backends import animeface

    image = drawn_images(shared)[1]
    expected = detector().detect(image)

    def unloadable(*_):
        raise OSError("cannot open shared object file")

    monkeypatch.setattr(animeface, "InProcessAnimeFace", unloadable)
    fallback = detector()
    assert fallback.detect(image) == expected and expected
    assert fallback._native is False and fallback._process is not None
    fallback.close()
    monkeypatch.undo()
    monkeypatch.setenv("CASTFORGE_ANIMEFACE_IN_PROCESS", "0")
    off = detector()
    assert off.detect(image) == expected and off._process is not None
    off.close()
