"""The Real-ESRGAN adapter on its real architectures (RRDBNet, SRVGGNetCompact) with random weights the test makes,
saved as Real-ESRGAN saves them (``params_ema``); the export upscales small sources through it."""

from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

torch = pytest.importorskip("torch", reason="torch (install/requirements.txt)")

from assets.datasets.core import export_datasets  # noqa: E402
from assets.datasets.params import DatasetParams  # noqa: E402
from assets.datasets.selection import export_candidates  # noqa: E402
from resources.backends.esrgan_upscaler import EsrganUpscaler, _architectures  # noqa: E402
from resources.errors import MissingWeightsError  # noqa: E402


def save_random(tmp_path: Path, name: str, **sizes) -> tuple[Path, object]:
    torch.manual_seed(0)
    model = _architectures()[name](**sizes).eval()
    path = tmp_path / f"{name}.pth"
    torch.save({"params_ema": model.state_dict()}, path)
    return path, model


@pytest.fixture
def character(shared) -> np.ndarray:
    rgba = cv2.imread(str(shared / "media/characters_rgba/saha_side.png"), cv2.IMREAD_UNCHANGED)
    return cv2.cvtColor(cv2.resize(rgba, (26, 52), interpolation=cv2.INTER_AREA)[:, :, :3], cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("name, sizes, scale", [
    ("SRVGGNetCompact", {"num_feat": 8, "num_conv": 2, "upscale": 4}, 4),
    ("RRDBNet", {"scale": 4, "num_feat": 8, "num_block": 2, "num_grow_ch": 4}, 4),
    ("RRDBNet", {"scale": 2, "num_feat": 8, "num_block": 1, "num_grow_ch": 4}, 2),
])
def test_architecture_read_from_the_weights(tmp_path, character, name, sizes, scale):
    path, model = save_random(tmp_path, name, **sizes)
    upscaler = EsrganUpscaler(path, tile=1024)
    assert upscaler.architecture == name and upscaler.scale == scale
    out = upscaler.upscale(character)
    assert out.shape == (52 * scale, 26 * scale, 3) and out.dtype == np.uint8
    with torch.inference_mode():
        x = torch.from_numpy(np.pad(character, ((0, 0), (0, 2), (0, 0)), mode="edge")).permute(2, 0, 1)[None]
        direct = model(x.float() / 255).clamp(0, 1)[0].permute(1, 2, 0).mul(255).round().byte().numpy()
    assert np.array_equal(out, direct[:, :26 * scale])  # the same network, the same pixels


def test_tiles_join_without_seams(tmp_path, character):
    # 2 convs + 2 PReLU + the output conv: a 4 px receptive radius, inside the 8 px tile margin
    path, _ = save_random(tmp_path, "SRVGGNetCompact", num_feat=8, num_conv=2, upscale=4)
    whole = EsrganUpscaler(path, tile=1024).upscale(character)
    assert np.array_equal(EsrganUpscaler(path, tile=16).upscale(character), whole)


def test_missing_weights_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(MissingWeightsError, match="RealESRGAN_x4plus_anime_6B.pth.*CASTFORGE_MODELS/upscale"):
        EsrganUpscaler(tmp_path / "RealESRGAN_x4plus_anime_6B.pth")


def test_export_upscales_small_sources_with_sr(tmp_path, character):
    path, _ = save_random(tmp_path, "SRVGGNetCompact", num_feat=8, num_conv=2, upscale=4)
    cut = tmp_path / "cut.png"
    cv2.imwrite(str(cut), cv2.cvtColor(character, cv2.COLOR_RGB2BGR))
    rows = pl.DataFrame([{"instance_id": "i0", "identity": "identity_000", "name": None, "path": str(cut),
                          "x0": 0.0, "y0": 0.0, "x1": 26.0, "y1": 52.0}])
    captions = pl.DataFrame([{"instance_id": "i0", "caption": "identity_000, side view", "trigger": "identity_000"}])
    params = DatasetParams(target_size=128, min_source_size=32, upscale="sr", crops=("full",), min_instances=1)
    candidates, decisions = export_candidates(rows, captions, None, None, None, "f", params)
    table, decisions, manifest = export_datasets(candidates, decisions, None, tmp_path / "d", "f", params, Path,
                                                 lambda p: str(Path(p).relative_to(tmp_path)),
                                                 upscaler=EsrganUpscaler(path))
    assert table["resize"].to_list() == ["sr:esrgan:SRVGGNetCompact"] and manifest["exported"] == {"upscaled_sr": 1}
    assert (table["height"][0], table["width"][0]) == (128, 64)  # 52 -> 208 by the network, then down to 128
