"""Make the CUDA-only torchvision / torchaudio wheels usable on a CPU-only torch (see ../shared/ENVIRONMENT.md).

torchvision 0.28 (the only release for torch 2.13) ships CUDA-linked kernels; on a CPU build of torch its C++
extension fails to load and importing torchvision raises ``operator torchvision::nms does not exist``. Registering
a pure-torch ``nms`` before torchvision is imported lets its Python side (models, transforms, ops.nms, roi_align)
work. On a machine whose torchvision loads natively this is a no-op.
"""

import logging

log = logging.getLogger(__name__)
_library = None  # keeps the torch.library registration alive for the life of the process


def _nms_reference(dets, scores, iou_threshold: float):
    import torch

    if dets.numel() == 0:
        return torch.empty((0,), dtype=torch.int64, device=dets.device)
    x1, y1, x2, y2 = dets.unbind(1)
    areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    order = scores.argsort(descending=True)
    suppressed = torch.zeros(dets.shape[0], dtype=torch.bool, device=dets.device)
    keep = []
    for position in range(order.numel()):
        i = order[position]
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[position + 1 :]
        xx1 = torch.maximum(x1[i], x1[rest])
        yy1 = torch.maximum(y1[i], y1[rest])
        xx2 = torch.minimum(x2[i], x2[rest])
        yy2 = torch.minimum(y2[i], y2[rest])
        inter = (xx2 - xx1).clamp(min=0) * (yy2 - yy1).clamp(min=0)
        iou = inter / (areas[i] + areas[rest] - inter).clamp(min=1e-12)
        suppressed[rest[iou > iou_threshold]] = True
    return torch.stack(keep).to(torch.int64) if keep else torch.empty((0,), dtype=torch.int64)


def _torchvision_kernels_load() -> bool:
    import importlib.util

    import torch

    if importlib.util.find_spec("torchvision") is None:
        return True
    try:
        torch.ops.torchvision.nms  # noqa: B018 - raises when the op is not registered
        return True
    except (AttributeError, RuntimeError):
        pass
    spec = importlib.util.find_spec("torchvision")
    import glob
    import os

    for so in glob.glob(os.path.join(os.path.dirname(spec.origin), "_C*.so")):
        try:
            torch.ops.load_library(so)
            torch.ops.torchvision.nms  # noqa: B018
            return True
        except (OSError, RuntimeError, AttributeError):
            return False
    return False


def apply() -> None:
    """Register a CPU ``torchvision::nms`` when torchvision's own kernels cannot load. Idempotent."""
    global _library
    if _library is not None:
        return
    import sys

    if "torchvision" in sys.modules:
        return
    if _torchvision_kernels_load():
        _library = False
        return
    import torch

    library = torch.library.Library("torchvision", "DEF")
    # torchvision registers fake (meta) kernels for these two at import, which needs the operators to exist.
    for name in ("nms", "qnms"):
        library.define(f"{name}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.impl("nms", _nms_reference, "CPU")
    _library = library
    import torchvision.extension

    # torchvision checks that its C++ extension loaded before calling an op; the ops it needs are now registered.
    torchvision.extension._has_ops = lambda: True
    log.debug("registered a pure-torch torchvision::nms (CPU torch with CUDA-built torchvision)")
