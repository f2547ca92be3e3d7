"""The model resources' one base (resources/lazy_backend.py) and the typed Protocols: no model is loaded here."""

import typing

import dagster as dg
import numpy as np
import pytest

from orchestration.profiles import PROFILES, resources_for
from resources import protocols
from resources.lazy_backend import LazyBackendResource
from resources.store import StorageResource

MODEL_KEYS = {"segmenter", "face_analyzer", "face_landmarker", "image_embedder", "pose_estimator", "captioner",
              "vocal_separator", "diarizer"}


@pytest.mark.parametrize("profile", PROFILES)
def test_every_model_resource_derives_from_the_lazy_base(profile):
    resources = resources_for(profile)
    models = {key: r for key, r in resources.items() if key in MODEL_KEYS or "backend" in type(r).model_fields}
    assert set(models) >= MODEL_KEYS and isinstance(resources["storage"], StorageResource)
    for key, resource in models.items():
        assert isinstance(resource, LazyBackendResource), key
        own = type(resource).__dict__
        assert "get" in own and not {"captioner", "embedder", "estimator", "segmenter", "landmarker",
                                     "analyzer"} & set(own), f"{key}: get() must be the one accessor"


def test_protocol_methods_are_typed_without_any_or_object():
    capabilities = [c for c in vars(protocols).values()
                    if isinstance(c, type) and getattr(c, "_is_runtime_protocol", False)]
    assert {"Segmenter", "Captioner", "PoseEstimator", "VocalSeparator", "Diarizer"} <= {c.__name__ for c in capabilities}
    for capability in capabilities:
        for name, member in vars(capability).items():
            if name.startswith("_") or not callable(member):
                continue
            hints = typing.get_type_hints(member, vars(protocols) | {"Cues": object})
            params = set(member.__code__.co_varnames[1:member.__code__.co_argcount])
            assert params <= set(hints) and "return" in hints, f"{capability.__name__}.{name} has untyped parts"
            for arg, hint in hints.items():
                if arg == "cues":  # a backend class, resolved only for type checkers
                    continue
                assert not _vague(hint), f"{capability.__name__}.{name}({arg}) is {hint!r}"
    assert typing.get_type_hints(protocols.PoseEstimator.estimate)["return"] is np.ndarray
    assert set(typing.get_type_hints(protocols.SegmentedInstance)) >= {"mask", "score", "seed"}
    assert "alpha" in typing.get_type_hints(protocols.CaptionFacts)


def _vague(hint) -> bool:
    """Any, object, or a bare container (``list``, ``dict[str, Any]``...) anywhere inside the annotation."""
    if hint in (typing.Any, object) or (hint in (list, dict, tuple, set) and not typing.get_args(hint)):
        return True
    return any(_vague(arg) for arg in typing.get_args(hint) if arg is not Ellipsis)


def test_vague_annotations_are_caught():
    assert _vague(object) and _vague(list) and _vague(list[dict]) and _vague(dict[str, typing.Any])
    assert not _vague(list[np.ndarray]) and not _vague(tuple[float, float]) and not _vague(np.ndarray | None)


class _Recorder:
    """A built backend that records what was done to it."""

    name, model = "recorder", "none"

    def __init__(self, log: list[str]):
        self.log = log
        log.append("built")

    def release(self) -> None:
        self.log.append("released")


LOG: list[str] = []


class _RecordingResource(LazyBackendResource):
    label: str = "a"

    def get(self) -> _Recorder:
        return self.built("recorder", lambda: _Recorder(LOG))


def test_built_once_per_run_and_released_by_teardown_after_the_run():
    LOG.clear()
    seen: list[str] = []

    @dg.asset
    def uses_it_twice(model: _RecordingResource) -> None:
        assert model.get() is model.get()
        assert model.describe() == {"backend": "recorder", "model": "none"}
        seen.extend(LOG)

    assert dg.materialize([uses_it_twice], resources={"model": _RecordingResource()}).success
    assert seen == ["built"]                  # built on first use, once, not released during the step
    assert LOG == ["built", "released"]       # teardown_after_execution released it


def test_release_falls_back_to_close_and_forgets_what_was_built():
    closed = []

    class Closable:
        name, model = "closable", "none"

        def close(self) -> None:
            closed.append(self)

    class Resource(LazyBackendResource):
        def get(self) -> Closable:
            return self.built("closable", Closable)

    resource = Resource()
    first = resource.get()
    resource.release()
    assert closed == [first] and resource.get() is not first


def test_gpu_using_audio_stages_share_the_gpu_pool():
    import assets
    from orchestration.executors import gpu_pool_steps

    steps = set(gpu_pool_steps(dg.load_defs(assets)))
    assert {"vocals", "diarization", "instances", "face_embeddings", "pose_subclusters", "captions"} <= steps
    assert "audio" not in steps and "voice_map" not in steps
