"""A zip of images (a fan-art pack, a screenshot dump, a .cbz) is an image set (resources/archives.py): its images
unpacked once into the home, never a member outside the folder, a hidden file or a macOS fork; the same archive
again a no-op; a damaged or imageless archive refused by name. Before, `castforge ingest pack.zip` said it was not a
readable video or audio file, and the drop folder reported it as unknown. The images are the shared characters with
exact alpha."""

import zipfile
from pathlib import Path

import pytest

from resources.catalog import Catalog
from resources.errors import BadMediaError
from resources.ingest import ingest_source
from sensors.scan import classify

CHARACTERS = ("sita_front.png", "saha_front.png", "saha_side.png")


def _pack(shared: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in CHARACTERS:
            archive.write(shared / "media/characters_rgba" / name, f"Pack/{name}")
        archive.writestr("Pack/readme.txt", "not an image")
        archive.writestr("../outside.png", b"\x89PNG not ours")
        archive.writestr("/etc/absolute.png", b"\x89PNG not ours")
        archive.writestr("__MACOSX/Pack/._sita_front.png", b"a resource fork")
        archive.writestr("Pack/.hidden.png", b"hidden")
    return path


def test_a_zip_of_images_is_an_image_set_unpacked_safely(shared, castforge_home, tmp_path):
    archive = _pack(shared, tmp_path / "Fan Pack.zip")
    catalog = Catalog(castforge_home)
    outcome = ingest_source(catalog, archive)
    folder = castforge_home / "sources" / "fan_pack"
    assert outcome.film == "fan_pack" and outcome.created and "3 unpacked" in outcome.message
    row = catalog.film("fan_pack")
    assert row["kind"] == "images" and row["image_count"] == 3 and row["source_path"] == str(folder)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == \
        [f"Pack/{name}" for name in sorted(CHARACTERS)]
    assert not (tmp_path / "outside.png").exists() and not (castforge_home / "sources" / "outside.png").exists()
    assert (folder / "Pack/sita_front.png").read_bytes() == (shared / "media/characters_rgba/sita_front.png").read_bytes()
    again = ingest_source(catalog, archive)
    assert again.film == "fan_pack" and not again.created and "nothing to do" in again.message
    assert classify(archive) == "film" and classify(tmp_path / "comic.cbz") == "film"


def test_a_damaged_or_imageless_archive_is_refused_by_name(shared, castforge_home, tmp_path):
    whole = _pack(shared, tmp_path / "whole.zip").read_bytes()
    (tmp_path / "half.zip").write_bytes(whole[:len(whole) // 2])
    catalog = Catalog(castforge_home)
    with pytest.raises(BadMediaError, match="half.zip: is not a readable zip archive"):
        ingest_source(catalog, tmp_path / "half.zip")
    with zipfile.ZipFile(tmp_path / "notes.zip", "w") as archive:
        archive.writestr("notes.txt", "no pictures")
    with pytest.raises(BadMediaError, match="notes.zip: holds no images"):
        ingest_source(catalog, tmp_path / "notes.zip")
    assert catalog.films().height == 0 and not list((castforge_home / "sources").glob("*"))
