"""Drawn characters that no face, person box or toy box seeds: a box YOLOX draws round an object of any class,
kept in a drawn shot where a figure is confirmed in it.

A faceless drawn character (a robot, a zombie, a figure from behind or in profile, flat fills and no line art) is,
to YOLOX-nano trained on photographs, an object it cannot name: it boxes the whole figure well (box IoU 0.7-0.96
with the character on Kenney's tune composites) with a fair objectness (0.25-0.7) but calls it a teddy bear, a fire
hydrant, a chair or a person too weakly to seed (``character_cues.Cues.objects``: every box of any class from
``yolox_boxes.OBJECT_SCORE``, or from its ``FAINT_OBJECT_SCORE`` where ``FAINT_OBJECTS``, session 30: a faceless
figure standing clear is often boxed tightly but faintly, and a faint box is confirmed by BlazePose only;
``seed_objects``). An object box is no character by itself (a cup, a lamp, a rock), so it seeds only in a drawn shot
(``Cues.drawn``), where nothing the segmenter trusts already holds it (a person or animal box, a confirmed toy or
weak person box, a trusted face at or just above it), where it has a figure's shape and is seen whole
(``figure_shaped``: at least MIN_HEIGHT of the frame's height, an upright box, clear of the frame's top and sides:
on Penny & Chip, BlazePose is sure of a figure in wide clouds, and in a sofa, a tree or a sun the frame cuts; or cut
by one of the frame's sides, ``cut_figure_shaped``, CUT_FIGURES, and then not confirmed by BlazePose alone; or a
close figure whose box reaches the frame's top, ``top_figure_shaped``, TOP_FIGURES, confirmed only by a clear weak
face at its head)
and where a figure is confirmed in it:
- a weak face at its head (YuNet below the trusted score, which scores drawn faces 0.05-0.5: ``Cues.weak_faces``):
  at least MIN_HEAD_SCORE, its centre in the box's upper HEAD_SHARE and inside its middle columns, and at least
  HEAD_WIDTH of the box's width (a drawn character's head is big: a face on a prop's corner is not its head); or
- in a film, the box moving against its shot's neighbouring key frames while the rest of the frame stands still or
  pans as a whole (``character_motion.moving_figure``): a faceless figure seen from behind, a robot; or
- BlazePose on the box, as a weak person box is confirmed (``character_toys.posed_figure``: pose flag at least
  WEAK_POSE_FLAG, WEAK_KEYPOINTS_INSIDE of its visible keypoints inside the box), for a figure with no face at all.
The confirmed boxes join the person boxes as figures (``Seed.figure``; the instance's seed ``figure``), as the
confirmed toy boxes do. Boxes are x0, y0, x1, y1 (plus scores) in the image's pixels; the image is RGB uint8.
"""

import numpy as np

from resources.backends.character_cues import Cues, box_iou, overlap_of_smaller
from resources.backends.character_motion import Motion, moving_figure
from resources.backends.character_toys import INSIDE, SAME_BOX, TOYS_APART, posed_figure
from resources.backends.yolox_boxes import OBJECT_SCORE, seed_objects

