"""The one instance the character segmenter cuts on a Sintel trailer frame (3D defaults), with a module switch set
for the test (the rendered-character rules' on / off cases: tests/unit/test_frame_pockets.py and
test_hanging_pieces.py)."""

from assets.instances.composites import read_background

SINTEL_TRAILER = "media/video/sintel_trailer_480x204.mp4"


def one_sintel_cut(shared, cue_models, frame: int, module, switch: str, value: bool,
                   monkeypatch) -> tuple[dict, object]:
    """(the one instance cut on the trailer's ``frame`` with ``module.switch = value``, the frame's cues)."""
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    monkeypatch.setattr(module, switch, value)
    cues_of, _ = cue_models
    rgb = read_background(shared / SINTEL_TRAILER, frame / 24, 204)
    cues = cues_of(rgb)
    found = OpencvCharacterSegmenter(cues=cues_of).segment(rgb, cues)
    assert len(found) == 1
    return found[0], cues
