"""The film's picture as a viewer sees it, from how it is stored: square pixels, no interlacing combs, the right way
up, without black bars. Pure measures and the decision; assets/frames/picture_probe.py samples the film and
applies the result to decoded frames.

Order of the corrections (as a player applies them): deinterlace the stored frame (a hard-telecined film's pulldown
undone by matching fields, video interlacing by bwdif), crop the bars (stored pixels),
scale the width by the sample aspect ratio (square pixels), rotate by the display matrix. An HDR film's pixels are
then tone-mapped to SDR where they are converted to RGB (assets/frames/tone_map.py, frame_pixels.py)."""

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import cv2
import numpy as np

from assets.frames.tone_map import DEFAULT_PEAK_NITS, ToneMap

# a bar row / column: mean luma at most BAR_MEAN and no pixel above BAR_MAX (8-bit grey, limited range black is 16;
# cropdetect's default limit is 24 on the mean)
BAR_MEAN = 32.0
BAR_MAX = 48
MIN_BAR = 2  # bars thinner than this are left (a scaler's edge, not a letterbox)
# subtitles burned into a letterbox bar: a row mostly black (median) with at most TEXT_ROW_SHARE bright glyph pixels,
# in a band of at most TEXT_BAND of the frame's rows with black bar rows on both sides, is bar
TEXT_ROW_SHARE = 0.4
TEXT_BAND = 0.12
# a side's crop is the bar that BAR_HOLD of the usable samples have at least: bars hold over most of the film, a
# dark scene's black sky or a fade does not make one
BAR_HOLD = 0.8
MIN_USABLE_SAMPLES = 3  # fewer samples with a picture (not dark through): no crop
MIN_PICTURE_SHARE = 0.5  # a crop keeping less of the height or width than this is refused (a caption on black)
# combing (``combing``): a frame is combed above COMBED_SHARE of its pixels as teeth. Measured on 24 samples:
# progressive Penny & Chip, Sintel, testvideo, Big Buck Bunny at most 0.0005; Penny & Chip interlaced (tff, moving)
# 0.0035-0.047. Teeth are looked for on the frame averaged over COMB_RUN pixels along each row: interlacing teeth run
# along rows, film grain and video noise do not (session 40: Penny & Chip with grain of sigma 10 scored 0.009 a
# frame before, every frame combed, and was deinterlaced; averaged, grain of sigma 6-14 scores at most 0.0001 while
# interlaced and telecined Penny & Chip, grainy or not, keep their combed share)
COMB_STEP = 12
COMB_RUN = 9
COMBED_SHARE = 0.002
# deinterlace when at least this share of the sampled frames are combed (hard telecine combs 2 frames in 5 where
# something moves: 0.167 of 24 samples on the telecined Penny & Chip clip; every progressive film measured: 0)
COMBED_FILM_SHARE = 0.1
MIN_COMBED_SAMPLES = 3  # and at least this many combed samples (one noisy title card on a short clip is no interlacing)
# pulldown (hard telecine: 24 fps pictures spread over 30 fps frames, 2 frames in 5 woven of two pictures) against
# video interlacing (every frame's fields two moments): runs of consecutive frames at the combed samples are passed
# through FFmpeg's fieldmatch; where it leaves at most PULLDOWN_LEFT of their combed frames combed, the film's
# frames are rebuilt from their matching fields (the pictures as drawn) instead of interpolated by bwdif. Penny & Chip
# telecined: 24 combed frames -> 0 in its runs; woven of two moments (interlaced): 90 -> 90
PULLDOWN_LEFT = 0.25
MIN_RUN_COMBED = 3
HDR_TRANSFERS = {16: "smpte2084 (PQ)", 18: "arib-std-b67 (HLG)"}  # AVColorTransferCharacteristic
TONE_MAP_TRANSFERS = {"smpte2084 (PQ)": "pq", "arib-std-b67 (HLG)": "hlg"}
BT2020_PRIMARIES = 9


