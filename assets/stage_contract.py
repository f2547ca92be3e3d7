"""One contract per stage: what it reads, its parameters; everything else is derived from that declaration.

```python
CONTRACT = StageContract("face_embeddings", FaceParams, reads=("frames", "filtered_instances"))

@asset(**CONTRACT.asset_args(group_name="identities"))
def face_embeddings(context, config: CONTRACT.Config, storage: StorageResource, face_analyzer: FaceAnalyzerResource):
    with CONTRACT.open(context, storage, config) as stage:   # stage.settings: the FaceParams in effect
        ...
```
Derived: the Dagster ``deps`` (the assets that write the relations read, from resources/relations.py), the
launchpad ``Config`` (every declared parameter, optional, described by its comment), the code version (a hash of
the stage package's source), the input fingerprints (each read relation's writer fingerprint, the film's content
hash, the review revision) and the cache key, which also holds every backend resource the asset takes: its config
fields and, where it has one, its ``describe()`` (what it actually loaded).
"""

import dataclasses
import importlib
import pkgutil
import sys
import typing
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
from dagster import AssetExecutionContext, AssetKey, Config, ConfigurableResource

from resources.partitions import film_partitions
from resources.catalog import Catalog
from resources.errors import FilmNotFoundError
from resources.film_settings import Schema, parameters, preset_names, stage_params
from resources.lineage import StageRun, package_code_hash, record_failure, relation_fingerprint, upstream_fingerprint
from resources.relations import FILM_SOURCE, REVIEW, SIDECAR_SUBTITLES, writer_of
from resources.storage import FilmWorkspace

REVIEW_ASSET = "review_decisions"   # the observable source asset whose data version is the review revision
NOT_BACKENDS = frozenset({"storage"})
CONTRACTS: dict[str, "StageContract"] = {}


@dataclasses.dataclass(frozen=True)
class NoParams:
    """A stage without parameters."""


