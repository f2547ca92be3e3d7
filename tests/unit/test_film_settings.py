"""Configuration layering: declared defaults -> defaults.yaml -> preset -> speed -> configs/films/<film>.yaml -> run
overrides;
unknown sections and keys and ill-typed values are errors naming the file, section and key."""

import dataclasses
from pathlib import Path

import pytest

from assets.stage_contract import load_contracts, parameter_schema
from resources.errors import ConfigError
from resources.film_settings import film_settings, normalise, parameters, stage_params


def _film_yaml(home: Path, film: str, text: str) -> Path:
    path = home / "configs" / "films" / f"{film}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_misspelled_key_names_the_file_section_key_valid_keys_and_the_close_match(castforge_home):
    path = _film_yaml(castforge_home, "f", "identities:\n  min_cluster_sise: 3\n")
    with pytest.raises(ConfigError) as error:
        film_settings("f")
    message = str(error.value)
    assert str(path) in message and "identities: unknown key 'min_cluster_sise'" in message
    assert "did you mean 'min_cluster_size'" in message and "max_distance" in message  # the valid keys


def test_a_misspelled_section_is_an_error_with_the_close_match(castforge_home):
    path = _film_yaml(castforge_home, "f", "identites:\n  min_cluster_size: 3\n")
    with pytest.raises(ConfigError, match="unknown section 'identites'.*did you mean 'identities'") as error:
        film_settings("f")
    assert str(path) in str(error.value)


def test_a_bad_value_is_one_clear_line(castforge_home):
    _film_yaml(castforge_home, "f", "frames:\n  frames_per_shot: abc\n")
    with pytest.raises(ConfigError) as error:
        film_settings("f")
    message = str(error.value)
    assert "frames.frames_per_shot='abc'" in message and "expected int" in message and "\n" not in message


def test_old_section_names_are_aliases_of_asset_names_and_instances_splits(castforge_home):
    _film_yaml(castforge_home, "f", "identities: {min_cluster_size: 4}\npose: {n_clusters: 3}\n"
                                    "instances: {margin: 0.1, min_blur: 55}\n")
    assert stage_params("f", "identity_clusters")["min_cluster_size"] == 4
    assert stage_params("f", "identities")["min_cluster_size"] == 4
    assert stage_params("f", "pose_subclusters")["n_clusters"] == 3
    assert stage_params("f", "instances")["margin"] == 0.1 and "min_blur" not in stage_params("f", "instances")
    assert stage_params("f", "filtered_instances")["min_blur"] == 55


def test_layers_apply_in_order_preset_then_film_then_run_overrides(castforge_home):
    # every parameter starts at its one declaration
    declared = parameters(parameter_schema()["identity_clusters"])
    assert stage_params("plain", "identity_clusters")["max_distance"] == declared["max_distance"].default
    _film_yaml(castforge_home, "drawn", "preset: anime\n")
    assert stage_params("drawn", "identity_clusters")["min_cluster_size"] == 25   # the anime preset's departure
    assert stage_params("drawn", "frames")["dedup_hamming"] == 8
    _film_yaml(castforge_home, "drawn", "preset: anime\nidentity_clusters: {min_cluster_size: 12}\n")
    assert stage_params("drawn", "identity_clusters")["min_cluster_size"] == 12   # the film's file wins
    assert stage_params("drawn", "identity_clusters", {"min_cluster_size": 6, "plot": None})["min_cluster_size"] == 6
    with pytest.raises(ConfigError, match="run config: identity_clusters.min_cluster_size='x'"):
        stage_params("drawn", "identity_clusters", {"min_cluster_size": "x"})


def test_an_unknown_preset_suggests_the_close_one(castforge_home):
    _film_yaml(castforge_home, "f", "preset: anme\n")
    with pytest.raises(ConfigError, match="unknown preset 'anme'.*did you mean 'anime'"):
        film_settings("f")


def test_a_speed_applies_after_the_preset_is_recorded_and_keyed_and_an_explicit_film_value_wins(castforge_home):
    from resources.film_settings import _load_yaml
    from resources.paths import REPO_ROOT

    fast = _load_yaml(Path(REPO_ROOT) / "configs" / "speeds" / "fast.yaml")
    declared = parameters(parameter_schema()["frames"])["frames_per_shot"].default
    assert fast["frames"]["frames_per_shot"] < declared   # fast segments fewer key frames a shot
    frames = load_contracts()["frames"]
    _film_yaml(castforge_home, "drawn", "preset: anime\n")
    quality_key = frames.parameters_key("drawn")
    _film_yaml(castforge_home, "drawn", "preset: anime\nspeed: fast\n")
    assert stage_params("drawn", "frames")["frames_per_shot"] == fast["frames"]["frames_per_shot"]
    assert stage_params("drawn", "frames")["dedup_hamming"] == 8          # the preset still applies beneath it
    assert film_settings("drawn")["speed"] == "fast" and film_settings("drawn")["preset"] == "anime"
    assert frames.parameters_key("drawn") != quality_key                  # its values are in the cache key
    _film_yaml(castforge_home, "drawn", "preset: anime\nspeed: fast\nframes: {frames_per_shot: 8}\n")
    assert stage_params("drawn", "frames")["frames_per_shot"] == 8        # the film's own value wins
    # a home's defaults.yaml names the speed of every film; a film's file may name another
    (castforge_home / "configs" / "defaults.yaml").write_text("speed: fast\n")
    assert stage_params("plain", "frames")["frames_per_shot"] == fast["frames"]["frames_per_shot"]
    _film_yaml(castforge_home, "slow", "speed: quality\n")
    assert stage_params("slow", "frames")["frames_per_shot"] == declared
    assert film_settings("slow")["speed"] == "quality"
    _film_yaml(castforge_home, "f", "speed: fats\n")
    with pytest.raises(ConfigError, match="unknown speed 'fats'.*did you mean 'fast'"):
        film_settings("f")


def test_every_declared_parameter_is_a_launchpad_field_with_its_comment():
    contracts = load_contracts()
    assert {"frames", "instances", "filtered_instances", "face_embeddings", "identity_clusters", "voice_map"} <= set(contracts)
    for name, contract in contracts.items():
        declared = {f.name for f in dataclasses.fields(contract.params)}
        assert set(contract.Config.model_fields) == declared, name
    field = contracts["frames"].Config.model_fields["jpeg_quality"]
    assert field.default is None and "95" in field.description   # the declared default, in the description


def _same(value, default) -> bool:
    """YAML lists stand for tuples; an empty mapping for an empty tuple of pairs."""
    if isinstance(default, tuple):
        return (not value and not default) or list(value) == list(default)
    return value == default


def test_the_shipped_yaml_layers_are_valid_and_hold_only_departures():
    from resources.film_settings import _load_yaml, layer_names
    from resources.paths import REPO_ROOT

    schema = parameter_schema()
    configs = Path(REPO_ROOT) / "configs"
    layers = [configs / folder / f"{name}.yaml" for folder in ("presets", "speeds") for name in layer_names(folder)]
    for path in [configs / "defaults.yaml", *layers]:
        layer = normalise(_load_yaml(path), schema, str(path))
        for asset, values in layer.items():
            if asset == "preset":
                continue
            declared = parameters(schema[asset])
            repeats = [k for k, v in values.items() if _same(v, declared[k].default)]
            assert not repeats, f"{path}: {asset} repeats declared defaults {repeats}; YAML holds only departures"
