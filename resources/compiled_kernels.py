"""castforge's numba kernels compiled into numba's on-disk cache ahead of a film: ``install/warm_numba.py`` runs
``warm_kernels`` once, in the one set-up process that warms librosa's gufuncs.

Each ``@njit(cache=True)`` kernel of the package is compiled on its first call in a process that finds no cache for
it: ~47 CPU-s of a fresh checkout's first film, inside ``instances``, whose two worker processes each compiled
them (docs/film_scale.md, session 58), and again in every test worker that meets a kernel first. ``warm_kernels`` calls every kernel through the function the
pipeline calls it from, on a small made-up picture (a flat-filled, outlined figure on a shaded background) with the
pipeline's dtypes and array layouts, so numba compiles, or loads, the very signatures a film asks for. Each cached
kernel's callees are compiled with it. ``cached_kernels`` finds every cached kernel by importing the package's
modules that use numba; tests/unit/test_compiled_kernels.py holds the two together, so a new kernel that is not
warmed here fails it.

Where the cache lives: numba (0.68) writes it under NUMBA_CACHE_DIR where that is set, else beside the source (the
module's ``__pycache__``) where that is writable, else in the user's cache folder; the last and the first in a folder
named from the source's directory, so a warm-up and the pipeline must run the same checkout with the same setting. An
entry is used while the source file's contents hash the same (not its mtime: a fresh clone, or a checkout that leaves
the file as it was, keeps it) and on a CPU of the same name and features.
"""

import importlib
import pkgutil
from pathlib import Path

import numpy as np

PACKAGES = ("assets", "resources", "orchestration", "sensors")


def cached_kernels() -> dict[str, object]:
    """Every numba dispatcher with its on-disk cache on, in the modules of PACKAGES whose source names numba, by
    ``module.function``; those declared ``inline="always"`` are left out (numba compiles them into their callers,
    never on their own, and keeps no cache file of them)."""
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    root = Path(__file__).resolve().parent.parent
    kernels = {}
    for package in PACKAGES:
        for module in pkgutil.walk_packages([str(root / package)], prefix=f"{package}."):
            path = root / (module.name.replace(".", "/") + ("/__init__.py" if module.ispkg else ".py"))
            if module.ispkg or "numba" not in path.read_text(encoding="utf-8"):
                continue
            loaded = importlib.import_module(module.name)
            for name, value in vars(loaded).items():
                if (isinstance(value, CPUDispatcher) and value.__module__ == module.name
                        and not isinstance(value._cache, NullCache)
                        and value.targetoptions.get("inline", "never") != "always"):
                    kernels[f"{module.name}.{name}"] = value
    return kernels


def warm_kernels() -> None:
    """Calls every cached kernel of the package, through the pipeline's own functions, with the dtypes and layouts
    a film gives them: compiled into the cache where it was empty, loaded from it where it was warm."""
    bgr = figure_picture()
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    _warm_resizing(rgb)
    _warm_regions(bgr, rgb)
    _warm_grabcut(bgr)
    _warm_matting(rgb)
    _warm_deeplab_tail()
    _warm_viterbi()


def figure_picture(height: int = 48, width: int = 64) -> np.ndarray:
    """BGR uint8: a flat-filled ellipse with a dark outline and a flat square on a shaded, slightly noisy background
    (flat fills, soft gradients and edges: every branch the kernels compile is typed on such a picture)."""
    import cv2

    rows, columns = np.mgrid[0:height, 0:width]
    background = np.stack([60 + rows * 2, 90 + columns, 140 + rows], -1)
    noise = np.random.default_rng(0).integers(-3, 4, (height, width, 3))
    picture = np.clip(background + noise, 0, 255).astype(np.uint8)
    cv2.ellipse(picture, (width // 2, height // 2), (width // 5, height // 3), 0, 0, 360, (40, 180, 230), -1)
    cv2.ellipse(picture, (width // 2, height // 2), (width // 5, height // 3), 0, 0, 360, (20, 20, 20), 2)
    cv2.rectangle(picture, (3, 3), (12, 12), (200, 60, 60), -1)
    return picture


def figure_mask(height: int = 48, width: int = 64) -> np.ndarray:
    """bool: ``figure_picture``'s ellipse."""
    import cv2

    mask = np.zeros((height, width), np.uint8)
    cv2.ellipse(mask, (width // 2, height // 2), (width // 5, height // 3), 0, 0, 360, 1, -1)
    return mask.astype(bool)


def _warm_resizing(rgb: np.ndarray) -> None:
    from resources.area_resize import area_resized

    area_resized(rgb, 27, 20)   # a non-integer factor: the compiled path (an integer one goes to OpenCV)


def _warm_regions(bgr: np.ndarray, rgb: np.ndarray) -> None:
    import cv2

    from resources.backends.character_regions import colour_regions, dominant_share
    from resources.backends.felzenszwalb import _merged_regions, _smoothed_costs
    from resources.cel_fills import cel_fill_map

    cel_fill_map(rgb)                                      # region_sums.colour_sums
    regions = colour_regions(bgr, scale=100.0)             # felzenszwalb's sorted-edge merge
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)
    dominant_share(lab.reshape(-1, 3), regions.ravel(), int(regions.max()) + 1)   # region_medians, as flat_parts
    # felzenszwalb's other merge, which its ``_labels_of`` takes where an edge cost is not a finite number >= 0
    costs = _smoothed_costs(np.ascontiguousarray(rgb), 0.6)
    _merged_regions(costs, np.argsort(costs), rgb.shape[0], rgb.shape[1], 100.0 / 255.0, 20)


def _warm_grabcut(bgr: np.ndarray) -> None:
    import cv2

    from resources.backends.character_edges import GRABCUT_SEED
    from resources.backends.grabcut_compiled import compiled_grabcut

    labels = np.full(bgr.shape[:2], cv2.GC_PR_BGD, np.uint8)
    labels[figure_mask(*bgr.shape[:2])] = cv2.GC_PR_FGD
    labels[:2], labels[-2:] = cv2.GC_BGD, cv2.GC_BGD
    compiled_grabcut(bgr, labels, 2, GRABCUT_SEED)         # grabcut_start's k-means, then the iterations


def _warm_matting(rgb: np.ndarray) -> None:
    from assets.instances.matting import refine_alpha

    mask = figure_mask(*rgb.shape[:2])
    refine_alpha(rgb, mask, 2)                             # the exact guided filter
    refine_alpha(rgb, mask, 8)                             # the subsampled one


def _warm_deeplab_tail() -> None:
    from resources.backends.litert_deeplab import character_pixels

    logits = np.random.default_rng(1).integers(0, 256, (9, 9, 21), dtype=np.uint8)
    wanted = np.isin(np.arange(256), (15,))[:logits.shape[2]]
    character_pixels(logits, 33, 33, 30, 25, wanted)


def _warm_viterbi() -> None:
    """pYIN decoded by the sparse Viterbi core, as ``voice_features`` runs it (librosa hands it a Fortran-ordered
    transposed log-probability array)."""
    import librosa

    from assets.audio.pyin_viterbi import use_sparse_viterbi

    use_sparse_viterbi()
    rate = 16000
    t = np.arange(rate) / rate
    wave = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    librosa.pyin(wave, fmin=65.0, fmax=1000.0, sr=rate, frame_length=1024)