@dataclass(frozen=True)
class Crop:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class PictureGeometry:
    """What was found of the stored picture and what is done to it; ``identity`` films are decoded as before."""
    stored_width: int
    stored_height: int
    sar: Fraction = Fraction(1)
    rotation: int = 0  # clockwise turn applied to show the picture upright: 0, 90, 180 or 270
    crop: Crop | None = None  # in stored pixels
    deinterlace: bool = False
    field_match: bool = False  # deinterlaced by matching fields (pulldown undone), bwdif only on frames left combed
    run_combed: tuple[int, int] = (0, 0)  # combed frames of the probe's consecutive runs before / after fieldmatch
    combed_share: float = 0.0  # share of the sampled frames combed
    interlaced_flag_share: float = 0.0  # share of the sampled frames the codec flags interlaced
    samples: int = 0
    pix_fmt: str = ""
    transfer: str = ""  # HDR transfer when PQ / HLG
    bt2020: bool = False
    peak_nits: float = 0.0  # the HDR signal's peak the tone map is normalised by (MaxCLL, the mastering display's)
    tone_map: bool = False  # an HDR picture shown as SDR (``tone``) wherever its pixels are converted to RGB

    @property
    def output_size(self) -> tuple[int, int]:
        width = self.crop.width if self.crop else self.stored_width
        height = self.crop.height if self.crop else self.stored_height
        width = square_pixel_width(width, self.sar)
        return (height, width) if self.rotation in (90, 270) else (width, height)

    @property
    def identity(self) -> bool:
        """No change to the picture's geometry (the frames pass the filter graph untouched; ``tone`` may still
        change their colours)."""
        return self.sar == 1 and not self.rotation and self.crop is None and not self.deinterlace

    @property
    def tone(self) -> ToneMap | None:
        """How the film's HDR pixels become SDR, or None (SDR, or frames.tone_map false)."""
        if not self.tone_map or self.transfer not in TONE_MAP_TRANSFERS:
            return None
        return ToneMap(TONE_MAP_TRANSFERS[self.transfer], self.bt2020, self.peak_nits or DEFAULT_PEAK_NITS)

    @property
    def deinterlacer(self) -> str:
        """The filters that deinterlace the frames, as recorded: "" for none."""
        if not self.deinterlace:
            return ""
        return "fieldmatch+bwdif" if self.field_match else "bwdif"

    def summary(self) -> dict[str, Any]:
        values = asdict(self)
        values.update(sar=f"{self.sar.numerator}:{self.sar.denominator}", output_width=self.output_size[0],
                      output_height=self.output_size[1], crop=[self.crop.x, self.crop.y, self.crop.width,
                                                               self.crop.height] if self.crop else None,
                      deinterlace=self.deinterlacer, run_combed=list(self.run_combed),
                      tone_mapped=self.tone is not None)
        return values


