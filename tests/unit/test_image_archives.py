"""An archive of images (a fan-art pack, a screenshot dump, a comic) is an image set (resources/archives.py): its
images unpacked once into the home, never a member outside the folder, a link, a hidden file or a macOS fork; the
same archive again a no-op; a damaged, half-copied, encrypted, multi-volume or imageless archive refused by name.
Zip since session 42; 7-Zip, RAR and tar since session 43 (before: "not a readable video or audio file", and the
drop folder reported them as unknown). The images are the shared characters with exact alpha."""

import zipfile
from pathlib import Path

import pytest

from resources.catalog import Catalog
from resources.errors import BadMediaError
from resources.ingest import ingest_source
from sensors.scan import classify
from tests.made_archives import write_libarchive, write_rar5

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


def _members(shared: Path) -> list[tuple[str, bytes]]:
    """The zip pack's members, for the other formats."""
    images = [(f"Pack/{name}", (shared / "media/characters_rgba" / name).read_bytes()) for name in CHARACTERS]
    return images + [("Pack/readme.txt", b"not an image"), ("../outside.png", b"\x89PNG not ours"),
                     ("/etc/absolute.png", b"\x89PNG not ours"), ("__MACOSX/Pack/._sita_front.png", b"a fork"),
                     ("Pack/.hidden.png", b"hidden")]


FORMATS = {  # archive name -> how the test writes it
    "Fan Pack.7z": lambda path, members: write_libarchive(path, members, "7zip"),
    "Fan Pack.cb7": lambda path, members: write_libarchive(path, members, "7zip"),
    "Fan Pack.rar": write_rar5,
    "Fan Pack.cbr": write_rar5,
    "Fan Pack.tar": lambda path, members: write_libarchive(path, members, "gnutar"),
    "Fan Pack.tar.gz": lambda path, members: write_libarchive(path, members, "gnutar", "gzip"),
    "Fan Pack.tar.xz": lambda path, members: write_libarchive(path, members, "gnutar", "xz"),
    "Fan Pack.cbt": lambda path, members: write_libarchive(path, members, "gnutar"),
}


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


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_7zip_rar_and_tar_archives_of_images_are_image_sets(shared, castforge_home, tmp_path, name):
    archive = FORMATS[name](tmp_path / name, _members(shared))
    catalog = Catalog(castforge_home)
    outcome = ingest_source(catalog, archive)
    folder = castforge_home / "sources" / "fan_pack"
    assert outcome.film == "fan_pack" and outcome.created and "3 unpacked" in outcome.message, outcome.message
    row = catalog.film("fan_pack")
    assert row["kind"] == "images" and row["image_count"] == 3 and row["source_path"] == str(folder)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == \
        [f"Pack/{image}" for image in sorted(CHARACTERS)]
    for image in CHARACTERS:
        assert (folder / "Pack" / image).read_bytes() == (shared / "media/characters_rgba" / image).read_bytes()
    assert not (tmp_path / "outside.png").exists() and not (castforge_home / "sources" / "outside.png").exists()
    assert not ingest_source(catalog, archive).created
    assert classify(archive) == "film"


def test_links_in_a_tar_are_not_followed(shared, castforge_home, tmp_path):
    import libarchive

    outside = tmp_path / "secret.png"
    outside.write_bytes((shared / "media/characters_rgba/sita_front.png").read_bytes())
    (tmp_path / "Pack").mkdir()
    (tmp_path / "Pack" / "link.png").symlink_to(outside)
    (tmp_path / "Pack" / "saha.png").write_bytes((shared / "media/characters_rgba/saha_front.png").read_bytes())
    with libarchive.file_writer(str(tmp_path / "links.tar"), "gnutar") as writer:
        writer.add_files(str(tmp_path / "Pack"))
    outcome = ingest_source(Catalog(castforge_home), tmp_path / "links.tar")
    folder = castforge_home / "sources" / "links"
    assert "1 unpacked" in outcome.message
    assert [p.name for p in folder.rglob("*") if p.is_file() or p.is_symlink()] == ["saha.png"]


def test_a_damaged_encrypted_or_split_archive_of_another_format_is_refused_by_name(shared, castforge_home,
                                                                                    tmp_path):
    catalog = Catalog(castforge_home)
    whole = write_libarchive(tmp_path / "whole.7z", _members(shared), "7zip").read_bytes()
    (tmp_path / "half.7z").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(BadMediaError, match="half.7z: is not a readable 7-Zip archive"):
        ingest_source(catalog, tmp_path / "half.7z")
    whole = write_rar5(tmp_path / "whole.rar", _members(shared)).read_bytes()
    (tmp_path / "half.rar").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(BadMediaError, match="half.rar: is damaged or half-copied: its member Pack/"):
        ingest_source(catalog, tmp_path / "half.rar")
    (tmp_path / "notes.tar.gz").write_bytes(b"")
    write_libarchive(tmp_path / "notes.tar.gz", [("notes.txt", b"no pictures")], "gnutar", "gzip")
    with pytest.raises(BadMediaError, match="notes.tar.gz: holds no images"):
        ingest_source(catalog, tmp_path / "notes.tar.gz")
    write_rar5(tmp_path / "Pack.part2.rar", _members(shared))
    with pytest.raises(BadMediaError, match="Pack.part2.rar: is one volume of a multi-volume archive"):
        ingest_source(catalog, tmp_path / "Pack.part2.rar")
    assert catalog.films().height == 0 and not list((castforge_home / "sources").glob("*"))


def test_an_encrypted_zip_is_refused_saying_so(shared, castforge_home, tmp_path):
    import libarchive

    image = (shared / "media/characters_rgba/sita_front.png").read_bytes()
    with libarchive.file_writer(str(tmp_path / "locked.zip"), "zip",
                                options="encryption=zipcrypt", passphrase="castforge") as writer:
        writer.add_file_from_memory("Pack/sita_front.png", len(image), image)
    with pytest.raises(BadMediaError, match="locked.zip: is encrypted .* needs a password"):
        ingest_source(Catalog(castforge_home), tmp_path / "locked.zip")
