"""Artists' layered files in an image set: Photoshop (.psd, and .psb for large documents) through psd-tools, Krita
(.kra) and OpenRaster (.ora: MyPaint, GIMP's and Krita's exchange format), each read as its flattened picture with
the document's transparency, which becomes the cut-out as a transparent PNG's does (assets/instances/image_alpha.py).

Fan-art packs and artists' folders hold these next to PNG exports; Pillow reads none of them as the artist sees it:
it has no Krita or OpenRaster reader, and its PSD reader takes the fourth stored channel as alpha whatever it is.
Photoshop keeps a flattened copy of the document ("Maximize compatibility"); its first extra channel is the copy's
transparency only where the layer count is stored negative (the PSD specification), which psd-tools follows. A copy
with no transparency of its own over a layered document gets the layers' rendered alpha (files written by other
applications); a document saved without the copy is rendered from its layers. Krita and OpenRaster store the
flattened picture as ``mergedimage.png`` in their zip. No Dagster."""

import io
import threading
import zipfile
from pathlib import Path

from resources.errors import BadMediaError

# suffix -> what the file is, as errors name it
LAYERED_SUFFIXES = {".psd": "a Photoshop document", ".psb": "a Photoshop large document",
                    ".kra": "a Krita document", ".ora": "an OpenRaster document"}
MERGED_MEMBER = "mergedimage.png"  # the flattened picture in a .kra / .ora zip (OpenRaster 0.0.5+, Krita 2.9+)
# the frames stage opens one image several times (its check, its pixels, its alpha): the last flattening is kept
_last: dict = {}
_last_lock = threading.Lock()


def is_layered(path: Path) -> bool:
    return Path(path).suffix.lower() in LAYERED_SUFFIXES


def flattened_image(path: Path, max_pixels: int):
    """The document's flattened picture as a Pillow image (RGBA where it has transparency), or a BadMediaError
    naming the file and why it cannot be read; above ``max_pixels`` it is refused before decoding."""
    path = Path(path)
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _last_lock:
        if key in _last:
            return _last[key].copy()
    image = (_photoshop_image if path.suffix.lower() in (".psd", ".psb") else _zipped_merged_image)(path, max_pixels)
    with _last_lock:
        _last.clear()
        _last[key] = image
    return image.copy()


def _photoshop_image(path: Path, max_pixels: int):
    try:
        from psd_tools import PSDImage
    except ImportError as error:
        raise BadMediaError(path, f"is {LAYERED_SUFFIXES[path.suffix.lower()]}, which needs the psd-tools package "
                                  "(`pip install psd-tools`)") from error
    try:
        document = PSDImage.open(path)
        _check_size(path, document.width, document.height, max_pixels)
        if not document.has_preview():  # saved without "Maximize compatibility": only the layers hold the picture
            return document.composite()
        picture = document.topil()
        if picture is None:
            raise ValueError("its flattened copy cannot be read")
        if "A" not in picture.getbands() and len(document) > 0:
            layers_alpha = document.composite(ignore_preview=True).convert("RGBA").getchannel("A")
            if layers_alpha.getextrema()[0] < 255:
                picture = picture.convert("RGB")
                picture.putalpha(layers_alpha)
        return picture
    except BadMediaError:
        raise
    except Exception as error:  # psd-tools raises struct / value / EOF errors on cut or damaged files
        raise BadMediaError(path, f"is {LAYERED_SUFFIXES[path.suffix.lower()]} that cannot be read "
                                  f"({error.__class__.__name__}: {error}); a half-copied file?") from error


def _zipped_merged_image(path: Path, max_pixels: int):
    from PIL import Image, UnidentifiedImageError

    kind = LAYERED_SUFFIXES[path.suffix.lower()]
    try:
        with zipfile.ZipFile(path) as document:
            if MERGED_MEMBER not in document.namelist():
                raise BadMediaError(path, f"is {kind} without its flattened picture ({MERGED_MEMBER}): save it "
                                          "again with a current version of its application, or export a PNG")
            data = document.read(MERGED_MEMBER)
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise BadMediaError(path, f"is {kind} that cannot be read ({error.__class__.__name__}: {error}); "
                                  "a half-copied file?") from error
    try:
        picture = Image.open(io.BytesIO(data))
        _check_size(path, *picture.size, max_pixels)
        picture.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise BadMediaError(path, f"is {kind} whose {MERGED_MEMBER} cannot be decoded "
                                  f"({error.__class__.__name__}: {error})") from error
    return picture


def _check_size(path: Path, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise BadMediaError(path, f"is {width}x{height} px, more than castforge decodes ({max_pixels} px): "
                                  "export it smaller")
