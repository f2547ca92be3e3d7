"""AnimeFace 2009 through its isolated environment (resources/backends/animeface.py) on real 2D faces, and the
hand-labelled detection scoring."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from assets.faces.evaluation import DetectionScore, matches, score_detections
from resources.errors import CastforgeError

LABELS = Path(__file__).resolve().parents[1] / "data" / "anime_face_grid_labels.json"


def grid(shared: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(shared / "media/faces/anime_face_grid.jpg")), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def detector():
    from resources.backends.animeface import AnimeFaceDetector

    try:
        built = AnimeFaceDetector(max_side=None, cache_dir=None)  # always computed, never a stored answer
    except CastforgeError as error:
        pytest.skip(f"the animeface environment is not built here: {error}")
    yield built
    built.close()


@pytest.mark.slow
def test_animeface_finds_the_labelled_faces_of_a_grid_region(shared, detector):
    """Tiles of two grid rows (13 labelled faces) through the worker: real faces with real landmarks and colours."""
    image = grid(shared)[:1024]
    labels = [b for b in json.loads(LABELS.read_text())["faces"] if b[3] <= 1024]
    faces = detector.detect(image)
    score = score_detections([f.box for f in faces], labels)
    assert len(labels) == 13
    assert score.recall >= 0.5 and score.precision >= 0.9, score
    from resources.backends.animeface import has_skin_colour

    hits = [f for f in faces if any(matches(f.box, label) for label in labels)]
    assert all(has_skin_colour(f) for f in hits)  # require_skin keeps every anime face found here
    face = faces[0]
    left, right, nose, mouth_left, mouth_right = face.landmarks5()
    assert left[0] < right[0] and mouth_left[0] < mouth_right[0]
    assert face.box[1] < min(left[1], right[1]) < nose[1] < face.box[3]  # eyes above the nose, inside the box
    assert all(0 <= c <= 255 for c in face.hair_rgb + face.skin_rgb)
    detection = face.to_detection()
    assert detection.detector == "animeface" and detection.landmarks.shape == (5, 2)


def test_animeface_downscales_large_images_and_maps_boxes_back(shared):
    from resources.backends.animeface import AnimeFaceDetector

    tile = grid(shared)[:512, 2560:]  # two faces (tile row 0, col 5)
    try:
        small = AnimeFaceDetector(max_side=256, cache_dir=None)
    except CastforgeError as error:
        pytest.skip(str(error))
    big = cv2.resize(tile, (1024, 1024), interpolation=cv2.INTER_CUBIC)
    faces = small.detect(big)
    small.close()
    labels = [[2 * (v - o) for v, o in zip(b, (2560, 0, 2560, 0))] for b in ([2833, 110, 2913, 190],
                                                                           [2717, 132, 2805, 220])]
    assert score_detections([f.box for f in faces], labels).hits >= 1


def test_animeface_returns_nothing_on_an_empty_frame_and_rejects_a_grey_array(detector):
    assert detector.detect(np.full((240, 320, 3), 200, np.uint8)) == []
    with pytest.raises(ValueError, match="RGB uint8"):
        detector.detect(np.zeros((240, 320), np.uint8))


def test_a_missing_animeface_environment_names_the_interpreter_and_the_fix(tmp_path, monkeypatch):
    from resources.backends.animeface import AnimeFaceDetector

    monkeypatch.setenv("CASTFORGE_ANIMEFACE_PYTHON", str(tmp_path / "nowhere" / "python"))
    with pytest.raises(CastforgeError, match="nowhere/python.*make setup"):
        AnimeFaceDetector()


def test_a_worker_without_animeface_fails_loudly(monkeypatch):
    """An interpreter without animeface's library (here the main environment's): the worker says so when it starts,
    instead of returning []."""
    import importlib.util
    import sys

    from resources.backends.animeface import AnimeFaceDetector

    if importlib.util.find_spec("animeface") is not None:
        pytest.skip("this environment has animeface")
    monkeypatch.setenv("CASTFORGE_ANIMEFACE_PYTHON", sys.executable)
    detector = AnimeFaceDetector(cache_dir=None)
    with pytest.raises(CastforgeError, match="cannot load AnimeFace"):
        detector.detect(np.zeros((64, 64, 3), np.uint8))


def penny_and_chip_frame(shared: Path, seconds: float) -> np.ndarray:
    capture = cv2.VideoCapture(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
    ok, bgr = capture.read()
    capture.release()
    assert ok
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


# Runs in the animeface environment: the worker's ctypes detector against animeface's own detect (its random state
# seeded as the worker seeds it), on the PNG files named in argv; prints how many answers are identical.
SAME_AS_ANIMEFACE = """
import json, sys
sys.path.append(sys.argv[1])
import animeface
from PIL import Image
from animeface_worker import Detector
detector = Detector()
def theirs(image):
    detector.nv.nv_srand(0)
    box = lambda part: [part.pos.x, part.pos.y, part.pos.width, part.pos.height]
    colour = lambda part: [part.color.r, part.color.g, part.color.b]
    return [{"likelihood": float(f.likelihood), "face_box": box(f.face), "left_eye_box": box(f.left_eye),
             "right_eye_box": box(f.right_eye), "mouth_box": box(f.mouth), "nose_point": [f.nose.pos.x, f.nose.pos.y],
             "chin_point": [f.chin.pos.x, f.chin.pos.y], "skin_color": colour(f.skin), "hair_color": colour(f.hair),
             "left_eye_color": colour(f.left_eye), "right_eye_color": colour(f.right_eye)}
            for f in animeface.detect(image)]
