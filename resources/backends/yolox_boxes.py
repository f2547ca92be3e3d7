"""People, animals, toys and things of any class in a frame: YOLOX-nano (COCO, onnxruntime), the body cue of
``character_cues.CharacterCues``. Person boxes come down to a weak score (drawn characters score 0.1-0.3), COCO_TOYS
boxes (a drawn figure is a teddy bear to it) and object boxes of any class by their objectness (a faceless drawn
character is a fire hydrant or a chair to it): candidate seeds the segmenter confirms (character_toys,
character_objects). Images are RGB uint8 H x W x 3; boxes x0, y0, x1, y1 in the image's pixels.
"""

import cv2
import numpy as np

from resources.area_resize import area_resized
from resources.backends.character_cues import COCO_CHARACTERS, COCO_TOYS, YOLOX, box_iou, nms, require_model
from resources.cores import model_threads

TOY_SCORE = 0.3  # COCO_TOYS boxes from here up are returned (as candidate seeds: character_toys)
WEAK_PERSON_SCORE = 0.1  # person boxes from here up are returned; below person_score they only serve a face inside
ZOOM_OUT = (1.0, 2.0)  # YOLOX passes: the frame as is, and at half size on a grey canvas (characters filling the frame)
ZOOM_MIN_HEIGHT = 0.4  # a zoomed-out pass's box counts only this tall (fraction of the frame's height) or taller
# Boxes of any class from this objectness up are returned as objects (YOLOX sees a thing there, whatever it calls it: a
# faceless drawn character is a teddy bear, a fire hydrant or a chair to it): candidate seeds (character_objects)
OBJECT_SCORE = 0.2
# ... and from this fainter objectness too (session 30, h1): YOLOX boxes a faceless drawn figure standing clear of
# everything (a robot, a zombie, a climber seen from behind) tightly (box IoU 0.73-0.97 with it) but often with an
# objectness of 0.1-0.2 only (Kenney tune composites, seeds 29 / 7 / 31 / 33: 10 of 35 characters no cut-out covers).
# A faint box seeds only where ``character_objects.figure_objects`` finds BlazePose sure of a figure in it (not a weak
# face at its head, its motion or its cel fills: on Penny & Chip those confirm pumpkins, flowers, clouds and the moon
# in faint boxes). Off (FAINT_OBJECTS False): boxes from OBJECT_SCORE only (``seed_objects``), as before.
FAINT_OBJECTS = True
FAINT_OBJECT_SCORE = 0.1


