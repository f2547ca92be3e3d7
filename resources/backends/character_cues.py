"""Character evidence from real small models in CASTFORGE_MODELS: faces (YuNet via OpenCV, or SCRFD via
onnxruntime), people and animals (YOLOX-nano, COCO, onnxruntime) and a person/animal class map (DeepLabV3
MobileNetV2, PASCAL VOC, TFLite via ai-edge-litert).

Used as seeds by the offline character segmenter and, for any segmenter, to score how likely a mask is a
character (faces inside it, detector boxes over it, class-map coverage). Images are RGB uint8 H x W x 3.
"""

import logging
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from resources.area_resize import area_resized
from resources.backends.cue_memo import class_map, frame_answers
from resources.cores import model_threads
from resources.errors import MissingWeightsError
from resources.paths import find_model

log = logging.getLogger(__name__)

YUNET = "face/face_detection_yunet_2023mar.onnx"
YOLOX = "det/yolox_nano_coco.onnx"
DEEPLAB = "seg/deeplabv3_mnv2_pascal_quant.tflite"
# COCO classes that are characters in a film: person and animals (a dragon is often called a bird or a horse)
COCO_CHARACTERS = {0: "person", 14: "bird", 15: "cat", 16: "dog", 17: "horse", 18: "sheep", 19: "cow",
                   20: "elephant", 21: "bear", 22: "zebra", 23: "giraffe"}
# COCO classes a detector trained on photographs gives drawn and toy-like characters instead of "person": a drawn
# character with a large head, round eyes and flat fills reads as a teddy bear (tune composites: 0.26-0.75 on Sita,
# box IoU 0.65-0.96 with her). Not characters by themselves: seeds only where nothing else boxes the character and
# BlazePose confirms a figure in the box (resources/backends/character_toys.py)
COCO_TOYS = {77: "teddy bear"}
# PASCAL VOC classes counted as character pixels: bird, cat, cow, dog, horse, person, sheep
VOC_CHARACTERS = (3, 8, 10, 12, 13, 15, 17)


def require_model(relative: str, backend: str) -> str:
    path = find_model(relative)
    if path is None:
        raise MissingWeightsError(backend, relative, "Put the file under a folder listed in CASTFORGE_MODELS "
                                  "(e.g. CASTFORGE_MODELS=../shared/models) or under $CASTFORGE_HOME/models.")
    return str(path)


class Cues:
    """faces: N x 5 (x0, y0, x1, y1, score); bodies: M x 6 (x0, y0, x1, y1, score, coco class);
    class_mask: bool H x W, pixels DeepLab calls a person or an animal; weak_faces: K x 5, face detections scored
    below the trusted face score (only seeds, once other evidence confirms them: character_weak_faces); toys: T x 6
    boxes of COCO_TOYS classes (likewise: character_toys); objects: O x 5 (box, objectness) where YOLOX sees an
    object of any class (likewise: character_objects). Frame pixels throughout.

    ``class_mask_of`` (instead of ``class_mask``) computes the class map on first read: a frame with no seed and
    no mask to score never reads it, so DeepLab (the costliest cue) runs only where it can matter. ``drawn``: the
    frame's cues were made for a drawn shot (with AnimeFace's 2D faces), where a character is not textured."""

    def __init__(self, faces: np.ndarray | None = None, bodies: np.ndarray | None = None,
                 class_mask: np.ndarray | None = None, class_mask_of: Callable[[], np.ndarray] | None = None,
                 weak_faces: np.ndarray | None = None, toys: np.ndarray | None = None, drawn: bool = False,
                 objects: np.ndarray | None = None):
        self.drawn = drawn
        self.objects = np.zeros((0, 5), np.float32) if objects is None else objects
        self.faces = np.zeros((0, 5), np.float32) if faces is None else faces
        self.weak_faces = np.zeros((0, 5), np.float32) if weak_faces is None else weak_faces
        self.toys = np.zeros((0, 6), np.float32) if toys is None else toys
        self.bodies = np.zeros((0, 6), np.float32) if bodies is None else bodies
        self._class_mask, self._class_mask_of = class_mask, None if class_mask is not None else class_mask_of
        # set by the segmenter, never pickled: the seeds it cut after its rules (None: not told), and where it found
        # no instance, why (the instances stage records it per frame: `instance_misses`)
        self.seeds: int | None = None
        self.empty_reason: str | None = None

    @property
    def class_mask(self) -> np.ndarray | None:
        if self._class_mask_of is not None:
            self._class_mask, self._class_mask_of = self._class_mask_of(), None
        return self._class_mask

    @class_mask.setter
    def class_mask(self, value: np.ndarray | None) -> None:
        self._class_mask, self._class_mask_of = value, None

    def with_bodies(self, more: np.ndarray) -> "Cues":
        """These cues with ``more`` person boxes (N x 6) appended to ``bodies``, for seeding (confirmed toy, weak
        person and object boxes); the class map still computed on first read. Cues pickled before an attribute
        existed lack it: read with a default."""
        return Cues(self.faces, np.concatenate([self.bodies, more]).astype(np.float32),
                    class_mask_of=lambda: self.class_mask, weak_faces=getattr(self, "weak_faces", None),
                    drawn=getattr(self, "drawn", False))

    def __getstate__(self) -> dict:
        """Pickled (e.g. cached cues, or sent to another process) with the class map computed."""
        return {"faces": self.faces, "bodies": self.bodies, "_class_mask": self.class_mask, "_class_mask_of": None,
                "weak_faces": self.weak_faces, "toys": self.toys, "drawn": self.drawn,
                "objects": self.objects}


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    order, keep = np.argsort(-scores), []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx0 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy0 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx1 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy1 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx1 - xx0, 0, None) * np.clip(yy1 - yy0, 0, None)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
        order = rest[inter / (area(boxes[i]) + area(boxes[rest]) - inter + 1e-9) <= iou]
    return keep


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


