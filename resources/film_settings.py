"""A film's effective settings: parameter defaults, then its preset, then its speed, then configs/films/<film>.yaml,
then run overrides.

Each parameter is declared once, in its stage's parameter dataclass (name, type, default and comment; see
assets/stage_contract.py). YAML layers hold only deliberate departures, in sections named after assets
(``identity_clusters: {min_cluster_size: 25}``); the older stage-section names (``identities``, ``faces``, ``pose``,
``datasets``, and ``instances`` for filtered_instances' thresholds) are read as aliases. An unknown section or key,
or a value of the wrong type, in any layer is a ``ConfigError`` naming the file, section and key, the valid keys and
the closest match.
"""

import copy
import dataclasses
import functools
import typing
from pathlib import Path
from types import NoneType, UnionType
from typing import Any

import pydantic
import yaml

from resources.errors import ConfigError, did_you_mean
from resources.paths import config_dirs

# old section name -> asset name (sections used to be named after stages, `--set` after assets)
ALIASES = {"faces": "face_embeddings", "identities": "identity_clusters", "pose": "pose_subclusters",
           "datasets": "character_datasets"}
# the old `instances:` section also held the thresholds of filtered_instances: its keys go to whichever declares them
SHARED_SECTIONS = {"instances": ("instances", "filtered_instances")}
TOP_LEVEL_KEYS = ("preset", "speed")

Schema = dict[str, type]  # asset name -> its parameter dataclass


def yaml_type(hint: Any) -> Any:
    """The type a parameter has in YAML and in Dagster config: tuples are lists, a tuple of pairs is a mapping."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (UnionType, typing.Union):
        return typing.Union[tuple(yaml_type(a) for a in args)]  # noqa: UP007 (built from a runtime tuple)
    if origin is tuple:
        items = [a for a in args if a is not Ellipsis]
        if len(items) == 1 and typing.get_origin(items[0]) is tuple and len(typing.get_args(items[0])) == 2:
            key, value = typing.get_args(items[0])
            return dict[yaml_type(key), yaml_type(value)]
        return list[yaml_type(items[0])] if items and len(set(items)) == 1 else list
    return hint


@dataclasses.dataclass(frozen=True)
class Parameter:
    name: str
    type: Any          # as in YAML / Dagster config
    default: Any
    comment: str


@functools.cache
def parameters(params_class: type) -> dict[str, Parameter]:
    """The declared parameters of a stage: its dataclass fields, their YAML types, defaults and trailing comments."""
    hints = typing.get_type_hints(params_class)
    comments = _field_comments(params_class)
    declared = {}
    for field in dataclasses.fields(params_class):
        default = field.default if field.default is not dataclasses.MISSING else (
            field.default_factory() if field.default_factory is not dataclasses.MISSING else None)
        declared[field.name] = Parameter(field.name, yaml_type(hints[field.name]), default,
                                         comments.get(field.name, ""))
    return declared


def _field_comments(params_class: type) -> dict[str, str]:
    """Each field's comment: ``name: type = default  # comment`` (continued on following comment-only lines), or
    the comment-only lines right above the field when it has no trailing one."""
    import inspect

    try:
        lines = inspect.getsource(params_class).splitlines()
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    last, above = None, []
    for line in lines[1:]:
        code, _, comment = line.partition("#")
        name = code.strip().split(":")[0].strip() if ":" in code and "=" in code else ""
        if name.isidentifier():
            last = name
            text = comment.strip() or " ".join(above)
            if text:
                comments[name] = text
            above = []
        elif not code.strip() and comment.strip():
            if last in comments and not above and comments[last] and line.index("#") > 8:
                comments[last] += " " + comment.strip()   # an indented continuation of the trailing comment
            else:
                above.append(comment.strip())
                last = None
        else:
            last, above = None, []
    return comments


def _load_yaml(path: Path) -> dict[str, Any]:
    stat = path.stat()  # parsed once per version of the file: every stage of every run reads these layers
    return copy.deepcopy(_parse_yaml(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _parse_yaml(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _close(word: str, choices: list[str]) -> str:
    hint = did_you_mean(word, choices, n=1)
    return f" ({hint[2:]})" if hint else ""


def validate_value(source: str, section: str, key: str, value: Any, parameter: Parameter) -> Any:
    """The value as its declared type, or a one-line ConfigError naming where it came from."""
    if value is None:
        return None
    try:
        return pydantic.TypeAdapter(parameter.type).validate_python(value)
    except pydantic.ValidationError as error:
        reason = error.errors()[0]["msg"]
        raise ConfigError(f"{source}: {section}.{key}={value!r}: {reason} (expected {_type_name(parameter.type)}, "
                          f"default {parameter.default!r})") from None


def _type_name(hint: Any) -> str:
    args = [a for a in typing.get_args(hint) if a is not NoneType]
    if typing.get_origin(hint) in (UnionType, typing.Union) and len(args) == 1:
        return f"{_type_name(args[0])} or null"
    return getattr(hint, "__name__", str(hint)) if not typing.get_args(hint) else str(hint)


def normalise(data: dict[str, Any], schema: Schema, source: str, top_level: bool = True) -> dict[str, dict[str, Any]]:
    """One layer's sections keyed by asset name, every key and value checked against the declared parameters.

    ``source`` names the file (or ``--set``) in errors."""
    sections: dict[str, dict[str, Any]] = {}
    for section, values in data.items():
        if top_level and section in TOP_LEVEL_KEYS:
            sections[section] = values
            continue
        targets = SHARED_SECTIONS.get(section, (ALIASES.get(section, section),))
        targets = tuple(t for t in targets if t in schema)
        if not targets:
            valid = sorted(schema) + [a for a in ALIASES if ALIASES[a] in schema]
            raise ConfigError(f"{source}: unknown section '{section}'{_close(section, valid)}; sections are asset "
                              f"names: {', '.join(sorted(schema))}")
        if values is None:
            continue
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: section '{section}' must be a mapping of parameter: value")
        for key, value in values.items():
            target = next((t for t in targets if key in parameters(schema[t])), None)
            if target is None:
                valid = sorted({k for t in targets for k in parameters(schema[t])})
                raise ConfigError(f"{source}: {section}: unknown key '{key}'{_close(str(key), valid)}; valid keys: "
                                  f"{', '.join(valid) or '(this asset takes no parameters)'}")
            sections.setdefault(target, {})[key] = validate_value(source, section, key, value,
                                                                  parameters(schema[target])[key])
    return sections


def _first_existing(relative: str) -> list[Path]:
    return [d / relative for d in config_dirs() if (d / relative).exists()]


def _merge(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for section, values in layer.items():
        if isinstance(values, dict):
            merged.setdefault(section, {}).update(values)
        else:
            merged[section] = values
    return merged


def preset_names() -> list[str]:
    return layer_names("presets")


def layer_names(folder: str) -> list[str]:
    """The named layers of configs/<folder>/ (presets, speeds), shipped or the user's."""
    return sorted({p.stem for d in config_dirs() for p in (d / folder).glob("*.yaml")})


