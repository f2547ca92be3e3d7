"""Cache keys: every declared read, every parameter and every backend resource field changes a stage's key; the
advice for a missing table names the asset that writes it."""

import dataclasses
import shutil
import typing
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from assets.stage_contract import describe_backends, load_contracts
from resources.catalog import Catalog
from resources.errors import MissingUpstreamError
from resources.relations import FILM_SOURCE, RELATIONS, REVIEW, SIDECAR_SUBTITLES, writer_of
from resources.storage import FilmWorkspace

CONTRACTS = load_contracts()
NO_OTHER = object()  # a Literal with a single choice cannot change


@pytest.fixture(scope="module")
def film_home(tmp_path_factory) -> Path:
    """Film `f` with every registered relation on disk and a stage record per writer; built once, copied per test."""
    home = tmp_path_factory.mktemp("film") / "home"
    catalog = Catalog(home)
    catalog.insert_rows("films", [{"film": "f", "source_path": "f.mp4", "content_hash": "content-1", "kind": "video",
                                   "ingested_at": datetime(2026, 11, 30)}])
    workspace = FilmWorkspace("f", home)
    for relation in RELATIONS.values():
        workspace.write_table(relation.name, pl.DataFrame({c: [] for c in relation.columns}))
        workspace.write_stage_record(relation.writer, {"fingerprint": f"{relation.writer}-1"})
    return home


@pytest.fixture
def film(film_home: Path, castforge_home: Path) -> tuple[FilmWorkspace, Catalog]:
    shutil.copytree(film_home, castforge_home, dirs_exist_ok=True)
    return FilmWorkspace("f", castforge_home), Catalog(castforge_home)


def _key(contract, workspace, catalog, overrides=None, backends=None) -> str:
    return contract.stage_run(workspace, catalog, overrides, backends or {}).fingerprint


@pytest.mark.parametrize("asset", sorted(CONTRACTS))
def test_every_declared_read_changes_the_key(film, asset):
    from resources import review_state

    workspace, catalog = film
    contract = CONTRACTS[asset]
    assert contract.reads or contract.optional_reads, f"{asset} declares no input"
    before = _key(contract, workspace, catalog)
    for n, name in enumerate((*contract.reads, *contract.optional_reads)):
        if name == FILM_SOURCE:
            catalog.execute("UPDATE films SET content_hash = ? WHERE film = 'f'", [f"content-{n + 2}"])
        elif name == REVIEW:
            review_state.record_decision(catalog, "f", "discard", "instance-1", True)
        elif name == SIDECAR_SUBTITLES:  # a subtitle file put beside the film's source
            source = workspace.absolute(catalog.film("f")["source_path"])
            source.write_bytes(b"not read")
            source.with_name(f"{source.stem}.en.srt").write_text(f"1\n00:00:01,000 --> 00:00:02,000\nline {n}\n")
        else:
            workspace.write_stage_record(writer_of(name), {"fingerprint": f"{writer_of(name)}-{n + 2}"})
        after = _key(contract, workspace, catalog)
        assert after != before, f"{asset}: a new {name} left the cache key unchanged"
        before = after


