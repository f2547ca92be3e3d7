"""The characters segmenter's code version. The instances stage's cache key holds its own package's code
(assets/instances/) and the described backends, not the segmenter's modules under resources/backends/: without this
a film cut before a change of a seed, extent or matting rule there would be served its old cut-outs from the cache.
The instances contract adds it to its code version as well (``extra_code``), so `castforge status` and a run of a later
asset see the stored cut-outs as stale."""

from __future__ import annotations

import hashlib
from pathlib import Path

# every module the characters segmenter runs (its rules, cues, GrabCut and MediaPipe adapters)
SEGMENTER_SOURCES = ("opencv_characters.py", "character_*.py", "grabcut_*.py", "mediapipe_*.py", "litert_*.py",
                     "yunet_answers.py", "onnx_yunet.py")
# modules of resources/ the segmenter reads too (the cel-fill mosaics of drawn seeds' cuts, their regions' colour sums)
SEGMENTER_SHARED_SOURCES = ("cel_fills.py", "region_sums.py")


def segmenter_code_version(folder: Path | None = None) -> str:
    """12 hex digits of a hash over the segmenter's source files in ``folder`` (default: this package), by name."""
    folder = folder or Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted({path for pattern in SEGMENTER_SOURCES for path in folder.glob(pattern)}):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for path in (folder.parent / name for name in SEGMENTER_SHARED_SOURCES):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
