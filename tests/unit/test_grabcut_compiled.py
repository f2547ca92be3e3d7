"""The compiled GrabCut (resources/backends/grabcut_compiled.py) against cv2.grabCut: the same labels from the same
random state, on a drawn synthetic scene and on a real character pasted on a real frame, for the seed cut and the
edge re-cut; and the segmenter's choice between the two (character_edges.grabcut_backend)."""

import cv2
import numpy as np
import pytest

import resources.backends.character_edges as edges
from assets.instances.composites import mask_iou
from resources.backends.character_seeds import Seed
from resources.backends.grabcut_compiled import compiled_grabcut
from tests.unit.test_character_regions import pasted_at


def _opencv(image: np.ndarray, labels: np.ndarray, iterations: int, seed: int) -> np.ndarray:
    labels = labels.copy()
    cv2.setRNGSeed(seed)
    cv2.grabCut(image, labels, None, np.zeros((1, 65)), np.zeros((1, 65)), iterations, cv2.GC_INIT_WITH_MASK)
    return labels


def _compiled(image: np.ndarray, labels: np.ndarray, iterations: int, seed: int) -> np.ndarray:
    """The compiled GrabCut twice, from OpenCV's k-means start (random state set by the caller) and from its
    compiled start (the seed given): the same labels either way."""
    started = labels.copy()
    compiled_grabcut(image, started, iterations, seed)
    labels = labels.copy()
    cv2.setRNGSeed(seed)
    compiled_grabcut(image, labels, iterations)
    assert np.array_equal(started, labels)
    return labels