OBJECT_SEEDS = True
MIN_HEAD_SCORE = 0.1  # a weak face's YuNet score
HEAD_SHARE = 0.45  # the face's centre in this upper share of the box (its top may stick out by HEAD_ABOVE)
HEAD_ABOVE = 0.1
HEAD_SIDES = 0.15  # ... and at least this share of the box's width in from either side
HEAD_WIDTH = 0.12  # the face at least this share of the box's width
FACE_ABOVE = 0.5  # a trusted face this many box heights above the box (or in it) heads the character there
MIN_HEIGHT = 0.2  # of the frame's height: a smaller thing is a prop (a ball, a cushion, a parcel)
ASPECT = (0.75, 2.5)  # the box's height over its width: a figure standing, sitting or jumping, not a cloud or a bench
EDGE_PX = 2  # a box this close to the frame's top or sides is cut by it: not seen whole
# A character walking into or out of the shot is cut by the frame's side: its object box touches one side, and what
# is seen of it is narrower than the figure (session 27, h2: on the Kenney tune films 16 of 42 missed characters,
# their object boxes 0.75-0.96 box IoU with them, refused only for their shape). Such a box is judged with that side
# open: clear of the top and the other side, at least MIN_HEIGHT, its height over its width from ASPECT's lower
# bound (a sofa, a cloud at the edge stays refused) to CUT_ASPECT_MAX (a strip a fifth as wide as tall: a pole, a
# trunk is refused), and confirmed by a weak face at its head or by its motion, never by BlazePose alone (on Penny &
# Chip BlazePose is sure of figures in clouds and trees the frame cuts). Off: CUT_FIGURES False.
CUT_FIGURES = True
CUT_ASPECT_MAX = 5.0
# A character seen close reaches the frame's top: YOLOX's box round its big head touches the top even where a strip
# of background is left above the hair (session 28, h2: on a Kenney tune composite nobody tuned on, seed 29, three
# characters standing close, none seeded: AnimeFace finds none of their faces, YuNet finds two at 0.52-0.53 weak,
# and the one box round a face alone touches the top). Such a box is judged with the top open: clear of both sides,
# ASPECT, at least TOP_MIN_HEIGHT of the frame's height (a close figure, not a cloud strip) and confirmed only by
# a weak face at its head of at least TOP_HEAD_SCORE (a close character's face is large and clear; a false weak face
# on a tree or a cloud scores low), never by motion or BlazePose alone. Off: TOP_FIGURES False.
TOP_FIGURES = True
TOP_MIN_HEIGHT = 0.6
TOP_HEAD_SCORE = 0.3


def _centre(box: np.ndarray) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _headed(box: np.ndarray, face: np.ndarray, above: float) -> bool:
    """Whether ``face``'s centre lies in ``box``'s columns, from ``above`` box heights over its top to its bottom."""
    x, y = _centre(face)
    return box[0] <= x <= box[2] and box[1] - above * (box[3] - box[1]) <= y <= box[3]


def head_face(box: np.ndarray, weak_faces: np.ndarray) -> np.ndarray | None:
    """The best weak face that is the head of a figure filling ``box`` (see the module's docstring), or None."""
    width, height = box[2] - box[0], box[3] - box[1]
    heads = [f for f in weak_faces if f[4] >= MIN_HEAD_SCORE and f[2] - f[0] >= HEAD_WIDTH * width
             and box[0] + HEAD_SIDES * width <= _centre(f)[0] <= box[2] - HEAD_SIDES * width
             and box[1] - HEAD_ABOVE * height <= _centre(f)[1] <= box[1] + HEAD_SHARE * height]
    return max(heads, key=lambda f: f[4]) if heads else None


def figure_shaped(box: np.ndarray, width: int, height: int) -> bool:
    """Whether ``box`` could hold a whole figure (its feet may be cut by the frame's bottom): MIN_HEIGHT, ASPECT,
    clear of the frame's top and sides by EDGE_PX."""
    w, h = box[2] - box[0], box[3] - box[1]
    return bool(h >= MIN_HEIGHT * height and w > 0 and ASPECT[0] <= h / w <= ASPECT[1] and box[1] > EDGE_PX
                and box[0] > EDGE_PX and box[2] < width - EDGE_PX)


def cut_figure_shaped(box: np.ndarray, width: int, height: int) -> bool:
    """Whether ``box`` could hold a figure the frame's left or right side cuts (CUT_FIGURES): it touches exactly one
    of them (within EDGE_PX), is clear of the top, at least MIN_HEIGHT tall, and ASPECT[0] <= height / width <=
    CUT_ASPECT_MAX."""
    w, h = box[2] - box[0], box[3] - box[1]
    left, right = box[0] <= EDGE_PX, box[2] >= width - EDGE_PX
    return bool(CUT_FIGURES and left != right and box[1] > EDGE_PX and h >= MIN_HEIGHT * height and w > 0
                and ASPECT[0] <= h / w <= CUT_ASPECT_MAX)


