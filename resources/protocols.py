"""One Protocol per model capability. Adapters in resources/backends/<library>.py implement them.

Conventions for every capability: images are numpy ``uint8`` arrays, ``H x W x 3`` in **RGB** order unless a
docstring says otherwise; boxes are ``(x0, y0, x1, y1)`` floats in pixels of the image given; masks are ``bool``
arrays ``H x W``; audio is ``float32`` mono (or ``channels x samples``) with its sample rate given alongside;
times are seconds. Each adapter exposes ``name`` (backend id, recorded with every row it produces) and ``model``
(the weights it loaded: a path or hub id).
"""

from typing import Protocol, runtime_checkable


@runtime_checkable
class ModelBackend(Protocol):
    name: str
    model: str
