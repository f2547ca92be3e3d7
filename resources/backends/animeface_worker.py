"""AnimeFace 2009 worker: runs inside the isolated ``.venv-animeface`` (animeface 2.0.3's wheel + Pillow).

animeface's Python glue (its ``_nvxs`` C extension) reads Pillow's internal image object with Pillow 4's struct
layout (with Pillow >= 12 it silently returns no faces) and fixes AnimeFace's window search (4-step stride, scale
factor 1.095, smallest window 42.592 px). This worker calls the C library that the wheel bundles
(``animeface.libs/libnvxs*.so``) through ctypes instead, doing what ``_nvxs.detect`` does (BGR float image, grey,
5x5 Gaussian, Laplacian edges, both integral images, ``nv_face_detect``, ``nv_face_analyze`` per face) with the
search parameters given on the command line (AnimeFace's own by default: the same faces and boxes as
``animeface.detect``). ``nv_face_analyze`` reads the hair, skin and eye colours with a k-means seeded from the
library's random state, which ``animeface.detect`` leaves running from call to call (the same frame's skin colour
then differs between calls, and so can ``has_skin_colour``); the worker seeds it (``nv_srand(0)``) before every
image, so an answer depends on the pixels only. It imports only the standard library and Pillow (never castforge).
castforge's own process imports this module too: it loads the same library with ``Detector(pillow=False)`` and
hands ``detect_bgr`` the float pixels it made with numpy (resources/backends/animeface.py; this script, run as
a subprocess, is the fallback where the library cannot be loaded there).

Usage: python -I animeface_worker.py [STEP SCALE_FACTOR MIN_WINDOW [NVXS_LIBRARY]]
(NVXS_LIBRARY: an nvxs build to load instead of the wheel's, e.g. one built for this CPU.)

Protocol (binary, one request at a time):
  request:  8-byte header ``>II`` (height, width), then height * width * 3 bytes of RGB uint8, row-major
            (a header of 0, 0 asks the worker to exit)
  response: one JSON line: ``{"faces": [...]}`` or ``{"error": "..."}``; each face has ``likelihood``,
            ``face_box`` / ``left_eye_box`` / ``right_eye_box`` / ``mouth_box`` (x, y, w, h), ``nose_point`` /
            ``chin_point`` (x, y), ``skin_color`` / ``hair_color`` / ``left_eye_color`` / ``right_eye_color`` (r, g, b)
At start it prints one JSON line ``{"ready": true, "pillow": VERSION}`` or ``{"error": ...}`` and exits.
"""

import ctypes
import importlib.util
import json
import struct
import sys
from array import array
from pathlib import Path

# animeface 2.0.3's _nvxs.detect: stride in 1/32 window units, window growth per scale, smallest window (px)
ANIMEFACE_SEARCH = (4.0, 1.095, 42.592)
MAX_FACES = 4096
FEATURE_FLOATS = 114  # nv_face_feature_t: 456 bytes; colours are float (b, g, r) triples at these float offsets
COLOUR_AT = {"skin_color": 2, "hair_color": 10, "left_eye_color": 18, "right_eye_color": 34}


class Matrix(ctypes.Structure):
    """nvxs's nv_matrix_t (nv_core_matrix.c): float rows of ``step`` floats; a 3D matrix holds rows x cols of them."""

    _fields_ = [("list", ctypes.c_int), ("list_step", ctypes.c_int), ("n", ctypes.c_int), ("m", ctypes.c_int),
                ("rows", ctypes.c_int), ("cols", ctypes.c_int), ("step", ctypes.c_int), ("alias", ctypes.c_int),
                ("v", ctypes.POINTER(ctypes.c_float))]


class Rect(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int)]


class Position(ctypes.Structure):
    """nv_face_position_t (nv_face_detect.h)."""

    _fields_ = [("likelihood", ctypes.c_float), ("face", Rect), ("left_eye", Rect), ("right_eye", Rect),
                ("nose", Rect), ("mouth", Rect), ("chin", Rect)]


