"""SAM2 / SAM2.1 automatic mask generator (the ``sam2`` package): every object in the frame as a mask.

Built from the package's own Hydra config (real architecture) and a local checkpoint found under
CASTFORGE_MODELS (``sam2.1_hiera_tiny.pt`` ...). ``checkpoint=None`` with ``allow_random_weights`` builds the real
architecture with random weights: tests use that; a profile never does. Given the frame's character cues and the
offline character segmenter, SAM2's parts are merged into whole characters (resources/backends/character_parts.py).
"""

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from resources.backends.memory import free_torch_memory
from resources.errors import MissingWeightsError
from resources.paths import find_model
from resources.protocols import SegmentedInstance

if TYPE_CHECKING:
    from resources.backends.character_cues import Cues

log = logging.getLogger(__name__)

SIZES = {  # model size -> (Hydra config inside the sam2 package, checkpoint file names to look for)
    "tiny": ("configs/sam2.1/sam2.1_hiera_t.yaml", ["sam2.1_hiera_tiny.pt", "sam2/sam2.1_hiera_tiny.pt",
                                                  "sam2_hiera_tiny.pt"]),
    "small": ("configs/sam2.1/sam2.1_hiera_s.yaml", ["sam2.1_hiera_small.pt", "sam2/sam2.1_hiera_small.pt",
                                                   "sam2_hiera_small.pt"]),
    "base_plus": ("configs/sam2.1/sam2.1_hiera_b+.yaml", ["sam2.1_hiera_base_plus.pt",
                                                        "sam2/sam2.1_hiera_base_plus.pt", "sam2_hiera_base_plus.pt"]),
    "large": ("configs/sam2.1/sam2.1_hiera_l.yaml", ["sam2.1_hiera_large.pt", "sam2/sam2.1_hiera_large.pt",
                                                   "sam2_hiera_large.pt"]),
}
HOW = ("Download it from https://github.com/facebookresearch/sam2#model-description (e.g. "
       "sam2.1_hiera_tiny.pt) into a folder listed in CASTFORGE_MODELS, or set segmenter.sam2_checkpoint.")


def find_checkpoint(size: str) -> Path | None:
    if size not in SIZES:
        raise ValueError(f"sam2 model size must be one of {sorted(SIZES)}, not {size!r}")
    return find_model(*SIZES[size][1])


def _import_sam2():
    from resources.backends import torch_cpu_fixes

    torch_cpu_fixes.apply()
    try:
        import hydra.version

        hydra.version._MIN_SUPPORTED_VERSION_BASE = "1.1"  # hydra 1.4 rejects sam2's version_base="1.2"
        from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
        from sam2.build_sam import build_sam2
    except ImportError as error:
        raise ImportError("the sam2 backend needs the `sam2` package: install it with "
                          "`SAM2_BUILD_CUDA=0 pip install sam2` (see install/requirements.txt)") from error
    return build_sam2, SAM2AutomaticMaskGenerator


class Sam2Segmenter:
    """``segment(rgb)`` -> [{mask: bool H x W, score: predicted IoU, stability}] from SAM2's AMG."""

    name = "sam2"

    def __init__(self, size: str = "tiny", checkpoint: str | None = None, device: str = "cpu",
                 points_per_side: int = 32, points_per_batch: int = 64, pred_iou_thresh: float = 0.8,
                 stability_score_thresh: float = 0.9, min_mask_area_1080p: int = 16384,
                 allow_random_weights: bool = False, characters=None, bfloat16: bool = True):
        import torch

        build_sam2, generator_cls = _import_sam2()
        config = SIZES[size][0]
        path = Path(checkpoint) if checkpoint else find_checkpoint(size)
        if path is None and not allow_random_weights:
            raise MissingWeightsError("sam2", f"the SAM2.1 {size} checkpoint ({SIZES[size][1][0]})", HOW)
        if path is not None and not path.exists():
            raise MissingWeightsError("sam2", str(path), HOW)
        self.model = str(path) if path else f"{config} (random weights)"
        self.device = device
        self.sam = build_sam2(config, str(path) if path else None, device=device)
        self.min_mask_area_1080p = min_mask_area_1080p
        self.generator = generator_cls(
            self.sam, points_per_side=points_per_side, points_per_batch=points_per_batch,
            pred_iou_thresh=pred_iou_thresh, stability_score_thresh=stability_score_thresh)
        self._torch = torch
        self.bfloat16 = bfloat16
        # the offline character segmenter (same cues): its coarse masks group SAM2's parts into whole characters
        self.characters = characters

    def precision(self):
        """bfloat16 autocast on a CUDA device (SAM2's own usage; on an H200, SAM2.1 large's automatic masks of a 1080p
        key frame take 0.30 s against 0.48 s in float32: bench/gpu_stages.py), float32 elsewhere."""
        if self.bfloat16 and str(self.device).startswith("cuda"):
            return self._torch.autocast("cuda", dtype=self._torch.bfloat16)
        return contextlib.nullcontext()

    def min_area(self, height: int, width: int) -> int:
        """The minimum mask area scaled from 1080p by the frame's pixel count."""
        return max(16, round(self.min_mask_area_1080p * (height * width) / (1920 * 1080)))

    def segment(self, rgb: np.ndarray, cues: "Cues | None" = None) -> list[SegmentedInstance]:
        """SAM2's masks; with ``cues`` and a character segmenter, parts are merged into whole characters
        (resources/backends/character_parts.py)."""
        height, width = rgb.shape[:2]
        with self._torch.inference_mode(), self.precision():
            found = self.generator.generate(np.ascontiguousarray(rgb))
        minimum = self.min_area(height, width)
        parts = [{"mask": np.asarray(m["segmentation"], bool), "score": float(m["predicted_iou"]),
                  "stability": float(m["stability_score"]), "seed": "sam2"}
                 for m in sorted(found, key=lambda m: -m["area"]) if m["area"] >= minimum]
        if cues is None or self.characters is None:
            return parts
        from resources.backends.character_parts import merge_instances

        return merge_instances(parts, self.characters.segment(rgb, cues))

    def release(self) -> None:
        """Frees the model (and the GPU memory it held) between films."""
        self.generator = self.sam = None
        free_torch_memory(self.device)
