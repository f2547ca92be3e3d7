"""The base every model resource derives from: the backend is built on first use and freed after the run.

A model resource is a Dagster ``ConfigurableResource`` whose fields choose and configure one backend (an adapter in
resources/backends/ implementing a Protocol of resources/protocols.py). ``get()`` builds it once per run and returns
it, typed by the resource's Protocol; ``describe()`` reports what it actually loaded (backend name and weights), which
goes into every stage's cache key; ``teardown_after_execution`` calls ``release()`` on what was built, so a model's
memory (and its CUDA cache) is given back between films. On a worker that runs one step after another
(CASTFORGE_KEEP_MODELS, resources/model_cache.py) what was built is kept in the process for the next step instead.
"""

from collections.abc import Callable
from typing import TypeVar, cast

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from resources import model_cache
from resources.protocols import ModelBackend

Built = TypeVar("Built")


class LazyBackendResource(ConfigurableResource):
    """Subclasses implement ``get()`` as ``return self.built("<what>", lambda: <build the adapter>)``."""

    _built: dict[str, object] = PrivateAttr(default_factory=dict)
    _kept: set[str] = PrivateAttr(default_factory=set)   # keys the process's model cache holds (never released here)

    def get(self) -> ModelBackend:
        raise NotImplementedError(f"{type(self).__name__} does not implement get()")

    def built(self, key: str, build: Callable[[], Built]) -> Built:
        """The object stored under ``key``, built by ``build()`` the first time it is asked for in this run."""
        if key not in self._built:
            thing, kept = model_cache.kept_or_built(type(self).__name__, self.model_dump(), key, build)
            self._built[key] = thing
            if kept:
                self._kept.add(key)
        return cast(Built, self._built[key])

    def describe(self) -> dict[str, str]:
        """What the backend actually loaded: its name and its weights (a path or hub id)."""
        backend = self.get()
        return {"backend": backend.name, "model": backend.model}

    def release(self) -> None:
        """Frees everything built (each object's ``release()`` or ``close()``) but what the process's model cache
        keeps for the next step, then forgets it."""
        built = [thing for key, thing in self._built.items() if key not in self._kept]
        self._built.clear()
        self._kept.clear()
        for thing in built:
            model_cache.release(thing)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self.release()
