"""The `datasets:` settings of `character_datasets`, validated once. No Dagster, no models."""

from dataclasses import dataclass, fields
from typing import Any

UPSCALE_METHODS = ("lanczos", "sr", "skip")
CROP_TYPES = ("full", "upper_body", "head")
PARQUET_IMAGES = ("bytes", "path")
EFFECT_MODES = ("keep", "tag", "drop_heavy")


@dataclass(frozen=True)
class DatasetParams:
    target_size: int = 512           # training resolution: an item's longer side after export
    upscale: str = "lanczos"         # items below target_size: lanczos | sr (super-resolution model) | skip
    min_source_size: int = 128       # items whose source's longer side is below this are skipped, never upscaled
    sr_model: str = "upscale/RealESRGAN_x4plus_anime_6B.pth"  # under CASTFORGE_MODELS, for upscale: sr
    sr_device: str = "cpu"           # torch device for upscale: sr (cpu | cuda | cuda:N)
    crops: tuple[str, ...] = CROP_TYPES  # which crops of each instance are exported
    dedup_distance: int = 10         # perceptual-hash Hamming distance (of 64 bits) at or below: near-duplicate; -1 off
    pad_to_square: bool = False      # False: aspect kept (sd-scripts buckets); True: padded to a target_size square
    background: tuple[int, int, int] = (255, 255, 255)  # RGB behind the cut-out
    repeats: int = 10                # sd-scripts num_repeats and kohya folder prefix {repeats}_{trigger}: the
                                     # identity with the most instances (all of them with balance_repeats off)
    balance_repeats: bool = True     # each other identity repeats * most / its own instances (datasets/repeats.py)
    max_repeats: int = 40            # the balanced repeats' ceiling
    per_bucket: int | None = None    # balanced sampling: at most N instances per (identity, pose bucket)
    parquet_images: str = "bytes"    # bytes (self-contained Parquet) | path (paths relative to the Parquet file)
    min_instances: int = 3           # an identity with no face and fewer instances than this is not exported
    other_character_share: float = 0.04  # items with this share of pixels in another character's colours, in
                                         # solid areas, are skipped (holds_another_character:
                                         # datasets/second_character.py); -1 off
    min_piece_share: float = 0.6     # items whose largest piece (gaps under 3% of the cut's size bridged) holds less
                                     # of the cut-out are skipped (scattered_pieces: datasets/pieces.py); -1 off
    effects: str = "tag"             # effects on an instance's frame (effects stage): keep (ignore) | tag (caption
                                     # and metadata) | drop_heavy (also leave out frames with a heavy obscuring one)

    def __post_init__(self) -> None:
        problems = []
        if self.upscale not in UPSCALE_METHODS:
            problems.append(f"upscale must be one of {UPSCALE_METHODS}, not {self.upscale!r}")
        unknown = [c for c in self.crops if c not in CROP_TYPES]
        if unknown or not self.crops:
            problems.append(f"crops must be a non-empty list of {CROP_TYPES}, not {list(self.crops)!r}")
        if self.effects not in EFFECT_MODES:
            problems.append(f"effects must be one of {EFFECT_MODES}, not {self.effects!r}")
        if not (self.other_character_share < 0 or 0 < self.other_character_share <= 1):
            problems.append(f"other_character_share must be in (0, 1], or negative (off), not "
                            f"{self.other_character_share!r}")
        if self.min_piece_share >= 1:
            problems.append(f"min_piece_share must be below 1 (a share), or negative (off), not "
                            f"{self.min_piece_share!r}")
        if self.parquet_images not in PARQUET_IMAGES:
            problems.append(f"parquet_images must be one of {PARQUET_IMAGES}, not {self.parquet_images!r}")
        if not 1 <= self.repeats <= self.max_repeats:
            problems.append(f"repeats ({self.repeats}) must be >= 1 and at most max_repeats ({self.max_repeats})")
        if self.target_size < 64 or self.min_source_size < 1:
            problems.append(f"target_size ({self.target_size}) must be >= 64 and min_source_size "
                            f"({self.min_source_size}) >= 1")
        if problems:
            raise ValueError("datasets: " + "; ".join(problems))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "DatasetParams":
        names = {f.name for f in fields(cls)}
        known = {k: v for k, v in values.items() if k in names}
        if "background" in known:
            known["background"] = tuple(int(c) for c in known["background"])
        if "crops" in known:
            crops = known["crops"]
            known["crops"] = (crops,) if isinstance(crops, str) else tuple(crops)
        if isinstance(known.get("upscale"), bool):
            # the setting's former form: true meant Lanczos up to target_size, false kept small images small
            known["upscale"] = "lanczos" if known["upscale"] else "skip"
        return cls(**known)
