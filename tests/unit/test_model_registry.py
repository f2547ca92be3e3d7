from pathlib import Path

import yaml

from orchestration.cli import main
from orchestration.cli_models import REGISTRY, model_status

BACKENDS = Path(__file__).resolve().parents[2] / "resources" / "backends"


def test_every_registered_path_is_one_a_backend_looks_for():
    source = "\n".join(p.read_text() for p in BACKENDS.glob("*.py"))
    source += (BACKENDS.parent / "image_embedder.py").read_text()
    for entry in yaml.safe_load(REGISTRY.read_text())["models"]:
        # rtmlib's candidates are built per variant (s / m / l): compare with the template
        names = [p.replace("rtmpose-m", "rtmpose-{variant}") for p in entry["paths"]]
        assert any(name in source or name.split("/")[-1] in source for name in names), entry


def test_the_shared_folder_holds_every_default_model(shared, castforge_home):
    rows = model_status("local")
    assert rows and all(row["found"] and row["found"].startswith(str(shared)) for row in rows)
    assert main(["models", "--profile", "local"]) == 0


def test_missing_default_weights_are_listed_with_their_source(castforge_home, monkeypatch, capsys):
    monkeypatch.setenv("CASTFORGE_MODELS", "")
    assert main(["models"]) == 1
    out = capsys.readouterr().out
    assert "MISSING local segmenter" in out and "opencv_zoo" in out


def test_every_weights_file_a_local_resource_names_is_registered():
    # a resource whose `model` field names a weights file (face_landmarker, image_embedder) must be in the registry,
    # or `castforge models` passes while the stage that builds it fails for the missing file
    from orchestration.profiles import resources_for

    registered = {path for entry in yaml.safe_load(REGISTRY.read_text())["models"] if entry["profile"] == "local"
                  for path in entry["paths"]}
    named = {getattr(resource, "model", None) for resource in resources_for("local").values()}
    files = {name for name in named if isinstance(name, str) and "/" in name}
    assert "face/mp_face_landmark.tflite" in files and files <= registered, files - registered


def test_every_weights_file_the_characters_segmenter_loads_is_registered():
    # the characters segmenter loads its cues' weights itself (no resource field names them): each file it looks for
    # must be listed under segmenter/characters, the optional cues (skipped with a warning when absent) as optional
    from resources.backends import character_cues, mediapipe_person, mediapipe_selfie

    entries = [entry for entry in yaml.safe_load(REGISTRY.read_text())["models"]
               if entry["capability"] == "segmenter" and entry["backend"] == "characters" and entry["profile"] == "local"]
    listed = {path: bool(entry.get("optional")) for entry in entries for path in entry["paths"]}
    required = {character_cues.YUNET, character_cues.YOLOX, character_cues.DEEPLAB}
    optional = {mediapipe_person.BLAZEPOSE_LANDMARK, mediapipe_selfie.SELFIE_SEGMENTATION}
    assert {path: listed.get(path) for path in required | optional} == (
        {path: False for path in required} | {path: True for path in optional})