class YoloxCharacterDetector:
    """YOLOX-nano (416 x 416, letterboxed with grey 114, BGR 0-255), decoded on its 8/16/32 stride grids. Person boxes
    down to ``weak_score`` are returned (drawn characters often score 0.1-0.3); the segmenter trusts them only where
    a face confirms them."""

    name, size = "yolox_nano", 416

    def __init__(self, score_threshold: float = 0.35, animal_threshold: float = 0.5,
                 weak_score: float = WEAK_PERSON_SCORE, zoom_out: tuple[float, ...] = ZOOM_OUT,
                 toy_score: float = TOY_SCORE, object_score: float = FAINT_OBJECT_SCORE):
        import onnxruntime as ort

        self.model = require_model(YOLOX, "yolox_nano")
        options = ort.SessionOptions()
        options.intra_op_num_threads = model_threads()
        # no busy-waiting between ops: on cores shared with other workers the spinning threads only burn CPU
        # (measured under load: 91 -> 53 CPU-ms a frame at 2 threads, 46 at 1; the boxes are the same)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(self.model, options, providers=["CPUExecutionProvider"])
        self.score_threshold, self.animal_threshold, self.toy_score = score_threshold, animal_threshold, toy_score
        self.object_score = object_score
        self.weak_score = min(weak_score, score_threshold)
        self.lowest_score = min(self.weak_score, self.toy_score, self.animal_threshold)
        self.zoom_out = zoom_out
        grids, strides = [], []
        for stride in (8, 16, 32):
            n = self.size // stride
            yy, xx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
            grids.append(np.stack([xx, yy], -1).reshape(-1, 2))
            strides.append(np.full((n * n, 1), stride))
        self.grid, self.stride = np.concatenate(grids), np.concatenate(strides)

    def detect(self, rgb: np.ndarray) -> np.ndarray:
        """N x 6 person and animal boxes (x0, y0, x1, y1, score, COCO class); see ``detect_with_toys``."""
        return self.detect_with_toys(rgb)[0]

    def detect_with_toys(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(person and animal boxes, COCO_TOYS boxes), N x 6 each; see ``detect_all``."""
        return self.detect_all(rgb)[:2]

    def detect_all(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(person and animal boxes, COCO_TOYS boxes, N x 6 each; objects of any class, O x 5 with their
        objectness from ``object_score`` up, merged by NMS whatever their class) from one set of passes. Every pass
        in ``zoom_out`` (1.0: the frame fills the input; 2.0: the frame at half size
        in the middle of a grey canvas, so a character as tall as the frame looks like one YOLOX-nano was trained
        on: drawn characters filling the frame score near 0 at 1.0 and 0.3-0.7 at 2.0), merged by NMS."""
        h, w = rgb.shape[:2]
        passes = [self._pass(rgb, zoom) for zoom in self.zoom_out]
        # a zoomed-out pass is for characters that fill the frame; its smaller boxes are blurred foreground objects
        # and distant scenery more often than characters the plain pass missed
        tall = lambda f, zoom: f if zoom <= 1.0 else f[f[:, 3] - f[:, 1] >= ZOOM_MIN_HEIGHT * h]  # noqa: E731
        found = [tall(f, zoom) for (f, _), zoom in zip(passes, self.zoom_out)]
        objects = np.concatenate([tall(o, zoom) for (_, o), zoom in zip(passes, self.zoom_out)])
        objects[:, :4] = np.clip(objects[:, :4], 0, [w, h, w, h])
        objects = objects[nms(objects[:, :4], objects[:, 4], 0.45)].astype(np.float32).reshape(-1, 5)
        boxes = np.concatenate(found)
        if not len(boxes):
            return np.zeros((0, 6), np.float32), np.zeros((0, 6), np.float32), objects
        zoomed = np.concatenate([np.full(len(f), zoom > 1.0) for f, zoom in zip(found, self.zoom_out)])
        boxes[:, :4] = np.clip(boxes[:, :4], 0, [w, h, w, h])
        chosen = [i for c in np.unique(boxes[:, 5]) for i in np.flatnonzero(boxes[:, 5] == c)[
            nms(boxes[boxes[:, 5] == c, :4], boxes[boxes[:, 5] == c, 4], 0.45)]]
        # a zoomed-out box on a better plain box of another class is the same character named again (a girl seen
        # as a person at full size and as a bird zoomed out): one seed, not two
        plain = [j for j in chosen if not zoomed[j] and int(boxes[j, 5]) not in COCO_TOYS]  # toys never drop a box
        chosen = [i for i in chosen if not zoomed[i] or not any(
            boxes[j, 4] >= boxes[i, 4] and box_iou(boxes[i, :4], boxes[j, :4]) > 0.45 for j in plain)]
        boxes = boxes[sorted(chosen, key=lambda i: -boxes[i, 4])].astype(np.float32)
        toy = np.isin(boxes[:, 5], list(COCO_TOYS))
        return boxes[~toy], boxes[toy], objects

    def _pass(self, rgb: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
        """One letterboxed run on the frame padded to ``zoom`` times its size (centred): (character and toy boxes
        N x 6, object boxes O x 5), in frame pixels. The frame is resized, then put in YOLOX's BGR order (the same
        pixels as converting the whole frame first)."""
        h, w = rgb.shape[:2]
        ch, cw = round(h * zoom), round(w * zoom)
        oy, ox = (ch - h) // 2, (cw - w) // 2
        r = min(self.size / ch, self.size / cw)
        canvas = np.full((self.size, self.size, 3), 114, np.uint8)
        nh, nw = max(1, int(h * r)), max(1, int(w * r))
        py, px = int(oy * r), int(ox * r)
        canvas[py:py + nh, px:px + nw] = cv2.cvtColor(area_resized(rgb, nw, nh),
                                                      cv2.COLOR_RGB2BGR)
        out = self.session.run(None, {"images": canvas.transpose(2, 0, 1)[None].astype(np.float32)})[0][0]
        # a row's score is objectness x its best class's; with objectness >= 0 (a sigmoid's) rounding keeps the
        # products' order, so the best product is objectness x the best class score, and a row whose best is under
        # every class's threshold is never kept: only the others are scored (the same boxes, 1 of ~17 ms a pass)
        rows = np.flatnonzero((out[:, 4] * out[:, 5:].max(1) >= self.lowest_score)
                              | (out[:, 4] >= self.object_score)) if out[:, 4].min() >= 0 else np.arange(len(out))
        out, grid, stride = out[rows], self.grid[rows], self.stride[rows]
        centre, size = (out[:, :2] + grid) * stride, np.exp(out[:, 2:4]) * stride
        scores = out[:, 4:5] * out[:, 5:]
        cls, conf = scores.argmax(1), scores.max(1)
        wanted = np.isin(cls, [*COCO_CHARACTERS, *COCO_TOYS])
        threshold = np.where(cls == 0, self.weak_score,
                             np.where(np.isin(cls, list(COCO_TOYS)), self.toy_score, self.animal_threshold))
        keep = wanted & (conf >= threshold)
        boxes = (np.c_[centre - size / 2, centre + size / 2] - [px, py, px, py]) * [w / nw, h / nh, w / nw, h / nh]
        thing = out[:, 4] >= self.object_score
        return (np.c_[boxes[keep], conf[keep], cls[keep]].reshape(-1, 6),
                np.c_[boxes[thing], out[thing, 4]].reshape(-1, 5))


def seed_objects(objects: np.ndarray | None) -> np.ndarray | None:
    """The object boxes (O x 5) the seeding rules read: from FAINT_OBJECT_SCORE where FAINT_OBJECTS, else from
    OBJECT_SCORE (None stays None: cues made before objects existed)."""
    return objects if objects is None else objects[objects[:, 4] >= (FAINT_OBJECT_SCORE if FAINT_OBJECTS
                                                                     else OBJECT_SCORE)]
