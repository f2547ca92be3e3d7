"""The content-addressed result cache (resources/backends/result_cache.py): keys, atomic writes from several
processes, and entries that cannot be read or written."""

import json
import multiprocessing
from pathlib import Path

import pytest

from resources.backends.result_cache import ResultCache, content_key


def test_the_key_changes_with_the_version_and_with_every_byte_and_boundary():
    key = content_key("v1", b"ab", b"c")
    assert key == content_key("v1", b"ab", b"c") and len(key) == 40
    assert len({key, content_key("v2", b"ab", b"c"), content_key("v1", b"a", b"bc"), content_key("v1", b"ab", b"d")}) == 4


def _fill(folder: str, key: str, n: int) -> None:
    cache = ResultCache(Path(folder))
    for i in range(200):
        cache.put(key, {"writer": n, "faces": list(range(50)), "i": i})


def test_two_processes_writing_one_key_leave_a_whole_entry_and_no_temporary_files(tmp_path):
    key = content_key("v", b"frame")
    writers = [multiprocessing.get_context("spawn").Process(target=_fill, args=(str(tmp_path), key, n))
               for n in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    assert [w.exitcode for w in writers] == [0, 0]
    value = ResultCache(tmp_path).get(key)
    assert value["faces"] == list(range(50)) and value["writer"] in (0, 1)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.json"]


@pytest.mark.parametrize("content", ["{trunc", "[1, 2]", ""])
def test_an_unreadable_entry_reads_as_missing_and_is_replaced(tmp_path, content, caplog):
    cache = ResultCache(tmp_path)
    key = content_key("v", b"x")
    cache.path(key).parent.mkdir(parents=True)
    cache.path(key).write_text(content)
    assert cache.get(key) is None
    cache.put(key, {"faces": []})
    assert cache.get(key) == {"faces": []}
    assert json.loads(cache.path(key).read_text()) == {"faces": []}


def test_a_cache_that_cannot_be_written_is_logged_not_fatal(tmp_path, caplog):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    cache = ResultCache(blocker)
    cache.put("ab12", {"faces": []})
    assert "cannot write" in caplog.text and cache.get("ab12") is None
