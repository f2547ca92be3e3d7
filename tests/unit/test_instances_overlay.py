"""The per-frame overlay and mask boxes, computed on the instances' pixels only, equal the whole-frame reference
(two overlapping characters: the second tint applies on the first's unrounded value)."""

import cv2
import numpy as np

from assets.instances.artefacts import PALETTE, mask_box, overlay


def _reference(rgb: np.ndarray, masks: list[np.ndarray], labels: list[str]) -> np.ndarray:
    """The whole-frame version: a float copy of the frame tinted, then the boxes and labels."""
    canvas = rgb.astype(np.float32)
    for i, mask in enumerate(masks):
        canvas[mask] = 0.55 * canvas[mask] + 0.45 * np.array(PALETTE[i % len(PALETTE)], np.float32)
    bgr = cv2.cvtColor(canvas.astype(np.uint8), cv2.COLOR_RGB2BGR)
    for i, (mask, label) in enumerate(zip(masks, labels)):
        ys, xs = np.nonzero(mask)
        colour = tuple(int(c) for c in PALETTE[i % len(PALETTE)][::-1])
        cv2.rectangle(bgr, (xs.min(), ys.min()), (xs.max(), ys.max()), colour, 1)
        cv2.putText(bgr, label, (xs.min() + 2, max(12, ys.min() + 12)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1,
                    cv2.LINE_AA)
    return bgr


def test_overlay_tints_exactly_as_a_float_copy_of_the_frame():
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (90, 160, 3), np.uint8)
    first, second = np.zeros((90, 160), bool), np.zeros((90, 160), bool)
    first[10:60, 20:90], second[30:80, 70:150] = True, True
    second &= rng.random(second.shape) > 0.2
    drawn = overlay(rgb, [first, second], ["0", "1"])
    assert np.array_equal(drawn, _reference(rgb, [first, second], ["0", "1"]))
    assert not np.array_equal(drawn, _reference(rgb, [second, first], ["0", "1"]))   # the order is seen
    assert np.array_equal(overlay(rgb, [], []), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def test_mask_box_is_the_tight_box_with_exclusive_ends():
    mask = np.zeros((50, 80), bool)
    mask[7, 12] = mask[30, 70] = True
    assert mask_box(mask) == (12, 7, 71, 31)
    mask[:] = True
    assert mask_box(mask) == (0, 0, 80, 50)
