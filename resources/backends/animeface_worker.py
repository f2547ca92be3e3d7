"""AnimeFace 2009 worker: runs inside the isolated ``.venv-animeface`` (Pillow <= 11.3 + animeface 2.0.3).

animeface's C extension reads Pillow's internal image object with Pillow 4's struct layout; with Pillow >= 12 it
silently returns no faces, and castforge's main environment needs a newer Pillow. So the detector lives in its own
small environment and this script serves it over stdin/stdout. It imports only the standard library, Pillow and
animeface (never castforge), so the main environment's packages are never needed here.

Protocol (binary, one request at a time):
  request:  8-byte header ``>II`` (height, width), then height * width * 3 bytes of RGB uint8, row-major
            (a header of 0, 0 asks the worker to exit)
  response: one JSON line: ``{"faces": [...]}`` or ``{"error": "..."}``; each face has ``likelihood``,
            ``face_box`` / ``left_eye_box`` / ``right_eye_box`` / ``mouth_box`` (x, y, w, h), ``nose_point`` /
            ``chin_point`` (x, y), ``skin_color`` / ``hair_color`` / ``left_eye_color`` / ``right_eye_color`` (r, g, b)
At start it prints one JSON line ``{"ready": true, "pillow": VERSION}`` or ``{"error": ...}`` and exits.
"""

import json
import struct
import sys


def _face_dict(face) -> dict:
    def box(part):
        return [part.pos.x, part.pos.y, part.pos.width, part.pos.height]

    def colour(part):
        return [part.color.r, part.color.g, part.color.b]

    return {
        "likelihood": float(face.likelihood),
        "face_box": box(face.face), "left_eye_box": box(face.left_eye), "right_eye_box": box(face.right_eye),
        "mouth_box": box(face.mouth), "nose_point": [face.nose.pos.x, face.nose.pos.y],
        "chin_point": [face.chin.pos.x, face.chin.pos.y], "skin_color": colour(face.skin),
        "hair_color": colour(face.hair), "left_eye_color": colour(face.left_eye),
        "right_eye_color": colour(face.right_eye),
    }


def _read_exact(stream, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main() -> int:
    out = sys.stdout
    try:
        import animeface
        import PIL
        from PIL import Image
    except ImportError as error:
        out.write(json.dumps({"error": f"cannot import animeface / Pillow: {error}"}) + "\n")
        out.flush()
        return 2
    major, minor = (int(v) for v in PIL.__version__.split(".")[:2])
    if (major, minor) > (11, 3):
        out.write(json.dumps({"error": f"Pillow {PIL.__version__} is too new for animeface (needs <= 11.3: "
                                       "its C extension then returns no faces)"}) + "\n")
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
            image = Image.frombytes("RGB", (width, height), data)
            reply = {"faces": [_face_dict(f) for f in animeface.detect(image)]}
        except Exception as error:  # noqa: BLE001 - reported to the caller, the worker lives on
            reply = {"error": f"{type(error).__name__}: {error}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