class StageContract:
    """``reads``: relations the stage needs (a missing one is an error naming its writer), ``FILM_SOURCE``
    (``"film"``: the ingested source's content hash), ``REVIEW`` (``"review"``: the film's review revision) and
    ``SIDECAR_SUBTITLES`` (the subtitle files beside the source, hashed).
    ``optional_reads``: relations it uses when present. ``params``: the parameter dataclass (one declaration per
    parameter: type, default, comment); it may define ``from_dict`` to build itself from plain values.
    ``per_shot_presets``: the stage gives each shot of a film that mixes styles its own preset's values, so with
    ``preset: auto`` every preset's values for the stage are in its cache key.
    ``extra_code``: the version of code outside the stage's package that decides its rows (the characters
    segmenter's modules under resources/backends/ for ``instances``); it joins the code version, so `castforge
    status` and a run of a later asset see the stage as stale when that code changes, as a run of the stage itself
    does through its described backends."""

    def __init__(self, asset: str, params: type = NoParams, reads: tuple[str, ...] = (),
                 optional_reads: tuple[str, ...] = (), package_dir: Path | None = None,
                 per_shot_presets: bool = False, extra_code: Callable[[], str] | None = None):
        self.asset = asset
        self.per_shot_presets = per_shot_presets  # applies each shot's preset in a film that mixes styles
        self.params = params
        self.reads = tuple(reads)
        self.optional_reads = tuple(optional_reads)
        caller = sys._getframe(1).f_globals.get("__file__")
        self.package_dir = Path(package_dir or Path(caller).parent).resolve()
        self.code_version = f"{asset}-{package_code_hash(self.package_dir)}" + (
            f"+{extra_code()}" if extra_code is not None else "")
        self.Config = config_class(asset, params)
        CONTRACTS[asset] = self

    # -- derived declarations ------------------------------------------------------------------------------------
    @property
    def upstream_assets(self) -> list[str]:
        names: list[str] = []
        for name in (*self.reads, *self.optional_reads):
            if name in (FILM_SOURCE, SIDECAR_SUBTITLES):
                continue
            writer = REVIEW_ASSET if name == REVIEW else writer_of(name)
            if writer != self.asset and writer not in names:
                names.append(writer)
        return names

    @property
    def deps(self) -> list[AssetKey]:
        return [AssetKey(name) for name in self.upstream_assets]

    def asset_args(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for ``@asset``: partitions, code version, deps, plus ``extra`` (group, kinds, pool)."""
        return {"partitions_def": film_partitions, "code_version": self.code_version, "deps": self.deps,
                "kinds": {"python"}, **extra}

    # -- a run ---------------------------------------------------------------------------------------------------
    def settings(self, film: str, overrides: dict[str, Any] | None = None) -> Any:
        """The parameter dataclass in effect for the film: declared defaults, YAML layers, then ``overrides``."""
        values = stage_params(film, self.asset, overrides)
        build = getattr(self.params, "from_dict", None)
        return build(values) if build else self.params(**values)

    def parameters_key(self, film: str, overrides: dict[str, Any] | None = None, settings: Any = None) -> dict[str, Any]:
        """The parameters part of the cache key: the values in effect and, for a stage that gives each shot of a
        ``preset: auto`` film its own preset (``per_shot_presets``), every preset's values for it."""
        settings = settings if settings is not None else self.settings(film, overrides)
        key = dataclasses.asdict(settings)
        if self.per_shot_presets and _configured_preset(film) == "auto":  # any shot may take any preset
            key["values_by_preset"] = {preset: stage_params(film, self.asset, overrides, preset=preset)
                                       for preset in preset_names()}
        return key

    def inputs(self, workspace: FilmWorkspace, catalog: Catalog) -> dict[str, str]:
        """What the stage reads, fingerprinted; raises MissingUpstreamError (naming the writer) for a missing read."""
        inputs: dict[str, str] = {}
        for name in self.reads:
            if name == FILM_SOURCE:
                record = catalog.film(workspace.film)
                if record is None:
                    raise FilmNotFoundError(workspace.film)
                inputs[name] = record["content_hash"]
            elif name == REVIEW:
                from resources import review_state

                inputs[name] = f"r{review_state.review_revision(catalog, workspace.film)}"
            elif name == SIDECAR_SUBTITLES:
                from resources.media import sidecar_fingerprint

                record = catalog.film(workspace.film)
                if record is None:
                    raise FilmNotFoundError(workspace.film)
                inputs[name] = sidecar_fingerprint(workspace.absolute(record["source_path"]))
            else:
                inputs[name] = upstream_fingerprint(workspace, name)
        for name in self.optional_reads:
            inputs[name] = relation_fingerprint(workspace, name)
        return inputs

    def open(self, context: AssetExecutionContext, storage: Any, config: Config | None = None,
             backends: dict[str, Any] | None = None) -> StageRun:
        """The StageRun of this asset for ``context``'s film; ``stage.settings`` is the parameter dataclass in
        effect. ``backends`` defaults to every resource the asset takes except ``storage``."""
        film, catalog = context.partition_key, storage.catalog()
        try:
            return self.stage_run(storage.workspace(film), catalog,
                                  config.model_dump() if config is not None else None,
                                  backends if backends is not None else asset_backends(context),
                                  run_id=context.run_id, logger=context.log)
        except Exception as error:  # failed before the stage started: `castforge status` shows it too
            record_failure(catalog, film, self.asset, context.run_id, error)
            raise

    def stage_run(self, workspace: FilmWorkspace, catalog: Catalog, overrides: dict[str, Any] | None,
                  backends: dict[str, Any], run_id: str | None = None, logger: Any = None) -> StageRun:
        """The StageRun whose fingerprint is this stage's cache key: asset, code version, effective parameters,
        described backends and the fingerprints of everything it reads."""
        settings = self.settings(workspace.film, overrides)
        key = {**self.parameters_key(workspace.film, overrides, settings), "backends": describe_backends(backends)}
        stage = StageRun(workspace, catalog, self.asset, self.code_version, key, self.inputs(workspace, catalog),
                         run_id=run_id, logger=logger)
        stage.settings = settings
        return stage


def _configured_preset(film: str) -> str | None:
    from resources.style import configured_preset  # lazy: resources.style imports OpenCV

    return configured_preset(film)


def asset_backends(context: AssetExecutionContext) -> dict[str, Any]:
    """The model backends the asset takes: its ConfigurableResource parameters other than ``storage``."""
    keys = sorted(context.assets_def.required_resource_keys - NOT_BACKENDS)
    resources = {key: getattr(context.resources, key) for key in keys}
    return {key: r for key, r in resources.items() if isinstance(r, ConfigurableResource)}


def describe_backends(backends: dict[str, Any]) -> dict[str, Any]:
    """Each backend resource's config fields and, where it reports one, what it actually loaded (``describe()``)."""
    described = {}
    for key, resource in sorted(backends.items()):
        if isinstance(resource, dict):  # already described by the asset (e.g. the backend it picked)
            described[key] = resource
            continue
        entry = resource.model_dump()
        if callable(getattr(resource, "describe", None)):
            entry = {**entry, **resource.describe()}
        described[key] = entry
    return described


def config_class(asset: str, params: type) -> type[Config]:
    """A Dagster Config with every declared parameter, optional (empty: the film's settings), described by its
    declaration's comment, so the launchpad and ``--set`` offer exactly the declared parameters."""
    fields = {name: (typing.Optional[p.type], pydantic.Field(default=None, description=(
        f"{p.comment} (default {p.default!r})" if p.comment else f"default {p.default!r}")))
        for name, p in parameters(params).items()}
    name = "".join(part.title() for part in asset.split("_")) + "Config"
    with warnings.catch_warnings():  # a parameter may be called `copy` (identities): it shadows nothing we call
        warnings.filterwarnings("ignore", message=r'Field name "\w+" in "\w+" shadows an attribute')
        model = pydantic.create_model(name, __base__=Config, **fields)
    model.__doc__ = (f"Parameters of {asset}; leave a field empty to use the film's settings (declared defaults, "
                     f"preset, configs/films/<film>.yaml).")
    return model


def load_contracts() -> dict[str, StageContract]:
    """Imports every stage package's ``assets`` module (each declares its contracts) and returns them all."""
    import assets

    for info in pkgutil.iter_modules(assets.__path__):
        if info.ispkg and importlib.util.find_spec(f"assets.{info.name}.assets") is not None:
            importlib.import_module(f"assets.{info.name}.assets")
    return dict(CONTRACTS)


def parameter_schema() -> Schema:
    return {asset: contract.params for asset, contract in load_contracts().items()}