# YuNet reads a larger frame at this many pixels on its long side (memory and time grow with the input). Smaller
# is cheaper (62 -> 39 / 17 CPU-ms a 720p frame at 960 / 640) but not the same faces: 2-6 of the 12 faces of 30
# Sintel frames at 1080p are lost and drawn frames gain false ones (bench/instances.py --cue-costs)
YUNET_MAX_SIDE = 1280
# YuNet faces from this score up are kept as weak faces (below the trusted face score; drawn faces score 0.05-0.5):
# seeds only where other evidence confirms them (resources/backends/character_weak_faces.py)
WEAK_FACE_SCORE = 0.05


class YunetFaceDetector:
    name, model = "yunet", YUNET

    def __init__(self, score_threshold: float = 0.6, max_side: int = YUNET_MAX_SIDE):
        from resources.backends.yunet_answers import CachedYunet

        self.model = require_model(YUNET, "yunet")
        # answers stored for face_embeddings where asked (``detect``'s keep), never read here
        self.detector = CachedYunet(self.model, score_threshold, read=False)
        self.max_side = max_side

    def detect(self, rgb: np.ndarray, keep: bool = False) -> np.ndarray:
        """N x 5 faces (box, score); ``keep``: the answer stored for the faces stage (resources/backends/
        yunet_answers.py), which reads it where it asks YuNet about the same pixels: a drawn frame at its analysis
        size (its 2D analyzer scales the frame the same way)."""
        h, w = rgb.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        if scale < 1.0:  # resized first, then reordered: the same pixels (each channel resized alone), less work
            rgb = area_resized(rgb, round(w * scale), round(h * scale))
        found = self.detector.rows(rgb, keep)
        if not len(found):
            return np.zeros((0, 5), np.float32)
        boxes = np.c_[found[:, 0], found[:, 1], found[:, 0] + found[:, 2], found[:, 1] + found[:, 3]] / scale
        boxes = np.clip(boxes, 0, [w, h, w, h])
        return np.c_[boxes, found[:, 14]].astype(np.float32)


