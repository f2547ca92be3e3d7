"""2D anime face detection with AnimeFace 2009 (PyPI ``animeface==2.0.3``), run in an isolated environment.

animeface's C extension reads Pillow's internal image struct (Pillow 4 layout): with Pillow >= 12, which castforge's
main environment needs, it returns no faces and no error. ``install/setup_env.sh`` therefore builds a small
``.venv-animeface`` (Pillow 11.3 + animeface, nothing else). castforge never uses that glue: the detector in
``resources/backends/animeface_worker.py`` calls the C library of animeface's wheel (nvxs; or the -O3 build
install/build_nvxs.sh leaves in that environment) through ctypes: the same faces and boxes, the window search's
parameters (``search``) reachable, and colours that depend on the pixels only (animeface's k-means colour reading
runs on a random state the glue never seeds; the detector seeds it per image). That library needs no Pillow, so this
adapter loads it in its own process (``in_process``, the default: no subprocess, no pipe copy, no start-up); where it
cannot be loaded there it runs the same module as one long-lived subprocess in the environment, passing RGB frames
over a pipe (the same answers: tests/unit/test_animeface_in_process.py).

Stable API (other stages use it as a seed cue, keep it backward compatible):

    detector = AnimeFaceDetector()                 # starts nothing yet; fails early if the environment is missing
    faces: list[AnimeFace] = detector.detect(rgb)  # rgb: (H, W, 3) uint8 ndarray, RGB order
    face.box            (x0, y0, x1, y1) float pixels in ``rgb``'s frame
    face.score          AnimeFace likelihood in [0, 1]
    face.left_eye_box / right_eye_box / mouth_box  (x0, y0, x1, y1); "left"/"right" as seen in the image
    face.nose, face.chin                           (x, y)
    face.hair_rgb / skin_rgb / left_eye_rgb / right_eye_rgb   (r, g, b) ints, as AnimeFace measured them
    face.landmarks5()   (5, 2) float32: image-left eye, image-right eye, nose, mouth left, mouth right corners
    face.to_detection() resources.protocols.FaceDetection (detector "animeface", with landmarks5)
    detector.close()    stops the worker if one runs (also on garbage collection / interpreter exit)
    has_skin_colour(face)  whether the skin colour AnimeFace read could be a drawn face's (see below);
                        ``AnimeFaceDetector(require_skin=True)`` keeps only such faces (the faces stage does)

The environment is ``$CASTFORGE_ANIMEFACE_PYTHON``'s when set, else ``<repo>/.venv-animeface/bin/python``'s.
``CASTFORGE_ANIMEFACE_IN_PROCESS=0`` always uses the subprocess worker.

Each answer is kept in a content-addressed cache (``$CASTFORGE_HOME/cache/animeface``; resources/backends/
result_cache.py) keyed by the exact pixels sent to the worker, their shape and the worker's version, before the
``min_score`` filter: on drawn films ``instances`` (the AnimeFace seed cue) and ``face_embeddings`` give AnimeFace
the same frames, so the second stage reads the first one's answers instead of running it again. ``cache_dir=None``
turns it off; a missing or corrupt entry is computed again.
"""

import colorsys
import json
import logging
import os
import struct
import subprocess
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from resources.backends.result_cache import ResultCache, content_key
from resources.errors import CastforgeError
from resources.paths import castforge_home
from resources.protocols import FaceDetection

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("animeface_worker.py")
HOW = ("build it with `make setup` (install/setup_env.sh creates .venv-animeface with pillow<=11.3 and "
       "animeface==2.0.3), or set CASTFORGE_ANIMEFACE_PYTHON to a Python that has both")

Box = tuple[float, float, float, float]
# AnimeFace also fires on clothing, wheels, balls and snow (Penny & Chip: 42 of the 103 faces it found on a run's key
# frames), and the skin colour it then reads is the cloth's: green, grey, blue. A drawn face's skin reads warm
# (peach to brown) or light (pale anime skin, white ghosts, and glasses lenses, where AnimeFace samples a bespectacled
# face): HLS lightness >= SKIN_MIN_LIGHTNESS, or a hue within SKIN_WARM_HUES (degrees, red wraps round) with
# saturation >= SKIN_MIN_SATURATION (a grey's hue means nothing). Chosen on the odd shots of a labelled Penny & Chip
# run (lightness 0.7-0.8 and hue limits 50-70 lose the same one face; 0.8 drops one more false one; 0.85 loses 5);
# figures in README "2D animation and anime". Hands are skin-coloured and pass; so would a green or blue character.
SKIN_MIN_LIGHTNESS = 0.8
SKIN_WARM_HUES = (340.0, 60.0)
SKIN_MIN_SATURATION = 0.1
DEFAULT_CACHE = "default"  # ``$CASTFORGE_HOME/cache/animeface``, resolved when the detector is built


