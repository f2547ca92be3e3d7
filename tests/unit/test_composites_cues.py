"""Cues on a drawn character with exact truth: Sita (characters_rgba, exact alpha) pasted at 0.8 of the frame's
height onto a real Sintel frame. YOLOX-nano misses a character that fills the frame; its zoomed-out pass finds her."""

import os

import numpy as np
import pytest

from assets.instances.composites import load_character, read_background


def _box_iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def tall_sita(shared):
    import cv2

    background = read_background(shared / "media/video/sintel_trailer_480x204.mp4", 21.0, 480)
    rgba = load_character(shared / "media/characters_rgba/sita_front.png").rgba
    height = 400
    rgba = cv2.resize(rgba, (round(rgba.shape[1] * height / rgba.shape[0]), height), interpolation=cv2.INTER_AREA)
    x0, y0 = 300, 60
    alpha = rgba[..., 3:].astype(np.float32) / 255
    region = background[y0:y0 + height, x0:x0 + rgba.shape[1]].astype(np.float32)
    background[y0:y0 + height, x0:x0 + rgba.shape[1]] = np.round(rgba[..., :3] * alpha + region * (1 - alpha))
    return background, (x0, y0, x0 + rgba.shape[1], y0 + height)


@pytest.mark.parametrize("zoom_out, found", [((1.0,), False), ((1.0, 2.0), True)])
def test_zoomed_out_pass_finds_a_character_that_fills_the_frame(shared, tall_sita, zoom_out, found):
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.yolox_boxes import YoloxCharacterDetector

    rgb, truth = tall_sita
    boxes = YoloxCharacterDetector(zoom_out=zoom_out).detect(rgb)
    best = max((b[4] for b in boxes if b[5] == 0 and _box_iou(b[:4], truth) >= 0.7), default=0.0)
    assert (best >= 0.35) == found, f"best person box on the truth scores {best:.2f}"


def test_loss_cause_names_where_a_character_loses_iou():
    from assets.instances.composites import _match_facts, loss_cause

    truth = np.zeros((100, 100), bool)
    truth[20:80, 30:60] = True
    other = np.zeros_like(truth)
    other[20:80, 60:90] = True
    leak, part, merged = truth.copy(), truth.copy(), truth | other
    leak[5:95, 10:60] = True
    part[50:80] = False

    def cause(mask, iou_any=None):
        row = {"iou": float((mask & truth).sum() / (mask | truth).sum()), **_match_facts(mask, truth, [other])}
        return loss_cause(row, row["iou"] if iou_any is None else iou_any)

    assert cause(truth) is None
    assert cause(leak) == "leaks_into_background"
    assert cause(part) == "misses_parts"
    assert cause(merged) == "merged"
    assert cause(part, iou_any=0.95) == "filtered_away"
    assert cause(np.zeros_like(truth), iou_any=0.0) == "missed"
