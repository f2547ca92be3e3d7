"""A film's effective settings: defaults, then its preset, then configs/films/<film>.yaml, then run overrides."""

from pathlib import Path
from typing import Any

import yaml

from resources.errors import CastforgeError
from resources.paths import config_dirs


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise CastforgeError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise CastforgeError(f"{path}: expected a mapping at the top level")
    return data


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _first_existing(relative: str) -> list[Path]:
    return [d / relative for d in config_dirs() if (d / relative).exists()]


def film_settings(film: str) -> dict[str, Any]:
    """All settings for a film (every stage's section), with the preset and the film's own file applied."""
    settings: dict[str, Any] = {}
    for path in _first_existing("defaults.yaml"):
        settings = deep_merge(settings, _load_yaml(path))
    film_layers = [_load_yaml(p) for p in _first_existing(f"films/{film}.yaml")]
    preset = next((layer["preset"] for layer in reversed(film_layers) if "preset" in layer), settings.get("preset"))
    if preset:
        preset_files = _first_existing(f"presets/{preset}.yaml")
        if not preset_files:
            raise CastforgeError(f"film '{film}': unknown preset '{preset}' (configs/presets/ has "
                                 f"{sorted(p.stem for d in config_dirs() for p in (d / 'presets').glob('*.yaml'))})")
        for path in preset_files:
            settings = deep_merge(settings, _load_yaml(path))
    for layer in film_layers:
        settings = deep_merge(settings, layer)
    settings["preset"] = preset
    return settings


def stage_params(film: str, stage: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The effective parameters of one stage: the film's settings for it, then non-None run overrides."""
    params = dict(film_settings(film).get(stage) or {})
    for key, value in (overrides or {}).items():
        if value is not None:
            params[key] = value
    return params
