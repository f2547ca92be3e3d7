"""A full disk said as such: the errors libraries raise on one are recognised, an image write that fails says
why instead of returning False, and the free-space floor is read from the environment."""

import errno
import os

import numpy as np
import polars as pl
import pytest

from resources.disk_space import is_disk_full, min_free_bytes, shown_bytes, write_image
from resources.errors import ConfigError

FULL_DEVICE = "/dev/full"   # every write to it fails with ENOSPC, as on a full disk


@pytest.mark.skipif(not os.path.exists(FULL_DEVICE), reason="no /dev/full on this system")
def test_the_errors_a_full_disk_raises_are_recognised():
    with pytest.raises(Exception) as parquet:   # polars reports the OS error in its own ComputeError's text
        pl.DataFrame({"a": np.arange(100_000)}).write_parquet(FULL_DEVICE)
    assert not isinstance(parquet.value, OSError) and is_disk_full(parquet.value)
    with pytest.raises(OSError) as plain, open(FULL_DEVICE, "wb") as sink:
        sink.write(b"x" * 100_000)
        sink.flush()
    assert is_disk_full(plain.value)
    try:   # a library's own error raised while handling one: the chain is read
        try:
            raise plain.value
        except OSError as cause:
            raise RuntimeError("could not save the stems") from cause
    except RuntimeError as wrapped:
        assert is_disk_full(wrapped)
    assert not is_disk_full(ValueError("no faces"))
    assert not is_disk_full(OSError(errno.ENOENT, "missing", "x.png"))


def test_an_image_that_cannot_be_written_raises_with_the_reason(tmp_path):
    target = tmp_path / "not_made" / "crop.jpg"
    with pytest.raises(OSError) as missing_folder:   # cv2.imwrite alone returns False and writes nothing
        write_image(target, np.zeros((8, 8, 3), np.uint8))
    assert missing_folder.value.errno == errno.ENOENT and missing_folder.value.filename == str(target)
    write_image(tmp_path / "crop.jpg", np.zeros((8, 8, 3), np.uint8))
    assert (tmp_path / "crop.jpg").stat().st_size > 0


def test_the_free_space_floor_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("CASTFORGE_MIN_FREE_MB", raising=False)
    assert min_free_bytes() == 200 << 20
    monkeypatch.setenv("CASTFORGE_MIN_FREE_MB", "0")
    assert min_free_bytes() == 0
    monkeypatch.setenv("CASTFORGE_MIN_FREE_MB", "lots")
    with pytest.raises(ConfigError, match="CASTFORGE_MIN_FREE_MB='lots'"):
        min_free_bytes()
    assert shown_bytes(1536 << 10) == "1.5 MB" and shown_bytes(None) == "unknown space"
