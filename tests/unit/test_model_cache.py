"""CASTFORGE_KEEP_MODELS: a worker process keeps built backends across steps (resources/model_cache.py)."""

import pytest
from dagster import build_init_resource_context

from resources import model_cache
from resources.face_analyzer import FaceAnalyzerResource
from resources.lazy_backend import LazyBackendResource


class FakeModel:
    def __init__(self, weights: str):
        self.weights, self.released = weights, False

    def release(self) -> None:
        self.released = True


class FakeModelResource(LazyBackendResource):
    weights: str = "a"

    def get(self) -> FakeModel:
        return self.built("model", lambda: FakeModel(self.weights))


def _step(resource: LazyBackendResource, use=lambda r: r.get()):
    """One step's use of a resource: build on first use, teardown at the end of the execution."""
    out = use(resource)
    resource.teardown_after_execution(build_init_resource_context())
    return out


@pytest.fixture(autouse=True)
def empty_cache():
    model_cache.clear()
    yield
    model_cache.clear()


def test_without_the_setting_every_step_builds_and_frees_its_model(monkeypatch):
    monkeypatch.delenv(model_cache.SETTING, raising=False)
    first, second = _step(FakeModelResource()), _step(FakeModelResource())
    assert first is not second and first.released and second.released


def test_a_worker_reuses_the_model_of_the_same_configuration_across_steps(monkeypatch):
    monkeypatch.setenv(model_cache.SETTING, "2")
    first, second = _step(FakeModelResource()), _step(FakeModelResource())
    assert first is second and not first.released
    other = _step(FakeModelResource(weights="b"))
    assert other is not first and other.weights == "b"


def test_beyond_capacity_the_least_recently_used_model_is_released(monkeypatch):
    monkeypatch.setenv(model_cache.SETTING, "1")
    a = _step(FakeModelResource(weights="a"))
    b = _step(FakeModelResource(weights="b"))
    assert a.released and not b.released and _step(FakeModelResource(weights="b")) is b


def test_a_bad_setting_names_itself(monkeypatch):
    monkeypatch.setenv(model_cache.SETTING, "lots")
    with pytest.raises(ValueError, match="CASTFORGE_KEEP_MODELS='lots'"):
        _step(FakeModelResource())


def test_real_face_models_are_loaded_once_per_worker_process(shared, monkeypatch):
    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    monkeypatch.setenv(model_cache.SETTING, "4")
    built = model_cache.STATS["built"]
    first = _step(FaceAnalyzerResource(), lambda r: (r.get(), r.describe()))
    second = _step(FaceAnalyzerResource(), lambda r: (r.get(), r.describe()))
    assert first[0] is second[0] and first[1] == second[1]   # the same weights, so the same cache key
    assert model_cache.STATS["built"] == built + 1