# AnimeFace 2009's window search as animeface 2.0.3 runs it: (stride in 1/32 of the window, window growth per scale,
# smallest window side in px). The largest window is min(height, width) / smallest * 32 px, so a larger smallest
# window also lowers the largest. Every other search is a trade: on 105 Penny & Chip frames at 480 rows, every other
# scale (factor 1.095 ** 2) costs 46 % less CPU but keeps 38 of the 52 faces (bench/animeface_cost.py; held-out anime
# composites 0.7399 -> 0.7360: docs/film_scale.md, session 17).
ANIMEFACE_SEARCH = (4.0, 1.095, 42.592)


def cache_version(search: tuple[float, float, float] = ANIMEFACE_SEARCH, nvxs: Path | None = None) -> str:
    """Part of every cache key: the library (the wheel's, or the bytes of the ``nvxs`` build given), the worker's code
    (its reply format) and the window search; changing any of them misses."""
    version = "animeface==2.0.3;worker:" + content_key(WORKER.read_text(), b"")[:12]
    if nvxs is not None:
        version += ";nvxs:" + content_key("nvxs", nvxs.read_bytes())[:12]
    return version if tuple(search) == ANIMEFACE_SEARCH else version + ";search:" + ",".join(map(str, search))


@dataclass(frozen=True)
class AnimeFace:
    """One 2D face found by AnimeFace, in the pixel frame of the image given to ``detect``."""

    box: Box
    score: float
    left_eye_box: Box
    right_eye_box: Box
    mouth_box: Box
    nose: tuple[float, float]
    chin: tuple[float, float]
    hair_rgb: tuple[int, int, int]
    skin_rgb: tuple[int, int, int]
    left_eye_rgb: tuple[int, int, int]
    right_eye_rgb: tuple[int, int, int]

    def landmarks5(self) -> np.ndarray:
        """ArcFace-order points: image-left eye, image-right eye, nose, mouth left and right corners."""
        def centre(b: Box) -> tuple[float, float]:
            return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2

        mx0, my0, mx1, my1 = self.mouth_box
        mouth_y = (my0 + my1) / 2
        return np.array([centre(self.left_eye_box), centre(self.right_eye_box), self.nose,
                         (mx0, mouth_y), (mx1, mouth_y)], dtype=np.float32)

    def to_detection(self, detector: str = "animeface") -> FaceDetection:
        return FaceDetection(self.box, self.score, detector, self.landmarks5())


def has_skin_colour(face: "AnimeFace") -> bool:
    """Whether the skin colour AnimeFace read on ``face`` is light or warm, as a drawn face's is (see SKIN_*)."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*(v / 255 for v in face.skin_rgb))
    warm = hue * 360 >= SKIN_WARM_HUES[0] or hue * 360 <= SKIN_WARM_HUES[1]
    return lightness >= SKIN_MIN_LIGHTNESS or (warm and saturation >= SKIN_MIN_SATURATION)


def _box(xywh: list[float], scale: float) -> Box:
    x, y, w, h = (float(v) / scale for v in xywh)
    return x, y, x + w, y + h


def parse_face(raw: dict, scale: float = 1.0) -> AnimeFace:
    """An ``AnimeFace`` from the worker's JSON (coordinates divided by ``scale``, the resize applied before)."""
    eye_a, eye_b = _box(raw["left_eye_box"], scale), _box(raw["right_eye_box"], scale)
    colour_a, colour_b = tuple(raw["left_eye_color"]), tuple(raw["right_eye_color"])
    # AnimeFace's "left" is the character's left (the image's right): order by x so "left" means image-left
    if eye_a[0] > eye_b[0]:
        eye_a, eye_b, colour_a, colour_b = eye_b, eye_a, colour_b, colour_a
    return AnimeFace(
        box=_box(raw["face_box"], scale), score=float(raw["likelihood"]), left_eye_box=eye_a, right_eye_box=eye_b,
        mouth_box=_box(raw["mouth_box"], scale),
        nose=(raw["nose_point"][0] / scale, raw["nose_point"][1] / scale),
        chin=(raw["chin_point"][0] / scale, raw["chin_point"][1] / scale),
        hair_rgb=tuple(raw["hair_color"]), skin_rgb=tuple(raw["skin_color"]),
        left_eye_rgb=colour_a, right_eye_rgb=colour_b)


