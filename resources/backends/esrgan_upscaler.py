"""Real-ESRGAN super-resolution in plain torch: the two architectures its released weights use, RRDBNet
(``RealESRGAN_x4plus``, ``RealESRGAN_x4plus_anime_6B``, ``RealESRGAN_x2plus``) and SRVGGNetCompact
(``realesr-animevideov3``, ``realesr-general-x4v3``), defined as in basicsr / Real-ESRGAN so their state dicts load
unchanged. The architecture and its sizes are read from the weights' keys and shapes. Torch is imported on first
use; the weights are a local file (never downloaded).
"""

from pathlib import Path
from typing import Any

import numpy as np

from resources.backends.memory import free_torch_memory
from resources.errors import MissingWeightsError

WEIGHTS_HINT = ("put a Real-ESRGAN .pth (e.g. RealESRGAN_x4plus_anime_6B.pth or realesr-animevideov3.pth from "
                "github.com/xinntao/Real-ESRGAN releases) into $CASTFORGE_MODELS/upscale/ and set datasets.sr_model, "
                "or use datasets.upscale: lanczos")


def _architectures() -> dict[str, Any]:
    import torch
    from torch import nn
    from torch.nn import functional as F

    class ResidualDenseBlock(nn.Module):
        def __init__(self, num_feat: int, num_grow_ch: int):
            super().__init__()
            self.conv1 = nn.Conv2d(num_feat, num_grow_ch, 3, 1, 1)
            self.conv2 = nn.Conv2d(num_feat + num_grow_ch, num_grow_ch, 3, 1, 1)
            self.conv3 = nn.Conv2d(num_feat + 2 * num_grow_ch, num_grow_ch, 3, 1, 1)
            self.conv4 = nn.Conv2d(num_feat + 3 * num_grow_ch, num_grow_ch, 3, 1, 1)
            self.conv5 = nn.Conv2d(num_feat + 4 * num_grow_ch, num_feat, 3, 1, 1)
            self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

        def forward(self, x):
            x1 = self.lrelu(self.conv1(x))
            x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
            x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
            x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
            x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
            return x5 * 0.2 + x

    class RRDB(nn.Module):
        def __init__(self, num_feat: int, num_grow_ch: int):
            super().__init__()
            self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
            self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
            self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

        def forward(self, x):
            return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x

    class RRDBNet(nn.Module):
        """ESRGAN's generator; scale 2 and 1 fold the input with pixel-unshuffle first (as Real-ESRGAN does)."""

        def __init__(self, scale: int = 4, num_feat: int = 64, num_block: int = 23, num_grow_ch: int = 32):
            super().__init__()
            self.scale = scale
            num_in_ch = 3 * {4: 1, 2: 4, 1: 16}[scale]
            self.conv_first = nn.Conv2d(num_in_ch, num_feat, 3, 1, 1)
            self.body = nn.Sequential(*[RRDB(num_feat, num_grow_ch) for _ in range(num_block)])
            self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_last = nn.Conv2d(num_feat, 3, 3, 1, 1)
            self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

        def forward(self, x):
            feat = F.pixel_unshuffle(x, 4 // self.scale) if self.scale != 4 else x
            feat = self.conv_first(feat)
            feat = feat + self.conv_body(self.body(feat))
            feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
            feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
            return self.conv_last(self.lrelu(self.conv_hr(feat)))

    class SRVGGNetCompact(nn.Module):
        """Real-ESRGAN's compact VGG-style network: convs + PReLU, pixel-shuffle, plus the nearest-upsampled input."""

        def __init__(self, num_feat: int = 64, num_conv: int = 16, upscale: int = 4):
            super().__init__()
            self.upscale = upscale
            layers: list[nn.Module] = [nn.Conv2d(3, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
            for _ in range(num_conv):
                layers += [nn.Conv2d(num_feat, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
            layers.append(nn.Conv2d(num_feat, 3 * upscale * upscale, 3, 1, 1))
            self.body = nn.ModuleList(layers)
            self.upsampler = nn.PixelShuffle(upscale)

        def forward(self, x):
            out = x
            for layer in self.body:
                out = layer(out)
            return self.upsampler(out) + F.interpolate(x, scale_factor=self.upscale, mode="nearest")

    return {"RRDBNet": RRDBNet, "SRVGGNetCompact": SRVGGNetCompact}


def build_from_state_dict(state: dict[str, Any]) -> tuple[Any, str, int]:
    """(module with the weights loaded, architecture name, scale), the architecture read from the keys."""
    arch = _architectures()
    if "conv_first.weight" in state:
        in_ch = state["conv_first.weight"].shape[1]
        scale = {3: 4, 12: 2, 48: 1}.get(int(in_ch))
        blocks = {int(k.split(".")[1]) for k in state if k.startswith("body.") and ".rdb1.conv1.weight" in k}
        if scale is None or not blocks:
            raise ValueError(f"RRDBNet weights with {in_ch} input channels / no RRDB blocks are not Real-ESRGAN's")
        model = arch["RRDBNet"](scale=scale, num_feat=int(state["conv_first.weight"].shape[0]),
                                num_block=max(blocks) + 1,
                                num_grow_ch=int(state["body.0.rdb1.conv1.weight"].shape[0]))
        name = "RRDBNet"
    elif "body.0.weight" in state:
        convs = sorted(int(k.split(".")[1]) for k in state if k.startswith("body.") and k.endswith(".weight")
                       and state[k].ndim == 4)
        out_ch = int(state[f"body.{convs[-1]}.weight"].shape[0])
        scale = int(round((out_ch / 3) ** 0.5))
        model = arch["SRVGGNetCompact"](num_feat=int(state["body.0.weight"].shape[0]), num_conv=len(convs) - 2,
                                        upscale=scale)
        name = "SRVGGNetCompact"
    else:
        raise ValueError("neither RRDBNet (conv_first.*) nor SRVGGNetCompact (body.0.*) weights")
    model.load_state_dict(state, strict=True)
    return model.eval(), name, scale


class EsrganUpscaler:
    """ImageUpscaler over a Real-ESRGAN ``.pth`` (``params_ema`` / ``params`` / a bare state dict)."""

    def __init__(self, weights: Path | None, device: str = "cpu", tile: int = 256):
        if weights is None or not Path(weights).is_file():
            raise MissingWeightsError("esrgan upscaler", f"super-resolution weights {weights}", WEIGHTS_HINT)
        try:
            import torch
        except ImportError as error:
            raise ImportError("upscale: sr needs torch (pip install -r install/requirements.txt)") from error
        raw = torch.load(str(weights), map_location="cpu", weights_only=True)
        state = raw.get("params_ema") or raw.get("params") or raw if isinstance(raw, dict) else None
        if not isinstance(state, dict):
            raise ValueError(f"{weights}: not a state dict")
        try:
            self.model, self.architecture, self.scale = build_from_state_dict(state)
        except (ValueError, RuntimeError, KeyError) as error:
            raise ValueError(f"{weights}: not Real-ESRGAN weights this adapter knows: {error}") from error
        self.model.to(device)
        self.device, self.tile, self.weights = device, tile, Path(weights)
        self.name = f"esrgan:{self.weights.stem}"
        self._torch = torch

    def describe(self) -> dict[str, Any]:
        return {"backend": "esrgan", "architecture": self.architecture, "scale": self.scale,
                "weights": self.weights.name}

    def release(self) -> None:
        """Frees the network (and the GPU memory it held)."""
        self.model = None
        free_torch_memory(self.device)

    def upscale(self, rgb: np.ndarray) -> np.ndarray:
        """H x W x 3 uint8 RGB -> (scale*H) x (scale*W) x 3 uint8 RGB, tile by tile (memory stays flat)."""
        torch = self._torch
        h, w = rgb.shape[:2]
        out = np.empty((h * self.scale, w * self.scale, 3), np.uint8)
        with torch.inference_mode():
            for y in range(0, h, self.tile):
                for x in range(0, w, self.tile):
                    # a margin of context around each tile avoids seams, then is cut away
                    y0, x0 = max(0, y - 8), max(0, x - 8)
                    y1, x1 = min(h, y + self.tile + 8), min(w, x + self.tile + 8)
                    # scale 2 / 1 weights fold 2x2 / 4x4 pixels first: pad the tile to a multiple of 4
                    part = rgb[y0:y1, x0:x1]
                    part = np.pad(part, ((0, -part.shape[0] % 4), (0, -part.shape[1] % 4), (0, 0)), mode="edge")
                    tile = torch.from_numpy(np.ascontiguousarray(part)).to(self.device)
                    tile = tile.permute(2, 0, 1)[None].float() / 255.0
                    result = self.model(tile).clamp_(0, 1)[0].permute(1, 2, 0).mul_(255).round_().byte().cpu()
                    s = self.scale
                    ty, tx = (y - y0) * s, (x - x0) * s
                    th, tw = (min(h, y + self.tile) - y) * s, (min(w, x + self.tile) - x) * s
                    out[y * s:y * s + th, x * s:x * s + tw] = result.numpy()[ty:ty + th, tx:tx + tw]
        return out
