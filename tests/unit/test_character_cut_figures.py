"""A drawn figure the frame's side cuts, seeded from its object box judged with that side open
(resources/backends/character_objects.py: CUT_FIGURES, cut_figure_shaped; docs/instances.md, "Session 27 (h2)").

On real media: the Kenney tune film of seed 25 (``bench/kenney_film.py build OUT --split tune --seed 25``, 480 rows)
rendered as the film is built: at frame 541 the male adventurer walks out at the left side (YOLOX boxes him as an
object, box IoU 0.92; a weak face at his head), at frame 198 the zombie walks in at the right side (object box IoU
0.92). Both were missed (their box touches the side: not ``figure_shaped``); with the side open each is cut whole and
its mask touches that side. Hand-made boxes for the shape rule."""

import numpy as np
import pytest

import resources.backends.character_objects as objects
from resources.backends.character_objects import cut_figure_shaped
from tests.conftest import kenney_tune_film

SEED = 25


def _film_frame(frame: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(film frame ``frame`` RGB, ``name``'s visible alpha >= 0.5) of the seed-25 tune film, as it is built."""
    plan, render = kenney_tune_film(SEED)
    start = 0
    for shot in plan:
        if start <= frame < start + shot["frames"]:
            break
        start += shot["frames"]
    names = [c["character"] for c in shot["characters"]]
    for index, (rgb, layers) in enumerate(render(shot)):
        if index == frame - start:
            return rgb, dict(zip(names, (layer[1] for layer in layers)))[name] >= 0.5
    raise AssertionError(f"frame {frame} not rendered")


@pytest.fixture(scope="module")
def segmenter(drawn_cues):
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    return OpencvCharacterSegmenter(cues=drawn_cues)


def _best(segmenter, rgb: np.ndarray, truth: np.ndarray) -> tuple[float, list[str]]:
    """(the best cut's IoU with ``truth``, the frame's sides its mask touches)."""
    from assets.instances.artefacts import frame_edges_touched
    from assets.instances.composites import mask_iou

    found = [(mask_iou(item["mask"], truth), item["mask"]) for item in segmenter.segment(rgb, segmenter.cues(rgb))]
    iou, mask = max(found, key=lambda pair: pair[0], default=(0.0, None))
    return iou, [] if mask is None else frame_edges_touched(mask)


WALKERS = [(541, "male_adventurer", "left"), (198, "zombie", "right")]


@pytest.mark.parametrize("frame, name, side", WALKERS)
def test_a_figure_the_frames_side_cuts_is_cut_whole(segmenter, frame, name, side):
    iou, edges = _best(segmenter, *_film_frame(frame, name))
    assert iou > 0.9 and side in edges   # measured 0.989 and 0.948


@pytest.mark.parametrize("frame, name, side", WALKERS)
def test_with_the_side_closed_it_is_missed(segmenter, monkeypatch, frame, name, side):
    monkeypatch.setattr(objects, "CUT_FIGURES", False)
    assert _best(segmenter, *_film_frame(frame, name))[0] < 0.1   # measured 0.0 and 0.0


@pytest.mark.parametrize("box, shaped", [
    ([0, 100, 100, 300], True),       # a figure cut by the frame's left side
    ([560, 100, 640, 400], True),     # ... by its right side, narrower than it is (300 / 80)
    ([100, 100, 200, 300], False),    # seen whole: figure_shaped's, not this rule's
    ([0, 100, 640, 300], False),      # both sides: a strip across the frame
    ([0, 0, 100, 300], False),        # the top too
    ([0, 300, 200, 400], False),      # a sofa at the edge: wider than tall
    ([0, 100, 40, 400], False),       # a pole, a trunk: more than CUT_ASPECT_MAX times as tall as wide
    ([0, 400, 60, 460], False),       # small: a prop
])
def test_a_cut_figure_box_touches_one_side_and_is_upright_but_not_a_strip(box, shaped):
    assert cut_figure_shaped(np.array(box, np.float32), 640, 480) is shaped
