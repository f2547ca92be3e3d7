"""Giving a model's memory back: what every adapter's ``release()`` ends with."""

import gc
import sys


def release_model(thing: object) -> bool:
    """Calls ``thing.release()`` or, failing that, ``thing.close()``; returns whether it had either."""
    free = getattr(thing, "release", None) or getattr(thing, "close", None)
    if callable(free):
        free()
        return True
    return False


def free_torch_memory(device: str = "cpu") -> None:
    """Collects the dropped model and, on a CUDA device, returns torch's cached blocks to the driver."""
    gc.collect()
    torch = sys.modules.get("torch")  # only when torch is already loaded: never import it to free nothing
    if torch is not None and device.startswith("cuda") and torch.cuda.is_available():
        torch.cuda.empty_cache()
