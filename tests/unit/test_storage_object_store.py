"""CASTFORGE_ARTEFACTS settings (the transfers against an S3 server are in tests/cluster/test_object_store.py)."""

import importlib.util

import polars as pl
import pytest

from resources import object_store
from resources.errors import CastforgeError
from resources.storage import FilmWorkspace


def test_without_the_setting_a_workspace_is_local_folders_only(tmp_path, monkeypatch):
    monkeypatch.delenv(object_store.SETTING, raising=False)
    workspace = FilmWorkspace("film", tmp_path)
    assert workspace.mirror is None
    workspace.write_table("frames", pl.DataFrame({"frame_id": ["a"]}))
    assert workspace.read_table("frames")["film"].to_list() == ["film"]
    assert workspace.absolute("films/film/frames/x.jpg") == tmp_path / "films/film/frames/x.jpg"


@pytest.mark.parametrize("url", ["gs://bucket/x", "s3://", "/mnt/share", "s3:bucket"])
def test_only_s3_urls_are_taken(tmp_path, url):
    with pytest.raises(CastforgeError, match="CASTFORGE_ARTEFACTS=.*use s3://bucket/prefix"):
        object_store.ArtefactMirror(url, tmp_path)


@pytest.mark.skipif(importlib.util.find_spec("s3fs") is not None, reason="s3fs is installed here")
def test_without_s3fs_the_error_names_the_environment_that_has_it(tmp_path):
    with pytest.raises(CastforgeError, match=r"needs s3fs: run from \.venv-cluster"):
        object_store.artefact_mirror(tmp_path, "s3://bucket/prefix")


def test_s3_options_follow_the_aws_environment(monkeypatch):
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert object_store.s3_options() == {}
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert object_store.s3_options() == {"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000",
                                                           "region_name": "eu-west-1"}}
