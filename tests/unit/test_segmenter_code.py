"""The characters segmenter's code version is part of its described model, so the instances cache key changes with
the segmenter's own modules (not only with assets/instances/)."""

import shutil
from pathlib import Path

from resources.backends import opencv_characters
from resources.backends.segmenter_code import segmenter_code_version

BACKENDS = Path(opencv_characters.__file__).parent


def _copy(folder: Path, names: list[str]) -> None:
    folder.mkdir()
    for name in names:
        shutil.copy(BACKENDS / name, folder / name)


def test_a_changed_rule_module_changes_the_version_and_an_unrelated_module_does_not(tmp_path):
    names = ["opencv_characters.py", "character_extent.py", "grabcut_compiled.py", "mediapipe_selfie.py"]
    _copy(tmp_path / "a", names)
    before = segmenter_code_version(tmp_path / "a")
    assert before == segmenter_code_version(tmp_path / "a") and len(before) == 12
    (tmp_path / "a" / "sam2_segmenter_notes.py").write_text("# not a module the characters segmenter runs\n")
    assert segmenter_code_version(tmp_path / "a") == before
    rule = tmp_path / "a" / "character_extent.py"
    rule.write_text(rule.read_text().replace("0.3", "0.31", 1))
    assert segmenter_code_version(tmp_path / "a") != before


def test_the_segmenter_names_its_code_and_optional_cues(monkeypatch):
    monkeypatch.setattr(opencv_characters, "skeleton_cue", lambda: None)
    monkeypatch.setattr(opencv_characters, "matte_cue", lambda: None)
    monkeypatch.setattr(opencv_characters, "selfie_cue", lambda: None)
    bare = opencv_characters.OpencvCharacterSegmenter(body_keypoints=False, person_matte=False)
    assert bare.model.endswith(f"+yolox_nano+deeplabv3+code-{segmenter_code_version()}")
    monkeypatch.setattr(opencv_characters, "selfie_cue", lambda: object())
    with_selfie = opencv_characters.OpencvCharacterSegmenter(body_keypoints=False)
    assert "+selfie+code-" in with_selfie.model and with_selfie.model != bare.model


def test_a_changed_cel_fill_constant_changes_the_version(tmp_path):
    """The drawn seeds' cuts read resources/cel_fills.py's mosaics: a change there must re-cut cached films."""
    backends = tmp_path / "resources" / "backends"
    backends.parent.mkdir()
    _copy(backends, ["opencv_characters.py", "character_cel_fills.py"])
    cel_fills = backends.parent / "cel_fills.py"
    cel_fills.write_text((BACKENDS.parent / "cel_fills.py").read_text())
    before = segmenter_code_version(backends)
    cel_fills.write_text(cel_fills.read_text().replace("FLAT_STD = 4.0", "FLAT_STD = 4.5", 1))
    assert segmenter_code_version(backends) != before
