"""Giving a model's memory back: what every adapter's ``release()`` ends with."""

import gc
import sys


def free_torch_memory(device: str = "cpu") -> None:
    """Collects the dropped model and, on a CUDA device, returns torch's cached blocks to the driver."""
    gc.collect()
    torch = sys.modules.get("torch")  # only when torch is already loaded: never import it to free nothing
    if torch is not None and device.startswith("cuda") and torch.cuda.is_available():
        torch.cuda.empty_cache()