class DeeplabCharacterMask:
    """DeepLabV3 MobileNetV2 (PASCAL VOC, 513 x 513 uint8) -> bool mask of person/animal pixels. The model runs cut
    before its upsampling to 513 x 513 and ARG_MAX, which are done for the frame's pixels only, with the same
    classes (resources/backends/litert_deeplab.py); ``whole=True`` runs the whole graph."""

    name, size = "deeplabv3_mnv2", 513

    def __init__(self, whole: bool = False):
        from ai_edge_litert.interpreter import Interpreter

        from resources.backends.litert_deeplab import upsampling_tail

        self.model = require_model(DEEPLAB, "deeplabv3")
        content = Path(self.model).read_bytes()
        if not whole:
            probe = Interpreter(model_content=content, num_threads=1)
            self.tail = upsampling_tail(content, {t["index"]: t for t in probe.get_tensor_details()})
            content = self.tail.content if self.tail is not None else content
        else:
            self.tail = None
        self.interpreter = Interpreter(model_content=content, num_threads=model_threads())
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.wanted = np.isin(np.arange(256), VOC_CHARACTERS)

    def mask(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        r = self.size / max(h, w)
        nh, nw = max(1, round(h * r)), max(1, round(w * r))
        canvas = np.zeros((self.size, self.size, 3), np.uint8)
        canvas[:nh, :nw] = area_resized(rgb, nw, nh)
        self.interpreter.set_tensor(self.input, canvas[None])
        self.interpreter.invoke()
        if self.tail is not None:
            from resources.backends.litert_deeplab import character_pixels

            logits = self.interpreter.get_tensor(self.output)[0]
            hit = character_pixels(logits, self.tail.height, self.tail.width, nh, nw,
                                   self.wanted[:logits.shape[2]]).view(np.uint8)
        else:
            classes = self.interpreter.get_tensor(self.output)[0][:nh, :nw]
            hit = np.isin(classes, VOC_CHARACTERS).astype(np.uint8)
        return cv2.resize(hit, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)


class AnimeFaceCue:
    """2D (anime / cartoon) faces from AnimeFace 2009 (resources/backends/animeface.py, engineer 3's adapter in its
    own environment) as N x 5 boxes; YuNet, trained on photos, misses most drawn faces."""

    name = "animeface"

    def __init__(self, min_score: float = 0.5):
        from resources.backends.animeface import AnimeFaceDetector

        self.detector = AnimeFaceDetector(min_score=min_score)
        self.model = "animeface==2.0.3 (AnimeFace 2009)"

    def detect(self, rgb: np.ndarray) -> np.ndarray:
        found = [(*face.box, face.score) for face in self.detector.detect(rgb)]
        return np.array(found, np.float32).reshape(-1, 5)


def merge_faces(*groups: np.ndarray, overlap: float = 0.5) -> np.ndarray:
    """Face boxes of several detectors as one N x 5 array. Two detectors frame the same face differently (one box
    often inside the other), so a box is a duplicate when half of the smaller box lies in a better-scored one."""
    faces = np.concatenate([g.reshape(-1, 5) for g in groups]).astype(np.float32)
    kept: list[np.ndarray] = []
    for face in faces[np.argsort(-faces[:, 4])]:
        if all(overlap_of_smaller(face, other) < overlap for other in kept):
            kept.append(face)
    return np.array(kept, np.float32).reshape(-1, 5)


def overlap_of_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller of two boxes (x0, y0, x1, y1, ...) that the other overlaps."""
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(inter / smaller) if smaller > 0 else 0.0


class CharacterCues:
    """All cue models, loaded once: YuNet faces (plus AnimeFace 2D faces with ``anime_faces``, started on first
    use), YOLOX-nano people and animals, DeepLab character pixels."""

    def __init__(self, face_score: float = 0.6, person_score: float = 0.3, animal_score: float = 0.5,
                 anime_faces: bool = False):
        # one YuNet run gives the trusted faces (face_score and up) and the weak ones below them
        self.faces = YunetFaceDetector(min(face_score, WEAK_FACE_SCORE))
        self.face_score = face_score
        from resources.backends.yolox_boxes import YoloxCharacterDetector  # its module reads this one's helpers

        self.bodies = YoloxCharacterDetector(person_score, animal_score)
        self.classes = DeeplabCharacterMask()
        self.anime_faces_default = anime_faces
        self._anime: AnimeFaceCue | None = None
        self._anime_missing: str | None = None
        # where AnimeFace's environment is missing drawn frames are cut without it (anime_detector): the name, part
        # of the instances stage's cache key, says so, so the cut-outs are made again once the environment exists
        from resources.backends.animeface import animeface_environment_found

        missing = "" if animeface_environment_found() else "+no-animeface"
        self.name = "yunet+" + ("animeface+" if anime_faces else "") + "yolox_nano+deeplabv3" + missing
        self.model = ";".join([self.faces.model] + (["animeface==2.0.3"] if anime_faces else [])
                              + [self.bodies.model, self.classes.model])

    def anime_detector(self) -> "AnimeFaceCue | None":
        """The AnimeFace cue, or None (warned once) where its environment is missing: the frame is then cut from
        the other cues, never failed."""
        if self._anime is None and self._anime_missing is None:
            try:
                self._anime = AnimeFaceCue()
            except Exception as error:  # missing .venv-animeface: named in the warning, the other cues still work
                self._anime_missing = str(error)
                log.warning("2D faces (AnimeFace) unavailable, cutting out without them: %s", error)
        return self._anime

    def __call__(self, rgb: np.ndarray, anime_faces: bool | None = None) -> Cues:
        use_anime = self.anime_faces_default if anime_faces is None else anime_faces
        anime = self.anime_detector() if use_anime else None

        def detect() -> dict[str, np.ndarray]:
            found = self.faces.detect(rgb, keep=bool(use_anime))
            trusted = found[:, 4] >= self.face_score
            faces = merge_faces(found[trusted], *([anime.detect(rgb)] if anime is not None else []))
            bodies, toys, objects = self.bodies.detect_all(rgb)
            return {"faces": faces, "bodies": bodies, "weak_faces": found[~trusted], "toys": toys, "objects": objects}

        # a frame segmented again in the shot (a key frame the shot seeds cut again): the first answers (cue_memo)
        got, key = frame_answers(rgb, bool(use_anime), anime is not None, detect)
        return Cues(got["faces"], got["bodies"], class_mask_of=lambda: class_map(key, lambda: self.classes.mask(rgb)),
                    weak_faces=got["weak_faces"], toys=got["toys"], drawn=bool(use_anime), objects=got["objects"])