def top_figure_shaped(box: np.ndarray, width: int, height: int) -> bool:
    """Whether ``box`` could hold a figure seen close, its box reaching the frame's top (TOP_FIGURES): it touches the
    top (within EDGE_PX), is clear of both sides, at least TOP_MIN_HEIGHT tall and ASPECT upright."""
    w, h = box[2] - box[0], box[3] - box[1]
    return bool(TOP_FIGURES and box[1] <= EDGE_PX and box[0] > EDGE_PX and box[2] < width - EDGE_PX
                and h >= TOP_MIN_HEIGHT * height and w > 0 and ASPECT[0] <= h / w <= ASPECT[1])


def figure_objects(rgb: np.ndarray, cues: Cues, objects: np.ndarray, matte, person_score: float = 0.3,
                   motion: Motion | None = None) -> np.ndarray:
    """The ``objects`` boxes (O x 5) of a drawn shot that nothing in ``cues`` seeds already (its trusted person and
    animal boxes, with the confirmed toy and weak person boxes among them; its trusted faces) and in which a figure
    is confirmed (``figure_shaped``, then ``head_face`` on the cues' weak faces, else ``moving_figure`` on the
    frame's ``motion`` where given, else ``posed_figure``); as person boxes scored ``person_score`` (N x 6). Of
    overlapping candidates the best objectness is taken."""
    objects = seed_objects(objects)  # faint boxes too (yolox_boxes.FAINT_OBJECTS)
    if not OBJECT_SEEDS or matte is None or not cues.drawn or not len(objects):
        return np.zeros((0, 6), np.float32)
    trusted = [b for b in cues.bodies if b[5] != 0 or b[4] >= person_score]
    kept: list[np.ndarray] = []
    for box in objects[np.argsort(-objects[:, 4])]:
        whole = figure_shaped(box, rgb.shape[1], rgb.shape[0])
        top = top_figure_shaped(box, rgb.shape[1], rgb.shape[0])
        if not (whole or top or cut_figure_shaped(box, rgb.shape[1], rgb.shape[0])) \
                or any(box_iou(box[:4], b[:4]) > SAME_BOX or overlap_of_smaller(box, b) >= INSIDE for b in trusted) \
                or any(overlap_of_smaller(box, b) >= TOYS_APART for b in kept) \
                or any(_headed(box, f, FACE_ABOVE) for f in cues.faces):
            continue
        # a faint box is confirmed by BlazePose's pose alone: on Penny & Chip weak faces on pumpkins and flowers head
        # faint boxes, and a camera move or a zoom moves props against the shot (session 30, h1)
        faint = box[4] < OBJECT_SCORE
        head = None if faint else head_face(box, cues.weak_faces)
        if top and not whole:  # a close figure at the top: only a clear weak face at its head confirms it
            if head is not None and head[4] >= TOP_HEAD_SCORE:
                kept.append(np.r_[box[:4], person_score, 0.0])
            continue
        moves = not faint and moving_figure(box, rgb.shape, motion)
        if head is not None or moves or (whole and posed_figure(rgb, box, matte)):
            kept.append(np.r_[box[:4], person_score, 0.0])
    return np.array(kept, np.float32).reshape(-1, 6)


def with_figure_objects(rgb: np.ndarray, cues: Cues, objects: np.ndarray | None, matte,
                        person_score: float = 0.3, motion: Motion | None = None) -> Cues:
    """``cues`` (after ``character_toys.with_toy_boxes``) with its confirmed object boxes (``figure_objects`` of
    ``objects``, the frame's ``Cues.objects``; None: cues made before objects existed; ``motion``: the frame's
    moving map against its shot, None for an image) appended to its person boxes, for seeding as figures."""
    more = figure_objects(rgb, cues, np.zeros((0, 5), np.float32) if objects is None else objects, matte,
                          person_score, motion)
    return cues.with_bodies(more) if len(more) else cues
