"""The parameters of ``shot_analysis``: one flat declaration (default and meaning) read by every module here."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ShotAnalysisParams:
    analysis_width: int = 192  # px: width of the downscaled stream camera motion and frame signals are measured on
    appearance_every: int = 4  # palette and background are sampled every N frames of a shot
    change_rate: float = 12.5  # picture-change samples per second (relation picture_change, read by av_sync)
    motion_every: int = 2  # camera motion is measured between frames this far apart (1: every pair), per frame
    # camera motion (frame widths are resolution-free: 0.1 = a tenth of the picture's width)
    max_corners: int = 300  # corners tracked per frame pair
    min_inliers: int = 12  # fewer RANSAC inliers: that frame pair's motion is unknown (flat or black picture)
    ransac_px: float = 1.0  # RANSAC reprojection threshold, px of the analysed frame
    min_pairs: int = 6  # a shot with fewer estimated frame pairs is "too short to estimate motion"
    static_rate: float = 0.02  # frame widths per second: below this on every axis the camera is static
    handheld_jitter: float = 0.0015  # frame widths: RMS wander of the camera path around 1 s straight pieces ...
    handheld_move_rate: float = 0.05  # ... reads as handheld unless a deliberate move this fast (frame widths/s) leads
    dominance: float = 2.0  # the leading move must be this many times the next, else the move is "complex"
    # shot types (fractions of the frame height; see shot_types.py)
    extreme_close_up_face: float = 0.85  # face at least this tall (cut by the frame): extreme close-up
    close_up_face: float = 0.4  # face at least this tall: close-up
    close_up_area: float = 0.45  # no face found, a character box covering this share of the frame: close-up
    medium_face: float = 0.15  # face at least this tall: medium
    medium_height: float = 0.5  # character cut by the bottom edge and at least this tall: medium
    full_height: float = 0.3  # character at least this tall (not cut): full; smaller or none: wide
    bottom_margin: float = 0.03  # a box ending this close to the bottom edge is cut by the frame
    # scenes and sequences (see scenes.py)
    scene_threshold: float = 0.6  # continuity (0..1) at which a shot joins the current scene
    lookback: int = 3  # a shot may continue any of the scene's last N shots (shot / reverse shot)
    palette_weight: float = 1.0  # weight of the colour-histogram cue
    background_weight: float = 1.0  # weight of the thumbnail-correlation cue
    characters_weight: float = 0.5  # weight of the identities-present cue
    audio_weight: float = 0.5  # weight of the soundtrack cue (when the film has audio)
    audio_window_s: float = 1.5  # seconds of soundtrack compared either side of a cut
    sequence_penalty: float = 0.15  # cost of one more sequence (change points over scene palettes): larger, fewer
    min_sequence_scenes: int = 2  # scenes per sequence at least (except a film with fewer)

    @property
    def weights(self) -> dict[str, float]:
        return {"palette": self.palette_weight, "background": self.background_weight,
                "characters": self.characters_weight, "audio": self.audio_weight}