def _other(value: typing.Any, hint: typing.Any) -> typing.Any:
    """A valid value of ``hint`` different from ``value``."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Literal:
        return next((a for a in args if a != value), NO_OTHER)
    if args and typing.get_origin(hint) in (typing.Union, getattr(__import__("types"), "UnionType")):
        return _other(value, args[0]) if value is not None else _other(None, args[0])
    if hint is bool:
        return not value
    if hint in (int, float):
        return (value or 0) + 3
    if hint is str:
        return f"{value or ''}-other"
    if typing.get_origin(hint) is list or hint is list:
        item = (typing.get_args(hint) or (str,))[0]
        value = list(value or [])
        return [_other(value[0], item), *value[1:]] if value else [_other(None, item)]
    if typing.get_origin(hint) is dict:
        return {**dict(value or {}), "other": 3}
    raise AssertionError(f"no other value for {hint}")


def test_every_parameter_changes_the_key(film, monkeypatch):
    workspace, catalog = film
    from resources.film_settings import parameters

    checked = 0
    for asset, contract in CONTRACTS.items():
        inputs = contract.inputs(workspace, catalog)  # unchanged here: read the catalog once per stage
        monkeypatch.setattr(contract, "inputs", lambda *_, fixed=inputs: fixed)
        before = _key(contract, workspace, catalog)
        for name, parameter in parameters(contract.params).items():
            default = getattr(contract.settings("f"), name)
            try:
                changed = _other(default, parameter.type)
                key = _key(contract, workspace, catalog, {name: changed})
            except (ValueError, TypeError):
                continue  # a value the stage's own validation refuses (e.g. an unknown mode): not a key question
            assert key != before, f"{asset}.{name}={changed!r} left the cache key unchanged"
            checked += 1
    assert checked > 60


def test_every_backend_resource_field_changes_the_key(film, monkeypatch):
    from orchestration.definitions import build_definitions

    defs = build_definitions("local")
    resources = defs.resources
    seen = set()
    for definition in defs.assets:
        name = definition.key.to_user_string() if len(getattr(definition, "keys", ())) == 1 else None
        if name not in CONTRACTS:
            continue
        for key in sorted(definition.required_resource_keys - {"storage", "io_manager"}):
            resource = resources[key]
            if key in seen or not hasattr(resource, "model_dump"):
                continue
            seen.add(key)
            if callable(getattr(resource, "describe", None)):  # describe() would load the model: fields only here
                monkeypatch.setattr(type(resource), "describe", lambda self: {"loaded": "the same"})
            base = describe_backends({key: resource})
            hints = typing.get_type_hints(type(resource))
            for field, value in resource.model_dump().items():
                other = _other(value, hints[field])
                if other is NO_OTHER:
                    continue
                changed = type(resource)(**{**resource.model_dump(), field: other})
                assert describe_backends({key: changed}) != base, f"{key}.{field} is not in the cache key"
    assert {"segmenter", "face_analyzer", "image_embedder", "diarizer"} <= seen


def test_identity_clusters_and_face_embeddings_key_their_backends():
    from orchestration.definitions import build_definitions

    defs = build_definitions("local")
    by_name = {d.key.to_user_string(): d for d in defs.assets if len(getattr(d, "keys", ())) == 1}
    assert "image_embedder" in by_name["identity_clusters"].required_resource_keys
    assert "face_analyzer" in by_name["face_embeddings"].required_resource_keys
    fields = set(dataclasses.fields(CONTRACTS["face_embeddings"].params))
    assert fields  # face parameters are keyed as well (tested above)


def test_a_changed_package_source_changes_the_code_version(tmp_path):
    from resources.lineage import package_code_hash

    (tmp_path / "core.py").write_text("x = 1\n")
    before = package_code_hash(tmp_path)
    package_code_hash.cache_clear()
    (tmp_path / "core.py").write_text("x = 2\n")
    assert package_code_hash(tmp_path) != before


@pytest.mark.parametrize("relation", ["faces", "identities", "instance_identities", "speech_segments", "shots"])
def test_a_missing_table_names_the_asset_that_writes_it(castforge_home, relation):
    from resources.lineage import upstream_fingerprint

    with pytest.raises(MissingUpstreamError) as error:
        upstream_fingerprint(FilmWorkspace("f", castforge_home), relation)
    writer = RELATIONS[relation].writer
    assert f"--select {writer}`" in str(error.value) and writer != relation


def test_a_mixed_films_filter_is_keyed_by_every_presets_values(film):
    """With ``preset: auto`` a shot of either style takes its preset's values in filtered_instances, so editing the
    preset the film was not measured as still changes its key; a film with an explicit preset ignores the others."""
    from resources.film_settings import film_settings

    workspace, catalog = film
    contract = CONTRACTS["filtered_instances"]
    configs = Path(workspace.home) / "configs"
    (configs / "films").mkdir(parents=True)
    (configs / "presets").mkdir()
    (configs / "films" / "f.yaml").write_text("preset: auto\n")
    other = "anime" if film_settings("f")["preset"] == "3d" else "3d"
    before = _key(contract, workspace, catalog)
    (configs / "presets" / f"{other}.yaml").write_text("filtered_instances:\n  min_blur: 123\n")
    assert _key(contract, workspace, catalog) != before, f"editing the {other} preset left a mixed film's key"
    (configs / "films" / "f.yaml").write_text(f"preset: {'3d' if other == 'anime' else 'anime'}\n")
    explicit = _key(contract, workspace, catalog)
    (configs / "presets" / f"{other}.yaml").write_text("filtered_instances:\n  min_blur: 140\n")
    assert _key(contract, workspace, catalog) == explicit
