"""Artists' layered documents in an image set (resources/layered_images.py): Photoshop files as Photoshop writes
them with and without their flattened copy, as other applications write them, Krita and OpenRaster documents, each
read by the frames stage as the picture the artist sees, its transparency kept as the cut-out; cut or incomplete
documents reported by name while the rest of the folder is read. The documents are written here (psd-tools, zip)
from a shared character with exact alpha and a crop of the shared anime face grid."""

import io
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from assets.frames.core import FrameParams, extract_image_frames
from assets.instances.image_alpha import read_frame_alpha
from resources.media import probe

CHARACTER = "media/characters_rgba/sita_front.png"
GRID = "media/faces/anime_face_grid.jpg"
MARGIN = (50, 30)  # the character's place on the documents' larger canvas (left, top)


def _layered_psd(character: Image.Image):
    """A one-layer document written by psd-tools: its flattened copy has no transparency of its own (the layer
    count is stored positive), as applications other than Photoshop write it."""
    from psd_tools import PSDImage

    document = PSDImage.new("RGBA", (character.width + 2 * MARGIN[0], character.height + 2 * MARGIN[1]))
    document.create_pixel_layer(character, name="Sita", left=MARGIN[0], top=MARGIN[1])
    written = io.BytesIO()
    document.save(written)
    return PSDImage.open(io.BytesIO(written.getvalue()))


def _store_flattened_copy(document, colour: np.ndarray, alpha: np.ndarray) -> None:
    from psd_tools.api.numpy_io import encode_image_data

    document._record.image_data.set_data(encode_image_data(document, colour, alpha), document._record.header)


def _write_record(document, path: Path) -> None:
    with open(path, "wb") as handle:
        document._record.write(handle)


def _zipped_document(path: Path, mimetype: str, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as document:  # the mimetype first and stored, as both formats require
        document.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            document.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)


def _png(image: Image.Image) -> bytes:
    data = io.BytesIO()
    image.save(data, format="PNG")
    return data.getvalue()


@pytest.fixture(scope="module")
def documents(shared, tmp_path_factory) -> tuple[Path, Image.Image, np.ndarray]:
    from psd_tools import PSDImage
    from psd_tools.constants import Resource

    character = Image.open(shared / CHARACTER).convert("RGBA")
    canvas = Image.new("RGBA", (character.width + 2 * MARGIN[0], character.height + 2 * MARGIN[1]))
    canvas.alpha_composite(character, MARGIN)
    folder = tmp_path_factory.mktemp("layered")

    _write_record(_layered_psd(character), folder / "sita_other_app.psd")
    pixels = np.asarray(canvas, dtype=np.float32) / 255.0
    photoshop = _layered_psd(character)  # Photoshop's flattened copy: its first extra channel is its transparency
    photoshop._record.layer_and_mask_information.layer_info.layer_count = -1
    _store_flattened_copy(photoshop, pixels[..., :3], pixels[..., 3:])
    _write_record(photoshop, folder / "sita_photoshop.psd")
    without_copy = _layered_psd(character)  # "Maximize compatibility" off: the stored copy is not the picture
    without_copy.image_resources.get_data(Resource.VERSION_INFO).has_composite = False
    _store_flattened_copy(without_copy, np.ones_like(pixels[..., :3]), np.ones_like(pixels[..., 3:]))
    _write_record(without_copy, folder / "sita_no_copy.psd")

    _zipped_document(folder / "sita.kra", "application/x-krita",
                     {"maindoc.xml": b"<DOC/>", "sita/layers/layer1": b"", "preview.png": _png(canvas.resize((64, 64))),
                      "mergedimage.png": _png(canvas)})
    _zipped_document(folder / "sita.ora", "image/openraster",
                     {"stack.xml": b'<image w="%d" h="%d"><stack><layer src="data/sita.png"/></stack></image>'
                                   % canvas.size,
                      "data/sita.png": _png(canvas), "Thumbnails/thumbnail.png": _png(canvas.resize((64, 64))),
                      "mergedimage.png": _png(canvas)})

    grid = np.asarray(Image.open(shared / GRID).convert("RGB"))
    flat = np.ascontiguousarray(grid[0:512, 1024:1536])
    PSDImage.frompil(Image.fromarray(flat)).save(folder / "face_flat.psd")
    return folder, canvas, flat


def test_every_layered_document_is_a_frame_with_its_picture_and_its_alpha(documents, tmp_path):
    folder, canvas, flat = documents
    assert probe(folder).image_count == 6 and probe(folder).unusable == ()
    # the five documents hold one picture: no near-duplicate dropping, each is read on its own
    out = extract_image_frames(folder, tmp_path / "frames", FrameParams(dedup_hamming=-1))
    rows = {row["source"]: row for row in out.frames.iter_rows(named=True)}
    truth = np.asarray(canvas)[..., 3]
    white = Image.new("RGBA", canvas.size, (255, 255, 255, 255))
    on_white = np.asarray(Image.alpha_composite(white, canvas).convert("RGB")).astype(int)
    for name in ("sita_photoshop.psd", "sita_other_app.psd", "sita_no_copy.psd", "sita.kra", "sita.ora"):
        row = rows[name]
        assert row["kept"], (name, row["drop_reason"])
        frame_path = tmp_path / "frames" / Path(row["path"]).name
        alpha = read_frame_alpha(frame_path, truth.shape)
        assert alpha is not None, name
        assert ((alpha >= 128) == (truth >= 128)).mean() > 0.999, name
        picture = cv2.cvtColor(cv2.imread(str(frame_path)), cv2.COLOR_BGR2RGB).astype(int)
        assert np.abs(picture - on_white).mean() < 3.0, name  # the character on white, as trainers see it
    row = rows["face_flat.psd"]
    frame_path = tmp_path / "frames" / Path(row["path"]).name
    assert read_frame_alpha(frame_path, flat.shape[:2]) is None  # an opaque document has no cut-out
    picture = cv2.cvtColor(cv2.imread(str(frame_path)), cv2.COLOR_BGR2RGB).astype(int)
    assert np.abs(picture - flat).mean() < 1.5


def test_cut_and_incomplete_documents_are_named_and_the_rest_is_read(documents, tmp_path):
    folder, _, _ = documents
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "sita.ora").write_bytes((folder / "sita.ora").read_bytes())
    whole = (folder / "sita_photoshop.psd").read_bytes()
    (mixed / "cut.psd").write_bytes(whole[:len(whole) // 2])
    (mixed / "cut.kra").write_bytes((folder / "sita.kra").read_bytes()[:300])
    _zipped_document(mixed / "old.kra", "application/x-krita", {"maindoc.xml": b"<DOC/>"})
    info = probe(mixed)
    assert info.image_count == 4
    reasons = dict(line.split(": ", 1) for line in info.unusable)
    assert set(reasons) == {"cut.psd", "cut.kra", "old.kra"}
    assert "Photoshop" in reasons["cut.psd"] and "half-copied" in reasons["cut.psd"]
    assert "half-copied" in reasons["cut.kra"]
    assert "mergedimage.png" in reasons["old.kra"]
    out = extract_image_frames(mixed, tmp_path / "frames", FrameParams())
    kept = out.frames.filter(out.frames["kept"])
    assert kept["source"].to_list() == ["sita.ora"]
