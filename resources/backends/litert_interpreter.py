"""One way to open a local TFLite model through ai-edge-litert for the MediaPipe adapters: the lazy import with its
install hint, the model found under CASTFORGE_MODELS (or a clear MissingWeightsError), tensors allocated."""

from __future__ import annotations

from typing import Any

from resources.cores import model_threads
from resources.errors import MissingWeightsError
from resources.paths import find_model


def open_litert_model(backend: str, relative: str, what: str, model: str | None = None,
                      threads: int | None = None) -> tuple[Any, str]:
    """(an allocated ``ai_edge_litert`` Interpreter, the model's path) for ``backend`` (its name in errors), the
    file ``relative`` under the model folders unless ``model`` names one; ``what`` reads "the <what> needs ..."."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:
        raise ImportError(f"the {what} needs ai-edge-litert: "
                          "`pip install ai-edge-litert` (listed in install/requirements.txt)") from error
    path = model or find_model(relative)
    if path is None:
        folder, name = relative.rsplit("/", 1)
        raise MissingWeightsError(backend, relative, f"Put {name} under $CASTFORGE_MODELS/{folder}/ "
                                                     f"(../shared/models/{folder} has it).")
    interpreter = Interpreter(model_path=str(path), num_threads=threads or model_threads())
    interpreter.allocate_tensors()
    return interpreter, str(path)