def _foreground(labels: np.ndarray) -> np.ndarray:
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def _drawn_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(BGR image, starting labels, truth): a two-coloured figure on a noisy two-tone background; the labels are
    the seed cut's kind: sure background on the border, probable background in a loose box, probable character
    in a tighter one, sure character at its core."""
    rng = np.random.default_rng(3)
    image = np.zeros((120, 100, 3), np.uint8)
    image[:60], image[60:] = (40, 120, 200), (60, 90, 60)
    truth = np.zeros((120, 100), np.uint8)
    cv2.ellipse(truth, (50, 55), (22, 38), 0, 0, 360, 1, -1)
    image[truth == 1] = (200, 60, 150)
    image[45:70, 35:65][truth[45:70, 35:65] == 1] = (30, 30, 230)
    image = np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)
    labels = np.full(truth.shape, cv2.GC_BGD, np.uint8)
    labels[8:112, 12:88] = cv2.GC_PR_BGD
    labels[20:100, 30:70] = cv2.GC_PR_FGD
    labels[45:65, 45:55] = cv2.GC_FGD
    return image, labels, truth.astype(bool)


@pytest.mark.parametrize("iterations", [1, 2, 4])
@pytest.mark.parametrize("seed", [edges.GRABCUT_SEED, 1])
def test_the_same_labels_as_opencv_on_a_drawn_scene(iterations, seed):
    image, labels, truth = _drawn_scene()
    opencv = _opencv(image, labels, iterations, seed)
    compiled = _compiled(image, labels, iterations, seed)
    assert np.array_equal(compiled, opencv)
    assert mask_iou(_foreground(compiled), truth) > 0.9  # a real cut of the figure, not the starting labels
    assert not np.array_equal(compiled, labels)


def sita_window(shared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(BGR window, truth, the seed cut's labelling): Sita on a Big Buck Bunny frame, sure background on the
    window's border, probable character in her loose box, sure character at her middle."""
    bgr, truth, box = pasted_at(shared, "sita_front", "big_buck_bunny_0_30.webm", 12.0, 300, 300, 100)
    x0, y0, x1, y1 = (box + np.array([-60, -40, 60, 40])).astype(int)
    window, inside = np.ascontiguousarray(bgr[y0:y1, x0:x1]), truth[y0:y1, x0:x1]
    labels = np.full(inside.shape, cv2.GC_PR_BGD, np.uint8)
    labels[[0, -1], :] = labels[:, [0, -1]] = cv2.GC_BGD
    bx0, by0, bx1, by1 = (box - [x0, y0, x0, y0]).astype(int)
    labels[by0:by1, bx0 + 20:bx1 - 20] = cv2.GC_PR_FGD
    labels[by0 + 30:by0 + 60, (bx0 + bx1) // 2 - 10:(bx0 + bx1) // 2 + 10] = cv2.GC_FGD
    return window, inside, labels


def test_the_same_labels_as_opencv_on_a_real_frame_where_the_random_start_alone_moves_them(shared):
    """Sita on a Big Buck Bunny frame, the seed cut's labelling in her loose box: the compiled cut gives OpenCV's
    labels at each of three random states, while OpenCV's own masks from one state to another differ."""
    window, inside, labels = sita_window(shared)
    masks = []
    for seed in (edges.GRABCUT_SEED, 1, 2):
        opencv = _opencv(window, labels, 4, seed)
        assert np.array_equal(_compiled(window, labels, 4, seed), opencv)
        assert mask_iou(_foreground(opencv), inside) > 0.8
        masks.append(_foreground(opencv))
    assert any(not np.array_equal(masks[0], other) for other in masks[1:])


def test_the_segmenter_cuts_and_re_cuts_the_same_masks_with_either_grabcut(shared):
    """The seed cut (opencv_characters.grabcut_seed) and the edge re-cut (character_edges.refine_at_source) of a real
    composite give the same masks under both backends; the default is the compiled one."""
    from resources.backends.opencv_characters import grabcut_seed

    bgr, truth, box = pasted_at(shared, "sita_front", "big_buck_bunny_0_30.webm", 12.0, 300, 300, 100)
    seed = Seed(box + np.array([-20, -10, 20, 10]), 0.9, "person")
    blind = np.zeros(truth.shape, bool)
    calls = []
    real = edges.seeded_grabcut

    def counted(image, labels, iterations):
        calls.append(edges._grabcut.get())
        real(image, labels, iterations)

    edges.seeded_grabcut = counted
    try:
        import resources.backends.opencv_characters as characters

        characters.seeded_grabcut = counted
        cuts = {}
        for name in edges.GRABCUTS:
            with edges.grabcut_backend(name):
                coarse = grabcut_seed(bgr, seed, blind)
                cuts[name] = (coarse, edges.refine_at_source(np.ascontiguousarray(bgr[..., ::-1]), coarse))
        default = grabcut_seed(bgr, seed, blind)
    finally:
        edges.seeded_grabcut = characters.seeded_grabcut = real
    assert calls == ["compiled", "compiled", "opencv", "opencv", "compiled"]
    assert np.array_equal(cuts["compiled"][0], cuts["opencv"][0]) and np.array_equal(default, cuts["opencv"][0])
    assert np.array_equal(cuts["compiled"][1], cuts["opencv"][1])
    assert mask_iou(cuts["compiled"][1], truth) > 0.85


def test_a_window_without_background_fails_as_opencv_does():
    image, labels, _ = _drawn_scene()
    labels[labels != cv2.GC_FGD] = cv2.GC_PR_FGD
    with pytest.raises(cv2.error):
        _opencv(image, labels, 4, 1)
    with pytest.raises(cv2.error):
        _compiled(image, labels, 4, 1)


def test_an_unknown_grabcut_is_refused():
    with pytest.raises(ValueError, match="compiled, opencv"):
        with edges.grabcut_backend("fast"):
            pass


def test_the_segmenter_resource_chooses_its_grabcut_and_names_it(shared, monkeypatch):
    """``segmenter.grabcut`` reaches the characters backend and its model name (the stage's cache key)."""
    from resources.segmenter import SegmenterResource

    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    for name in edges.GRABCUTS:
        backend = SegmenterResource(backend="characters", grabcut=name).get()
        assert backend.grabcut == name and backend.model.startswith(f"{name}-grabcut+")



def test_colours_that_share_a_slot_of_the_colour_table_keep_their_own_links():
    """The compiled GrabCut keeps each colour's terminal links and components in a table of COLOUR_SLOTS slots,
    where colours that share a slot take turns: on the noisy drawn scene thousands of colours share slots, and the
    labels are still OpenCV's."""
    from resources.backends.grabcut_compiled import COLOUR_SLOTS

    image, labels, _ = _drawn_scene()
    colours = np.unique((image[..., 0].astype(np.int64) << 16) | (image[..., 1].astype(np.int64) << 8) | image[..., 2])
    slots = ((colours * 2654435761) >> 11) & (COLOUR_SLOTS - 1)
    assert colours.size - np.unique(slots).size > 1000   # colours that found their slot taken
    for iterations in (1, 4):
        assert np.array_equal(_compiled(image, labels, iterations, edges.GRABCUT_SEED),
                              _opencv(image, labels, iterations, edges.GRABCUT_SEED))