same, faces = 0, 0
for path in sys.argv[2:]:
    image = Image.open(path).convert("RGB")
    answer = theirs(image)
    same += detector.detect(image.tobytes(), image.size[1], image.size[0]) == answer
    faces += len(answer)
print(json.dumps({"same": same, "faces": faces}))
"""


@pytest.mark.slow
def test_the_worker_finds_what_animefaces_own_detect_finds(shared, tmp_path):
    """The worker drives AnimeFace's C library through ctypes: on real drawn frames (three Penny & Chip frames, a
    grid tile) every face, box, landmark and colour is the one animeface.detect gives (its colour k-means seeded
    alike), so the search and the parts' and colours' reading are AnimeFace's own."""
    import subprocess

    from resources.backends.animeface import WORKER, animeface_python

    try:
        python = animeface_python()
    except CastforgeError as error:
        pytest.skip(str(error))
    images = [penny_and_chip_frame(shared, t) for t in (27.0, 51.5, 54.0)] + [grid(shared)[:512, 2560:]]
    paths = []
    for index, image in enumerate(images):
        paths.append(str(tmp_path / f"{index}.png"))
        cv2.imwrite(paths[-1], cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    run = subprocess.run([str(python), "-c", SAME_AS_ANIMEFACE, str(WORKER.parent), *paths], capture_output=True,
                         text=True, check=True)
    result = json.loads(run.stdout)
    assert result["same"] == len(images) and result["faces"] >= 5, result


@pytest.mark.slow
def test_an_answer_depends_on_the_pixels_only(shared, detector):
    """AnimeFace reads colours with a k-means on a random state; animeface's glue leaves it running, so one frame's
    skin colour (and has_skin_colour) changed from call to call (Penny & Chip at 54 s: [252, 193, 248] then
    [244, 97, 186]). The worker seeds it per image: the same frame, asked between other frames, answers the same."""
    frame = penny_and_chip_frame(shared, 54.0)
    others = [penny_and_chip_frame(shared, t) for t in (27.0, 51.5)]
    first = detector.detect(frame)
    assert first
    for other in others:
        detector.detect(other)
        assert detector.detect(frame) == first


def test_a_window_search_other_than_animefaces_is_its_own_cache_entry(shared, tmp_path):
    """``search`` reaches the worker (a coarser search finds other faces) and keys its answers apart."""
    from resources.backends.animeface import ANIMEFACE_SEARCH, AnimeFaceDetector, cache_version

    frame = penny_and_chip_frame(shared, 54.0)
    try:
        own = AnimeFaceDetector(max_side=None, cache_dir=tmp_path, min_score=0.0)
    except CastforgeError as error:
        pytest.skip(str(error))
    coarse = AnimeFaceDetector(max_side=None, cache_dir=tmp_path, min_score=0.0, search=(4.0, 1.2, 42.592))
    assert cache_version(ANIMEFACE_SEARCH) == cache_version() != cache_version(coarse.search)
    found, coarse_found = own.detect(frame), coarse.detect(frame)
    own.close()
    coarse.close()
    assert coarse.calls == {"worker": 1, "cached": 0} and len(list(tmp_path.glob("*/*.json"))) == 2
    assert found != coarse_found


def test_a_second_detector_reads_the_first_ones_answers_and_recomputes_a_corrupt_one(shared, tmp_path):
    """The AnimeFace cache: two stages (two detectors, other thresholds) asking about the same pixels run the worker
    once and get the same faces; a corrupt or malformed stored answer is detected again and rewritten."""
    from resources.backends.animeface import AnimeFaceDetector

    tile = np.ascontiguousarray(grid(shared)[:512, 2560:])  # two faces (tile row 0, col 5)
    try:
        first = AnimeFaceDetector(cache_dir=tmp_path)
    except CastforgeError as error:
        pytest.skip(str(error))
    faces = first.detect(tile)
    first.close()
    assert faces and first.calls == {"worker": 1, "cached": 0}
    stored = list(tmp_path.glob("*/*.json"))
    assert len(stored) == 1

    same = AnimeFaceDetector(cache_dir=tmp_path)
    assert same.detect(tile) == faces and same.calls == {"worker": 0, "cached": 1}
    assert same._process is None  # answered without starting the worker
    stricter = AnimeFaceDetector(cache_dir=tmp_path, min_score=1.01)  # the threshold applies to stored answers
    assert stricter.detect(tile) == [] and stricter.calls == {"worker": 0, "cached": 1}
    same.detect(tile[:, ::-1].copy())  # other pixels: asked
    assert same.calls["worker"] == 1 and len(list(tmp_path.glob("*/*.json"))) == 2

    for broken in ("{not json", '{"faces": [{"likelihood": 0.9}]}'):
        stored[0].write_text(broken)
        third = AnimeFaceDetector(cache_dir=tmp_path)
        assert third.detect(tile) == faces and third.calls == {"worker": 1, "cached": 0}
        third.close()
        assert json.loads(stored[0].read_text())["faces"]
    same.close()


def test_the_worker_loads_the_nvxs_build_it_is_given_and_a_missing_one_is_named(shared, tmp_path, monkeypatch):
    """``CASTFORGE_ANIMEFACE_NVXS``: the worker maps that library (here a copy of the wheel's, so the same faces and,
    the same bytes, the same cache key); a path that is no file fails when the detector is built, naming it."""
    import shutil

    from resources.backends.animeface import AnimeFaceDetector, animeface_python, cache_version

    monkeypatch.setenv("CASTFORGE_ANIMEFACE_NVXS", str(tmp_path / "nowhere.so"))
    with pytest.raises(CastforgeError, match="nowhere.so is not a file"):
        AnimeFaceDetector()
    monkeypatch.setenv("CASTFORGE_ANIMEFACE_NVXS", "wheel")
    try:
        bundled_worker = AnimeFaceDetector(cache_dir=None)
    except CastforgeError as error:
        pytest.skip(str(error))
    tile = np.ascontiguousarray(grid(shared)[:512, 2560:])
    faces, _ = bundled_worker.detect(tile), bundled_worker.close()
    bundled = next(animeface_python().parents[1].glob("lib/python*/site-packages/animeface.libs/libnvxs*.so*"))
    copy = tmp_path / "build" / "libnvxs.so"
    copy.parent.mkdir()
    shutil.copy(bundled, copy)
    monkeypatch.setenv("CASTFORGE_ANIMEFACE_NVXS", str(copy))
    given = AnimeFaceDetector(cache_dir=None, in_process=False)  # the worker; in this process: below
    assert given.detect(tile) == faces and faces
    assert str(copy) in Path(f"/proc/{given._process.pid}/maps").read_text()
    given.close()
    here = AnimeFaceDetector(cache_dir=None)
    assert here.detect(tile) == faces and str(copy) in Path("/proc/self/maps").read_text()
    assert cache_version(nvxs=copy) != cache_version() and cache_version(nvxs=copy) == cache_version(nvxs=bundled)


def test_the_default_is_the_o3_build_where_setup_made_it_and_it_finds_the_wheels_faces(shared, tmp_path,
                                                                                       monkeypatch):
    """Unset, ``CASTFORGE_ANIMEFACE_NVXS`` means ``<env>/nvxs/libnvxs.so`` where install/build_nvxs.sh built it (else
    the wheel's); ``wheel`` forces the wheel's. The -O3 build is not bit-exact (the wheel's -ffast-math code): on a
    grid region of labelled faces it finds the wheel's faces at the same boxes, likelihoods within 0.03."""
    from resources.backends.animeface import AnimeFaceDetector, animeface_python, nvxs_library

    monkeypatch.delenv("CASTFORGE_ANIMEFACE_NVXS", raising=False)
    python = tmp_path / "env" / "bin" / "python"
    assert nvxs_library(python) is None
    (tmp_path / "env" / "nvxs").mkdir(parents=True)
    (tmp_path / "env" / "nvxs" / "libnvxs.so").write_bytes(b"\x7fELF")
    assert nvxs_library(python) == tmp_path / "env" / "nvxs" / "libnvxs.so"
    monkeypatch.setenv("CASTFORGE_ANIMEFACE_NVXS", "wheel")
    assert nvxs_library(python) is None

    built = animeface_python().parents[1] / "nvxs" / "libnvxs.so"
    if not built.is_file():
        pytest.skip(f"no -O3 nvxs build at {built} (bash install/build_nvxs.sh .venv-animeface)")
    tile = np.ascontiguousarray(grid(shared)[:1024, 1024:2048])
    try:
        wheel = AnimeFaceDetector(cache_dir=None, min_score=0.0)
    except CastforgeError as error:
        pytest.skip(str(error))
    expected, _ = wheel.detect(tile), wheel.close()
    monkeypatch.delenv("CASTFORGE_ANIMEFACE_NVXS")
    fast = AnimeFaceDetector(cache_dir=None, min_score=0.0)
    assert fast.nvxs == built
    found, _ = fast.detect(tile), fast.close()
    confident = [f for f in expected if f.score >= 0.6]
    assert len(confident) >= 3
    for face in confident:
        twin = [f for f in found if f.box == face.box]
        assert twin and abs(twin[0].score - face.score) < 0.03, (face, found)


def test_faces_whose_skin_reads_as_cloth_are_dropped_and_the_drawn_face_kept(shared, tmp_path):
    """Penny & Chip shot 6 (t = 51.5 s, hand-labelled): AnimeFace finds Penny's face (the skin it reads is her
    glasses' pale lens) and a 'face' on her grey T-shirt; with require_skin only the face is left, read from the
    same stored answer. Skin colours AnimeFace read on that run: Chip's warm skin and a ghost's white pass, green
    overalls, a grey shirt and a blue jersey do not."""
    from resources.backends.animeface import AnimeFace, AnimeFaceDetector, has_skin_colour

    capture = cv2.VideoCapture(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, 51.5 * 1000)
    ok, bgr = capture.read()
    capture.release()
    assert ok
    frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    penny = json.loads((LABELS.parent / "penny_and_chip_faces.json").read_text())["frames"]["6"]["penny"]
    try:
        plain = AnimeFaceDetector(max_side=None, cache_dir=tmp_path)
    except CastforgeError as error:
        pytest.skip(str(error))
    every = plain.detect(frame)
    plain.close()
    assert any(matches(f.box, penny) for f in every) and any(not matches(f.box, penny) for f in every)
    skinned = AnimeFaceDetector(max_side=None, cache_dir=tmp_path, require_skin=True)
    kept = skinned.detect(frame)
    assert skinned.calls == {"worker": 0, "cached": 1}
    assert kept and all(matches(f.box, penny) for f in kept)
    assert kept == [f for f in every if has_skin_colour(f)]

    def face(skin: tuple[int, int, int]) -> AnimeFace:
        return AnimeFace((0, 0, 9, 9), 0.9, (0, 0, 1, 1), (2, 0, 3, 1), (0, 2, 3, 3), (1, 1), (1, 3), (0, 0, 0), skin,
                         (0, 0, 0), (0, 0, 0))

    assert has_skin_colour(face((235, 198, 152))) and has_skin_colour(face((252, 252, 252)))  # Chip, a ghost
    assert has_skin_colour(face((182, 134, 92)))  # Penny's brown skin where AnimeFace reads it
    for cloth in ((165, 222, 126), (150, 150, 151), (100, 130, 200)):
        assert not has_skin_colour(face(cloth))


@pytest.mark.parametrize("box, label, expected", [
    ((10, 10, 50, 50), (0, 0, 60, 60), True),       # inside, similar size
    ((10, 10, 20, 20), (0, 0, 100, 100), False),     # far too small: an eye, not the face
    ((70, 70, 90, 90), (0, 0, 60, 60), False),       # centre outside
])
def test_detection_matching_rule(box, label, expected):
    assert matches(box, label) is expected


def test_scoring_counts_each_label_once_and_ignores_doodle_zones():
    labels = [(0, 0, 100, 100), (200, 0, 300, 100)]
    detections = [(10, 10, 90, 90), (12, 12, 88, 88), (400, 400, 420, 420), (205, 5, 295, 95)]
    score = score_detections(detections, labels, ignore=[(390, 390, 430, 430)])
    assert score == DetectionScore(hits=2, misses=0, false_positives=1)
    assert score.recall == 1.0 and score.precision == pytest.approx(2 / 3)


class _YunetOnly:
    """The FaceAnalyzer detection half over YuNet at the drawn-face threshold."""

    detectors = ("yunet",)

    def __init__(self) -> None:
        from resources.backends.onnx_faces import OnnxFaceDetectors

        self._onnx = OnnxFaceDetectors(("yunet",), thresholds={"yunet": 0.35})

    def detect(self, image: np.ndarray, detector: str | None = None) -> list:
        return self._onnx.detect(image, "yunet")


def test_the_upscaled_pass_finds_small_drawn_faces_the_frame_scale_pass_misses(shared):
    """Penny & Chip (shot 3, labelled faces) at half size: faces of 40-60 px that YuNet misses at frame scale are
    found in each character's box upscaled 2x, and mapped back onto the labelled faces."""
    from assets.faces.core import FaceParams, frame_faces

    labels = json.loads((LABELS.parent / "penny_and_chip_faces.json").read_text())["frames"]["3"]
    capture = cv2.VideoCapture(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, (8 * 3 + 3.5) * 1000)
    ok, bgr = capture.read()
    capture.release()
    assert ok
    image = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    faces, boxes = {}, {}
    for name in ("penny", "chip"):  # the label's face, and a body box below it as the instance
        x0, y0, x1, y1 = (v * 0.5 for v in labels[name])
        faces[name], side = (x0, y0, x1, y1), x1 - x0
        boxes[name] = (max(x0 - side, 0), max(y0 - 0.3 * side, 0), min(x1 + side, image.shape[1]),
                       min(y1 + 3 * side, image.shape[0]))
    analyzer = _YunetOnly()
    assert frame_faces(image, boxes, analyzer, FaceParams(min_face_size=12)) == []
    found = dict(frame_faces(image, boxes, analyzer, FaceParams(min_face_size=12, upscale_pass=2.0)))
    assert set(found) == {"penny", "chip"}
    for name, face in found.items():
        cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
        x0, y0, x1, y1 = faces[name]
        assert x0 <= cx <= x1 and y0 <= cy <= y1, (name, face.box, faces[name])
        assert face.detector == "yunet@x2.0" and face.landmarks.shape == (5, 2)
    # the upscaled side is capped: a box already that large is not searched again
    whole = {"penny": (0, 0, image.shape[1], image.shape[0])}
    assert frame_faces(image, whole, analyzer, FaceParams(min_face_size=12, upscale_pass=2.0)) != []
    assert frame_faces(image, whole, analyzer, FaceParams(min_face_size=12, upscale_pass=2.0,
                                                          upscale_max_side=image.shape[1])) == []


def test_a_tall_frame_is_read_at_480_rows_and_shares_the_instances_cue_answer(shared, castforge_home):
    """face_embeddings' drawn analyzer reads a 1080-row frame at 480 rows with the instances stage's own scaling, so
    the instances cue (given the scaled frame) and face_embeddings (given the full frame) ask the worker once; boxes
    and landmarks come back in full-frame pixels, on the labelled faces. A 480-row frame is read as it is."""
    from types import SimpleNamespace

    from resources.analysis_frame import analysis_scale, scaled_frame
    from resources.backends.animeface import AnimeFaceDetector
    from resources.backends.drawn_faces import DrawnFaceAnalyzer

    tile = np.ascontiguousarray(grid(shared)[:512, 2560:])  # two labelled faces (tile row 0, col 5)
    factor = 1080 / 512
    tall = cv2.resize(tile, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    assert tall.shape[0] == 1080
    recogniser = SimpleNamespace(name="drawn", model="test/none", embedding_dim=4)  # detection only: never embeds
    try:
        analyzer = DrawnFaceAnalyzer(("animeface",), recogniser)
    except CastforgeError as error:
        pytest.skip(str(error))
    faces_stage = analyzer._animeface
    cue = AnimeFaceDetector()  # the instances cue: the same cache under CASTFORGE_HOME, handed the analysis frame
    scale = analysis_scale(tall.shape[0], 480)
    at_analysis = cue.detect(scaled_frame(tall, scale))
    faces = analyzer.detect(tall)
    assert cue.calls == {"worker": 1, "cached": 0} and faces_stage.calls == {"worker": 0, "cached": 1}
    assert faces_stage._process is None
    assert len(faces) == len(at_analysis) >= 1
    for full, small in zip(faces, at_analysis):
        np.testing.assert_allclose(full.box, np.array(small.box) / scale, rtol=1e-6)
        np.testing.assert_allclose(full.landmarks, small.landmarks5() / scale, rtol=1e-5)
    labels = [[factor * (v - o) for v, o in zip(b, (2560, 0, 2560, 0))] for b in ([2833, 110, 2913, 190],
                                                                                [2717, 132, 2805, 220])]
    assert score_detections([f.box for f in faces], labels).hits >= 1

    short = np.ascontiguousarray(tall[:480])  # 480 rows: the frame itself, the same question as without a cap
    analyzer.detect(short)
    assert faces_stage.calls["worker"] == 1
    assert [f.box for f in cue.detect(short)] == [f.box for f in analyzer.detect(short)] and cue.calls["cached"] == 1
    cue.close()
    analyzer.close()


def test_a_tall_frame_is_scaled_once_for_every_detector_of_the_fallback_order(shared, monkeypatch):
    """The faces stage asks each 2D detector in turn about the same frame: a 1080-row frame is scaled to 480 rows
    once for all of them, each detector's faces those it finds on the scaled frame (mapped back), and the next
    frame is scaled anew (its own faces, not the last frame's)."""
    from types import SimpleNamespace

    from resources.analysis_frame import analysis_scale, scaled_frame
    from resources.backends import drawn_faces
    from resources.backends.onnx_faces import OnnxFaceDetectors

    capture = cv2.VideoCapture(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"))
    tall = []
    for shot in (3, 5):
        capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
        ok, bgr = capture.read()
        assert ok
        tall.append(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), None, fx=1080 / bgr.shape[0],
                               fy=1080 / bgr.shape[0], interpolation=cv2.INTER_CUBIC))
    capture.release()
    scalings = []

    def counted(image: np.ndarray, scale: float) -> np.ndarray:
        scalings.append(scale)
        return scaled_frame(image, scale)

    monkeypatch.setattr(drawn_faces, "scaled_frame", counted)
    recogniser = SimpleNamespace(name="drawn", model="test/none", embedding_dim=4)  # detection only: never embeds
    thresholds = {"yunet": 0.35}
    analyzer = drawn_faces.DrawnFaceAnalyzer(("anime", "yunet"), recogniser, thresholds=thresholds)
    reference = OnnxFaceDetectors(("anime", "yunet"), 0.5, thresholds=thresholds)
    boxes = []
    for count, frame in enumerate(tall, start=1):
        scale = analysis_scale(frame.shape[0], 480)
        small = scaled_frame(frame, scale)
        for detector in ("anime", "yunet"):
            found = analyzer.detect(frame, detector)
            expected = [drawn_faces.scaled_back(face, scale) for face in reference.detect(small, detector)]
            assert [f.box for f in found] == [f.box for f in expected]
            boxes.append([f.box for f in found])
        assert len(scalings) == count
    assert any(boxes[:2]) and any(boxes[2:]) and boxes[:2] != boxes[2:]
    analyzer.release()
    assert analyzer._last_scaled is None
