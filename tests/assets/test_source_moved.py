"""A film library moved or renamed: the film's source is gone from where the catalog names it. A stage that needs
it says so and what to do (`castforge ingest NEW_PATH`), and ingesting the same content from its new place points the
film there, its results kept: the stages made from it stay current. Before, the stage failed with "No such file or
directory" and ingesting the moved file said "nothing to do", so the film could never read its source again."""

import shutil

import pytest

from orchestration.cli import materialize_film
from resources.catalog import Catalog
from resources.errors import BadMediaError
from resources.ingest import ingest_source, source_file
from resources.storage import FilmWorkspace
from tests.conftest import build_film


def test_a_moved_film_is_found_again_by_ingesting_it_from_its_new_place(shared, castforge_home, tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    video = library / "clip.mp4"
    shutil.copy(shared / "media/video/pyscenedetect/testvideo.mp4", video)
    assert build_film(castforge_home, video, "tv", ["frames"]).success
    catalog = Catalog(castforge_home)
    moved = tmp_path / "films" / "Clip (2024).mp4"
    moved.parent.mkdir()
    video.rename(moved)

    with pytest.raises(BadMediaError, match=r"clip.mp4: is gone \(moved, renamed or deleted\?\); `castforge ingest "
                                            r"NEW_PATH` points film 'tv' at where it is now"):
        source_file(FilmWorkspace("tv", castforge_home), catalog.film("tv"))
    failed = materialize_film("tv", ["frames"], {"frames": {"frames_per_shot": 2}})  # new settings need the source
    assert not failed.success
    assert "is gone (moved, renamed or deleted?)" in catalog.last_materializations("tv").row(0, named=True)["error"]

    outcome = ingest_source(catalog, moved)
    assert outcome.film == "tv" and not outcome.created
    assert f"was read from {video}, which is gone: it is read from {moved} now" in outcome.message
    assert catalog.film("tv")["source_path"] == str(moved)
    assert materialize_film("tv", ["frames"]).success  # the earlier settings: its result stays current
    statuses = catalog.query("SELECT status FROM materializations WHERE film = 'tv' ORDER BY finished_at")["status"]
    assert statuses.to_list()[-1] == "cached"
    assert materialize_film("tv", ["frames"], {"frames": {"frames_per_shot": 2}}).success


def test_a_second_copy_leaves_the_film_where_it_is(shared, castforge_home, tmp_path):
    first, copy = tmp_path / "a.mp4", tmp_path / "b.mp4"
    shutil.copy(shared / "media/video/pyscenedetect/testvideo.mp4", first)
    shutil.copy(first, copy)
    catalog = Catalog(castforge_home)
    ingest_source(catalog, first)
    again = ingest_source(catalog, copy)
    assert again.film == "a" and "nothing to do" in again.message
    assert catalog.film("a")["source_path"] == str(first)