MatrixP = ctypes.POINTER(Matrix)


def wheel_nvxs() -> Path:
    """The nvxs library that animeface's wheel bundles."""
    spec = importlib.util.find_spec("animeface")
    if spec is None or spec.origin is None:
        raise ImportError("animeface is not installed in this environment")
    found = sorted((Path(spec.origin).parent.parent / "animeface.libs").glob("libnvxs*.so*"))
    if not found:
        raise ImportError(f"animeface's nvxs library not found next to {spec.origin}")
    return found[0]


def load_nvxs(library: Path | None = None) -> ctypes.CDLL:
    """nvxs (``library``, else the wheel's), with the signatures this worker calls."""
    nv = ctypes.CDLL(str(library or wheel_nvxs()))
    pointer = ctypes.c_void_p
    for name, args, result in [
            ("nv_matrix3d_alloc", [ctypes.c_int] * 3, MatrixP), ("nv_matrix_zero", [MatrixP], None),
            ("nv_matrix_free", [ctypes.POINTER(MatrixP)], None), ("nv_gray", [MatrixP, MatrixP], None),
            ("nv_gaussian5x5", [MatrixP, ctypes.c_int, MatrixP, ctypes.c_int], None),
            ("nv_laplacian1", [MatrixP, MatrixP, ctypes.c_float], None),
            ("nv_integral", [MatrixP, MatrixP, ctypes.c_int], None), ("nv_srand", [ctypes.c_ulong], None),
            ("nv_face_analyze", [pointer, ctypes.POINTER(Position), MatrixP], None),
            ("nv_face_detect", [ctypes.POINTER(Position), ctypes.c_int, MatrixP, MatrixP, ctypes.POINTER(Rect),
                                pointer, pointer, ctypes.POINTER(pointer), ctypes.c_int, pointer,
                                ctypes.c_float, ctypes.c_float, ctypes.c_float], ctypes.c_int)]:
        function = getattr(nv, name)
        function.argtypes, function.restype = args, result
    return nv