def nvxs_library(python: Path) -> Path | None:
    """The nvxs library the worker loads: ``$CASTFORGE_ANIMEFACE_NVXS`` when set (``wheel``: the one animeface's
    wheel bundles), else the -O3 build install/build_nvxs.sh leaves in the animeface environment
    (``<env>/nvxs/libnvxs.so``, half the wheel's CPU a frame: docs/film_scale.md, session 17) where it exists;
    None: the wheel's."""
    configured = os.environ.get("CASTFORGE_ANIMEFACE_NVXS")
    if configured == "wheel":
        return None
    if not configured:
        built = python.parent.parent / "nvxs" / "libnvxs.so"
        return built if built.is_file() else None
    path = Path(configured)
    if not path.is_file():
        raise CastforgeError(f"animeface: CASTFORGE_ANIMEFACE_NVXS={configured} is not a file; build nvxs with "
                             "`bash install/build_nvxs.sh .venv-animeface`, set it to `wheel` or unset it")
    return path


def wheel_library(python: Path) -> Path | None:
    """The nvxs library animeface's wheel bundles in the environment of ``python``, or None."""
    found = sorted(python.parent.parent.glob("lib/python*/site-packages/animeface.libs/libnvxs*.so*"))
    return found[0] if found else None


# nvxs keeps the random state of its colour k-means in the library: one image at a time per process
_IN_PROCESS_LOCK = threading.Lock()


class InProcessAnimeFace:
    """The worker's ctypes detector (animeface_worker.Detector) on nvxs loaded into this process: numpy makes the
    float (b, g, r) pixels the worker makes with Pillow, so the answers are the worker's, without its process."""

    def __init__(self, search: tuple[float, float, float], library: Path):
        from resources.backends.animeface_worker import Detector

        self.library = library
        self.detector = Detector(search, library, pillow=False)

    def ask(self, image: np.ndarray) -> dict:
        bgr = np.ascontiguousarray(image[:, :, ::-1], dtype=np.float32)
        with _IN_PROCESS_LOCK:
            return {"faces": self.detector.detect_bgr(bgr.ctypes.data, image.shape[0], image.shape[1])}


def in_process_wanted() -> bool:
    return os.environ.get("CASTFORGE_ANIMEFACE_IN_PROCESS", "1") not in ("0", "false", "no")


def animeface_python() -> Path:
    """The interpreter of the isolated animeface environment; a clear error when it is missing."""
    configured = os.environ.get("CASTFORGE_ANIMEFACE_PYTHON")
    path = Path(configured) if configured else REPO_ROOT / ".venv-animeface" / "bin" / "python"
    if not path.exists():
        raise CastforgeError(f"animeface: interpreter {path} not found; {HOW}")
    return path


def animeface_environment_found() -> bool:
    """Whether the isolated environment ``animeface_python`` names is there (a path check, nothing started)."""
    try:
        animeface_python()
    except CastforgeError:
        return False
    return True