def shown(image: np.ndarray, geometry: PictureGeometry | None) -> np.ndarray:
    """A stored frame's pixels (any channels) as ``geometry`` shows them, without deinterlacing: crop, square pixels,
    turn (OpenCV's resampling; the frames stage's filter graph gives the same picture within a few grey levels). For
    readers that pick single frames by seeking (lip sync)."""
    if geometry is None or geometry.identity:
        return image
    if geometry.crop is not None:
        c = geometry.crop
        image = image[c.y:c.y + c.height, c.x:c.x + c.width]
    if geometry.sar != 1:
        width = square_pixel_width(image.shape[1], geometry.sar)
        image = cv2.resize(image, (width, image.shape[0]),
                           interpolation=cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_CUBIC)
    if geometry.rotation:
        image = np.rot90(image, -geometry.rotation // 90)
    return np.ascontiguousarray(image)


def recorded_picture(summary: dict[str, Any] | None) -> PictureGeometry | None:
    """The geometry a frames stage record holds (``PictureGeometry.summary()``), for the stages that decode the film
    again (shot_analysis, lip sync) and must see the picture the key frames show; None for none recorded."""
    if not summary:
        return None
    numerator, denominator = (int(part) for part in summary["sar"].split(":"))
    crop = Crop(*summary["crop"]) if summary.get("crop") else None
    return PictureGeometry(summary["stored_width"], summary["stored_height"], sar=Fraction(numerator, denominator),
                           rotation=summary["rotation"], crop=crop, deinterlace=bool(summary["deinterlace"]),
                           field_match=str(summary["deinterlace"]).startswith("fieldmatch"),
                           transfer=summary.get("transfer", ""), bt2020=bool(summary.get("bt2020")),
                           peak_nits=float(summary.get("peak_nits") or 0.0),
                           tone_map=bool(summary.get("tone_mapped")))


def square_pixel_width(width: int, sar: Fraction) -> int:
    """The width of ``width`` stored pixels of sample aspect ``sar`` in square pixels, even (ffmpeg's
    ``scale=iw*sar:ih``): 720 at 32:27 -> 854, at 8:9 -> 640."""
    if sar <= 0 or sar == 1:
        return width
    return max(2, 2 * round(width * sar / 2))


def clean_sar(numerator: int | None, denominator: int | None) -> Fraction:
    """The sample aspect ratio a stream declares; unknown (0, 0/0) or absurd is square."""
    if not numerator or not denominator:
        return Fraction(1)
    sar = Fraction(numerator, denominator)
    return sar if Fraction(1, 4) <= sar <= 4 else Fraction(1)


def display_turn(rotation_deg: float | None) -> int:
    """The clockwise turn that shows a frame upright from PyAV's ``frame.rotation`` (the display matrix's
    counter-clockwise angle, as ffmpeg's autorotate reads it), to the nearest quarter."""
    if not rotation_deg:
        return 0
    return int(round(-float(rotation_deg) / 90.0)) % 4 * 90


def bar_sizes(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) black rows and columns at the borders of one 8-bit grey frame; None when the whole
    frame is dark (a fade, a black card): it says nothing of bars. A letterbox bar keeps its size through a line of
    subtitles drawn in it (``through_text``)."""
    rows = (grey.mean(axis=1) <= BAR_MEAN) & (grey.max(axis=1) <= BAR_MAX)
    cols = (grey.mean(axis=0) <= BAR_MEAN) & (grey.max(axis=0) <= BAR_MAX)
    if rows.all() or cols.all():
        return None
    picture_cols = np.flatnonzero(~cols)
    texty = (np.median(grey, axis=1) <= BAR_MEAN) & ((grey > BAR_MAX).mean(axis=1) <= TEXT_ROW_SHARE)
    top = through_text(rows, texty)
    bottom = through_text(rows[::-1], texty[::-1])
    return (top, bottom, int(picture_cols[0]), int(len(cols) - 1 - picture_cols[-1]))


def through_text(bar: np.ndarray, texty: np.ndarray) -> int:
    """The bar's size from the frame's edge (index 0 on): its black rows, continued through bands of text rows
    (mostly black, a minority of bright glyph pixels: subtitles burned into a letterbox bar) that have black bar rows
    beyond them too, MIN_BAR at least; a band at most TEXT_BAND of the frame's rows. Text touching the picture
    (nothing black beyond it) ends the bar where the text starts, as before."""
    size, limit = 0, max(1, int(TEXT_BAND * len(bar)))
    while size < len(bar) and bar[size]:
        size += 1
    while size < len(bar):
        band = size
        while band < len(bar) and texty[band] and not bar[band] and band - size < limit:
            band += 1
        beyond = band
        while beyond < len(bar) and bar[beyond]:
            beyond += 1
        if band == size or beyond - band < MIN_BAR or beyond == len(bar):
            return size
        size = beyond
    return size


def film_crop(samples: list[tuple[int, int, int, int] | None], width: int, height: int) -> Crop | None:
    """The bars that hold over most of the film's sampled frames (``bar_sizes`` of each), as a crop of the stored
    picture with even offsets and sizes (4:2:0 chroma); None when there are none or too few samples say."""
    usable = np.array([s for s in samples if s is not None], dtype=float).reshape(-1, 4)
    if len(usable) < MIN_USABLE_SAMPLES:
        return None
    top, bottom, left, right = (int(np.floor(np.quantile(usable[:, i], 1.0 - BAR_HOLD, method="lower")))
                                for i in range(4))
    top, bottom, left, right = (side if side >= MIN_BAR else 0 for side in (top, bottom, left, right))
    if not any((top, bottom, left, right)):
        return None
    x, y = left + left % 2, top + top % 2
    crop_width = (width - x - right) // 2 * 2
    crop_height = (height - y - bottom) // 2 * 2
    if crop_width < MIN_PICTURE_SHARE * width or crop_height < MIN_PICTURE_SHARE * height:
        return None
    return Crop(x, y, crop_width, crop_height)


def combing(grey: np.ndarray) -> float:
    """Share of a grey frame's pixels that are interlacing teeth: a pixel differing from both the line above and
    the line below in the same direction by more than COMB_STEP, while it agrees within COMB_STEP with the lines two
    above and two below (its own field) and those of the other field agree with each other, on the frame averaged
    over COMB_RUN pixels along each row (grain is no tooth). A thin drawn line is no tooth (the lines two away differ
    from it as the neighbours do)."""
    g = cv2.blur(grey, (COMB_RUN, 1)).astype(np.int16)
    above2, above, here, below, below2 = g[:-4], g[1:-3], g[2:-2], g[3:-1], g[4:]
    up, down = here - above, here - below
    teeth = (np.sign(up) == np.sign(down)) & (np.minimum(np.abs(up), np.abs(down)) > COMB_STEP) \
        & (np.abs(above - below) <= COMB_STEP) & (np.abs(here - above2) <= COMB_STEP) \
        & (np.abs(here - below2) <= COMB_STEP)
    return float(teeth.mean())


def is_pulldown(combed_before: int, combed_after: int) -> bool:
    """Whether runs of consecutive frames with ``combed_before`` combed frames, ``combed_after`` once fieldmatch has
    matched their fields, are hard telecine (their combs were two pictures woven together, and matching finds each
    picture's own fields) rather than video interlacing (no field of another frame matches)."""
    return combed_before >= MIN_RUN_COMBED and combed_after <= PULLDOWN_LEFT * combed_before


def combed_share(combing_scores: list[float]) -> float:
    """Share of the sampled frames that are combed (``combing`` above COMBED_SHARE)."""
    if not combing_scores:
        return 0.0
    return float(np.mean([score > COMBED_SHARE for score in combing_scores]))
