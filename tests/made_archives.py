"""Archives made by the tests: 7-Zip and tar through libarchive's writers, and RAR5, which no tool here writes,
by the format's published layout (rarlab.com/technote.htm: the signature, a main archive header, one file header per
member with its data stored, an end of archive header; each header with its CRC32). Stored members only: enough for
a reader to list and unpack them, which is what castforge does with an archive."""

import struct
import zlib
from pathlib import Path

RAR5_SIGNATURE = b"Rar!\x1a\x07\x01\x00"


def vint(number: int) -> bytes:
    """RAR5's variable-length integer: 7 bits a byte, lowest first, the high bit set on all but the last."""
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _rar5_header(kind: int, body: bytes, data_size: int | None = None) -> bytes:
    fields = vint(kind) + vint(0x0002 if data_size is not None else 0)  # header flags: a data area follows
    fields += (vint(data_size) if data_size is not None else b"") + body
    sized = vint(len(fields)) + fields
    return struct.pack("<I", zlib.crc32(sized)) + sized


def write_rar5(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """A RAR5 archive of ``members`` (name, bytes), each stored uncompressed with its CRC32."""
    out = bytearray(RAR5_SIGNATURE)
    out += _rar5_header(1, vint(0))  # main archive header: no volume, not solid
    for name, data in members:
        encoded = name.encode()
        # file flags 0x0004 (CRC32 present), unpacked size, attributes (a unix 0644 file), CRC32, compression 0
        # (version 0, method 0: stored), host OS 1 (unix), the name
        body = (vint(0x0004) + vint(len(data)) + vint(0o100644) + struct.pack("<I", zlib.crc32(data)) + vint(0)
                + vint(1) + vint(len(encoded)) + encoded)
        out += _rar5_header(2, body, len(data)) + data
    out += _rar5_header(5, vint(0))  # end of archive
    path.write_bytes(bytes(out))
    return path


def write_libarchive(path: Path, members: list[tuple[str, bytes]], archive_format: str,
                     compression: str | None = None) -> Path:
    """An archive of ``members`` in libarchive's ``archive_format`` ("7zip", "gnutar", ...)."""
    import libarchive

    with libarchive.file_writer(str(path), archive_format, compression) as archive:
        for name, data in members:
            archive.add_file_from_memory(name, len(data), data)
    return path