class Detector:
    """``_nvxs.detect`` over ctypes, with the window search's (step, scale_factor, min_window) as given."""

    def __init__(self, search: tuple[float, float, float] = ANIMEFACE_SEARCH, library: Path | None = None,
                 pillow: bool = True):
        if pillow:  # ``detect`` converts bytes with Pillow; without it only ``detect_bgr`` works (castforge's process)
            from PIL import Image

            self.image = Image
        self.nv = load_nvxs(library)
        self.search = search

        def model(name: str) -> int:
            return ctypes.addressof(ctypes.c_char.in_dll(self.nv, name))

        self.direction, self.detector, self.parts = (ctypes.c_void_p(model(f"nv_face_mlp_{name}"))
                                                     for name in ("dir", "face_00", "parts"))
        self.bagging = (ctypes.c_void_p * 2)(model("nv_face_mlp_face_01"), model("nv_face_mlp_face_02"))
        self.positions = (Position * MAX_FACES)()

    def _matrix(self, n: int, rows: int, cols: int):
        matrix = self.nv.nv_matrix3d_alloc(n, rows, cols)
        self.nv.nv_matrix_zero(matrix)
        return matrix

    def detect(self, data: bytes, height: int, width: int) -> list[dict]:
        """Faces in ``height`` x ``width`` RGB uint8 pixels (row-major bytes)."""
        floats = array("f", bytes(height * width * 12))
        bands = self.image.frombytes("RGB", (width, height), data).split()
        for channel, band in zip((2, 1, 0), bands):
            floats[channel::3] = array("f", band.convert("F").tobytes())
        return self.detect_bgr(floats.buffer_info()[0], height, width)

    def detect_bgr(self, address: int, height: int, width: int, edges=None) -> list[dict]:
        """Faces in the image whose float32 (b, g, r) pixels, row-major (as _nvxs fills its matrix: 0-255 values),
        are at ``address``; the caller keeps that memory alive during the call. ``edges``, if given, is called with
        the address of the edge image (height x width float32) before its integral is taken: where it zeroes the
        edges, AnimeFace's edge test prunes the windows before any Haar feature (bench/animeface_cost.py
        --regions: a measured trade, not used by castforge)."""
        nv = self.nv
        bgr = nv.nv_matrix3d_alloc(3, height, width)
        ctypes.memmove(bgr.contents.v, address, height * width * 12)
        gray, smooth, edge = (self._matrix(1, height, width) for _ in range(3))
        gray_integral, edge_integral = (self._matrix(1, height + 1, width + 1) for _ in range(2))
        try:
            nv.nv_gray(gray, bgr)
            nv.nv_gaussian5x5(smooth, 0, gray, 0)
            nv.nv_laplacian1(edge, smooth, 4.0)
            if edges is not None:
                edges(ctypes.addressof(edge.contents.v.contents))
            nv.nv_integral(gray_integral, gray, 0)
            nv.nv_integral(edge_integral, edge, 0)
            size = Rect(0, 0, width, height)
            count = nv.nv_face_detect(self.positions, MAX_FACES, gray_integral, edge_integral, ctypes.byref(size),
                                      self.direction, self.detector, self.bagging, 2, self.parts, *self.search)
            nv.nv_srand(0)
            faces = [self._face(self.positions[index], bgr) for index in range(count)]
        finally:
            for matrix in (bgr, gray, smooth, edge, gray_integral, edge_integral):
                nv.nv_matrix_free(ctypes.byref(matrix))
        return faces

    def _face(self, position: Position, bgr) -> dict:
        feature = (ctypes.c_float * FEATURE_FLOATS)()
        self.nv.nv_face_analyze(feature, ctypes.byref(position), bgr)

        def box(rect: Rect) -> list[int]:
            return [rect.x, rect.y, rect.width, rect.height]

        face = {"likelihood": float(position.likelihood), "face_box": box(position.face),
                "left_eye_box": box(position.left_eye), "right_eye_box": box(position.right_eye),
                "mouth_box": box(position.mouth), "nose_point": [position.nose.x, position.nose.y],
                "chin_point": [position.chin.x, position.chin.y]}
        for name, at in COLOUR_AT.items():  # (b, g, r) floats, truncated to ints as _nvxs does
            face[name] = [int(feature[at + 2]), int(feature[at + 1]), int(feature[at])]
        return face


def _read_exact(stream, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main(argv: list[str]) -> int:
    out = sys.stdout
    try:
        if len(argv) not in (0, 3, 4):
            raise ValueError(f"expected STEP SCALE_FACTOR MIN_WINDOW [NVXS_LIBRARY], got {argv}")
        search = tuple(float(v) for v in argv[:3]) if argv else ANIMEFACE_SEARCH
        detector = Detector(search, Path(argv[3]) if len(argv) == 4 else None)
        import PIL
    except (ImportError, OSError, ValueError, AttributeError) as error:
        out.write(json.dumps({"error": f"cannot load AnimeFace (animeface's nvxs library / Pillow): {error}"}) + "\n")
        out.flush()
        return 2
    out.write(json.dumps({"ready": True, "pillow": PIL.__version__}) + "\n")
    out.flush()
    stdin = sys.stdin.buffer
    while True:
        try:
            height, width = struct.unpack(">II", _read_exact(stdin, 8))
        except EOFError:
            return 0
        if height == 0 and width == 0:
            return 0
        try:
            data = _read_exact(stdin, height * width * 3)
        except EOFError:
            return 1
        try:
            reply = {"faces": detector.detect(data, height, width)}
        except Exception as error:  # noqa: BLE001 - reported to the caller, the worker lives on
            reply = {"error": f"{type(error).__name__}: {error}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
