"""The parameters of ``effects``: one flat declaration, read by every detector (see measures.py, temporal.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class EffectParams:
    # flashes and lighting (from every frame's mean grey level, shot_analysis' frame_signals)
    flash_rise: float = 25.0  # grey levels above the median of the previous frames of the shot: a flash ...
    flash_max_s: float = 0.5  # ... when the level falls back within this many seconds; else a lighting change
    black_level: float = 8.0  # mean grey below this is black: it splits a shot, and ramps into or out of it are
                              # fades (an edit, not a change of light)
    lighting_step: float = 20.0  # grey levels between the means of the second before and after: lighting change
    cast_chroma: float = 12.0  # Lab chroma of a shot's mean colour at or above which it has a colour cast
    # ... and how far that mean stands from grey in units of the colours' spread round it (Gasparini & Schettini's
    # cast factor): a grade moves every colour one way (Sintel's orange sunset 1.36-2.32), a colourful scene's own
    # colours spread round their mean (Penny & Chip's meadows, pitches and autumn 0.35-1.27)
    cast_dominance: float = 1.3
    # particles, fire, flares, blur (per key frame, measured at most 640 px wide)
    snow_specks: float = 1300.0  # round unsaturated bright specks per megapixel: snow, when they also outnumber ...
    snow_excess: float = 500.0  # ... the round dark specks by this many per megapixel (texture makes both alike)
    rain_streaks: float = 400.0  # aligned bright streaks per megapixel: rain, when they are also ...
    rain_dark_ratio: float = 2.0  # ... this many times the dark streaks (grass and stone streak both ways)
    sparkle_specks: float = 1200.0  # round saturated bright specks per megapixel: sparkles
    fire_share: float = 0.025  # share of the frame in flame colours 40 grey levels brighter than around them ...
    fire_glowing: float = 0.5  # ... being at least this share of all flame-coloured pixels: fire
    flare_streak: float = 0.3  # share of the width a bright horizontal streak spans: lens flare ...
    flare_source: float = 245.0  # ... with a light this bright on it
    bloom_share: float = 0.5  # share of the compact highlights (by area) with a glowing halo: bloom
    dof_ratio: float = 3.0  # subject detail ratio over background detail ratio: shallow depth of field
    blur_agreement: float = 0.55  # agreement of blur direction across the frame ...
    blur_detail: float = 3.0  # ... with the frame's detail ratio at most this: directional motion blur
    # transformation moments (along character tracks, from the motion asset's track_points)
    transformation_distance: float = 0.5  # Hellinger distance between a character's colour histograms in
                                          # consecutive key frames of its track
    heavy_intensity: float = 0.5  # an obscuring effect (snow, flash, blur, ...) this strong marks a frame heavy