def _named_layer(settings: dict[str, Any], film: str, kind: str, name: str, schema: Schema) -> dict[str, Any]:
    """``settings`` with configs/<kind>s/<name>.yaml (a preset or a speed) merged over them."""
    paths = _first_existing(f"{kind}s/{name}.yaml")
    if not paths:
        names = layer_names(f"{kind}s")
        raise ConfigError(f"film '{film}': unknown {kind} '{name}'{_close(str(name), names)} "
                          f"(configs/{kind}s/ has {', '.join(names)})")
    for path in paths:
        settings = _merge(settings, normalise(_load_yaml(path), schema, str(path), top_level=False))
    return settings


def film_settings(film: str, schema: Schema | None = None, preset: str | None = None) -> dict[str, Any]:
    """Every stage's departures from its declared defaults for this film (asset-keyed sections), its ``preset`` and
    its ``speed`` (configs/speeds/<speed>.yaml, applied after the preset: a throughput trade the film's own values
    still override). ``preset``: this preset in place of the film's (the shots of the other style in a film that
    mixes styles)."""
    schema = schema if schema is not None else default_schema()
    settings: dict[str, Any] = {}
    for path in _first_existing("defaults.yaml"):
        settings = _merge(settings, normalise(_load_yaml(path), schema, str(path)))
    film_layers = [normalise(_load_yaml(p), schema, str(p)) for p in _first_existing(f"films/{film}.yaml")]
    preset = preset or next((layer["preset"] for layer in reversed(film_layers) if "preset" in layer),
                            settings.get("preset"))
    if preset == "auto":  # measured once from the film's frames, recorded with its reason in films/<film>/style.json
        from resources.style import auto_preset

        preset = auto_preset(film)
    if preset:
        settings = _named_layer(settings, film, "preset", preset, schema)
    speed = next((layer["speed"] for layer in reversed(film_layers) if "speed" in layer), settings.get("speed"))
    if speed:
        settings = _named_layer(settings, film, "speed", speed, schema)
    for layer in film_layers:
        settings = _merge(settings, layer)
    settings["preset"], settings["speed"] = preset, speed
    return settings


def stage_params(film: str, asset: str, overrides: dict[str, Any] | None = None,
                 schema: Schema | None = None, preset: str | None = None) -> dict[str, Any]:
    """The effective parameters of one asset: declared defaults, the film's settings (with ``preset`` in place of
    the film's, when given), then non-None overrides."""
    schema = schema if schema is not None else default_schema()
    asset = ALIASES.get(asset, asset)
    if asset not in schema:
        return dict(film_settings(film, schema, preset).get(asset) or {})
    params = {name: p.default for name, p in parameters(schema[asset]).items()}
    params.update(film_settings(film, schema, preset).get(asset) or {})
    checked = normalise({asset: {k: v for k, v in (overrides or {}).items() if v is not None}}, schema,
                        "run config", top_level=False)
    params.update(checked.get(asset, {}))
    return params


def default_schema() -> Schema:
    """Every declared stage's parameter dataclass (imports the stage packages' contracts; no model library)."""
    from assets.stage_contract import parameter_schema

    return parameter_schema()
