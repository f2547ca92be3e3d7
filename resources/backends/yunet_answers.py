"""YuNet (its network on onnxruntime with OpenCV FaceDetectorYN's decoding: resources/backends/onnx_yunet.py) with
its answer for one image kept in the content-addressed result cache (resources/backends/result_cache.py), so that
``face_embeddings`` reads the faces that the ``instances`` stage's YuNet cue found on the same frame instead of running
the network again.

On drawn films both stages give YuNet the same pixels: the key frame scaled to the analysis height (480 rows,
resources/analysis_frame.py), in RGB; on films of 480 rows or fewer, the key frame itself. The cue asks at a low
score (0.05: its weak faces), the faces stage at a higher one (0.35 for drawn faces, 0.5 for photos). OpenCV keeps
the anchors scoring at least the threshold; with two or more of them it keeps those scoring above it, sorts them by
score (a stable sort), keeps the ``TOP_K`` best and suppresses greedily in that order, so an anchor is suppressed
only by a kept one that scores higher. The rows at a higher threshold are therefore the lower threshold's rows
that score above it, in the same order, and an answer stored at threshold t serves every threshold from t up
(``CachedYunet.rows``). The one case the stored rows cannot tell, a row scoring exactly the asked threshold (kept
when it is the only anchor that high, else dropped), is asked of the network again.
"""

import hashlib
import logging
import struct
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from resources.backends.onnx_yunet import OnnxYunet
from resources.backends.result_cache import ResultCache, content_key
from resources.paths import castforge_home

log = logging.getLogger(__name__)

NMS_THRESHOLD = 0.3
TOP_K = 5000
ROW_WIDTH = 15            # x, y, w, h, five (x, y) landmarks, score
DEFAULT_CACHE = "default"  # ``$CASTFORGE_HOME/cache/yunet``, resolved when the detector is built


@lru_cache(maxsize=4)
def cache_version(weights: str) -> str:
    """Part of every cache key: the weights' bytes, OpenCV's version and the suppression's settings."""
    import onnxruntime

    digest = hashlib.blake2b(Path(weights).read_bytes(), digest_size=12).hexdigest()
    return (f"yunet:{digest};onnxruntime {onnxruntime.__version__};opencv {cv2.__version__};nms {NMS_THRESHOLD};"
            f"top_k {TOP_K};rows {ROW_WIDTH}")


class CachedYunet:
    """YuNet at ``score_threshold`` on RGB uint8 images; ``rows`` gives OpenCV's (N, 15) float32 rows in the
    image's pixels, best first. ``read=False`` always runs the network and stores its answer (the instances cue:
    its own cost stays its own, and a rerun of that stage means changed code or settings); ``cache_dir=None`` keeps
    nothing."""

    def __init__(self, weights: str, score_threshold: float, cache_dir: Path | str | None = DEFAULT_CACHE,
                 read: bool = True):
        self.weights, self.score_threshold, self.read = str(weights), float(score_threshold), read
        self.detector = OnnxYunet(self.weights, self.score_threshold, NMS_THRESHOLD, TOP_K)
        if cache_dir == DEFAULT_CACHE:
            cache_dir = castforge_home() / "cache" / "yunet"
        self.cache = ResultCache(Path(cache_dir)) if cache_dir is not None else None
        self.calls = {"network": 0, "cached": 0}

    def rows(self, rgb: np.ndarray, keep: bool = True) -> np.ndarray:
        """YuNet's rows for ``rgb``; ``keep=False`` with ``read=False``: the network alone, nothing hashed or
        stored (the instances cue on a rendered frame, which the faces stage reads at another size)."""
        key = None
        if self.cache is not None and (keep or self.read):
            key = content_key(cache_version(self.weights), struct.pack(">III", *rgb.shape),
                              np.ascontiguousarray(rgb).tobytes())
            stored = self._stored(key) if self.read else None
            if stored is not None:
                self.calls["cached"] += 1
                return stored
        rows = self.detector.detect(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        self.calls["network"] += 1
        if key is not None and keep:
            self.cache.put(key, {"threshold": self.score_threshold, "rows": rows.tolist()})
        return rows

    def _stored(self, key: str) -> np.ndarray | None:
        """The stored answer's rows that this threshold keeps, or None: no answer, one asked at a higher
        threshold, one asked lower with a row scoring exactly this threshold (see the module's docstring) or a
        malformed entry."""
        answer = self.cache.get(key)
        if answer is None:
            return None
        try:
            stored_at = float(answer["threshold"])
            rows = np.asarray(answer["rows"], np.float32).reshape(-1, ROW_WIDTH)
        except (KeyError, TypeError, ValueError) as error:
            log.warning("yunet: cached answer %s is malformed (%r); detecting again", key, error)
            return None
        threshold = np.float32(self.score_threshold)
        if np.float32(stored_at) == threshold:
            return rows
        if np.float32(stored_at) > threshold or bool(np.any(rows[:, 14] == threshold)):
            return None
        return rows[rows[:, 14] > threshold]