class AnimeFaceDetector:
    """AnimeFace 2009, in this process (``in_process``, unless CASTFORGE_ANIMEFACE_IN_PROCESS=0) or, where nvxs
    cannot be loaded here, in a subprocess worker. ``max_side`` bounds the image side sent to the worker (AnimeFace's
    cost grows with the pixel count: ~14 s for 3072 x 3072 on this CPU); boxes come back in the input's frame. Its
    callers hand it a drawn frame already at its analysis size (resources/analysis_frame.py: the instances cue and
    ``DrawnFaceAnalyzer.detect`` scale the same way), so both ask with the same pixels and share the cache.
    ``require_skin`` drops faces whose skin colour no drawn face has (``has_skin_colour``), after the cache, so
    detectors with and without it share answers. ``search``: AnimeFace's window search (``ANIMEFACE_SEARCH``).
    ``calls["worker"]`` counts the answers computed (in this process or the worker), ``calls["cached"]`` those read."""

    name = "animeface"

    def __init__(self, min_score: float = 0.5, max_side: int | None = 1280, python: Path | None = None,
                 cache_dir: Path | str | None = DEFAULT_CACHE, require_skin: bool = False,
                 search: tuple[float, float, float] = ANIMEFACE_SEARCH, in_process: bool | None = None):
        self.min_score = min_score
        self.search = tuple(float(v) for v in search)
        self.require_skin = require_skin
        self.max_side = max_side
        self.python = python or animeface_python()
        if cache_dir == DEFAULT_CACHE:
            cache_dir = castforge_home() / "cache" / "animeface"
        self.cache = ResultCache(Path(cache_dir)) if cache_dir is not None else None
        self.nvxs = nvxs_library(self.python)
        self._version = cache_version(self.search, self.nvxs)
        self.calls = {"worker": 0, "cached": 0}
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.in_process = in_process_wanted() if in_process is None else in_process
        self._native: InProcessAnimeFace | None | bool = None  # loaded on first use; False: use the worker

    def _in_process(self) -> InProcessAnimeFace | None:
        """The in-process detector, loaded on first use; None where it is off or nvxs cannot be loaded here."""
        if self._native is None:
            self._native = False
            library = self.nvxs or wheel_library(self.python)
            if self.in_process and library is not None:
                try:
                    self._native = InProcessAnimeFace(self.search, library)
                except (OSError, AttributeError) as error:
                    log.warning("animeface: cannot load %s in this process (%s); using the worker", library, error)
            elif self.in_process:
                log.warning("animeface: no nvxs library in %s's environment; using the worker", self.python)
        return self._native or None

    def _start(self) -> subprocess.Popen:
        library = [str(self.nvxs)] if self.nvxs is not None else []
        process = subprocess.Popen([str(self.python), "-I", str(WORKER), *map(repr, self.search), *library],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        hello = self._reply(process)
        if not hello.get("ready"):
            process.kill()
            raise CastforgeError(f"animeface worker ({self.python}): {hello.get('error', hello)}; {HOW}")
        weakref.finalize(self, _stop, process)  # on garbage collection and at interpreter exit
        return process

    def _reply(self, process: subprocess.Popen) -> dict:
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=5)
            error = process.stderr.read().decode(errors="replace")[-800:]
            raise CastforgeError(f"animeface worker ({self.python}) exited with {process.returncode}: {error}")
        return json.loads(line)

    def detect(self, image: np.ndarray) -> list[AnimeFace]:
        """2D faces in an RGB uint8 (H, W, 3) image, best first; [] for an image without any."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"animeface: expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
        scale = 1.0
        if self.max_side and max(image.shape[:2]) > self.max_side:
            side_scale = self.max_side / max(image.shape[:2])
            image = cv2.resize(image, None, fx=side_scale, fy=side_scale, interpolation=cv2.INTER_AREA)
            scale *= side_scale
        data = np.ascontiguousarray(image).tobytes()
        shape = struct.pack(">II", image.shape[0], image.shape[1])
        key = content_key(self._version, shape, data) if self.cache is not None else None
        faces = self._cached(key, scale)
        if faces is None:
            reply = self._ask(image, shape, data)
            if key is not None:
                self.cache.put(key, reply)
            faces = [parse_face(raw, scale) for raw in reply["faces"]]
        return sorted((f for f in faces if f.score >= self.min_score and (not self.require_skin or has_skin_colour(f))),
                      key=lambda f: -f.score)

    def _cached(self, key: str | None, scale: float) -> list[AnimeFace] | None:
        """The faces of a stored answer, or None when there is none or it does not parse (then it is recomputed)."""
        reply = self.cache.get(key) if key is not None else None
        if reply is None:
            return None
        try:
            faces = [parse_face(raw, scale) for raw in reply["faces"]]
        except (KeyError, TypeError, ValueError, IndexError) as error:
            log.warning("animeface: cached answer %s is malformed (%r); detecting again", key, error)
            return None
        self.calls["cached"] += 1
        return faces

    def _ask(self, image: np.ndarray, shape: bytes, data: bytes) -> dict:
        """The answer for one image (``data``: its bytes, ``shape``: the ``>II`` header): in this process, else from
        the worker, started when needed."""
        native = self._in_process()
        if native is not None:
            reply = native.ask(image)
            self.calls["worker"] += 1
            return reply
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
            try:
                self._process.stdin.write(shape + data)
                self._process.stdin.flush()
            except BrokenPipeError:
                pass  # the worker died; _reply reports its stderr
            reply = self._reply(self._process)
        if "error" in reply:
            raise CastforgeError(f"animeface worker: {reply['error']}")
        self.calls["worker"] += 1
        return reply

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Ask the worker to exit (a 0 x 0 request), kill it if it does not."""
    if process.poll() is not None:
        return
    try:
        process.stdin.write(struct.pack(">II", 0, 0))
        process.stdin.close()
        process.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()
