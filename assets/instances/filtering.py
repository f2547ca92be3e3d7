"""Automatic keep/discard of instances: characters stay, objects, background pieces and fragments go.

Every row gets ``kept``, ``reason`` and ``decided_by = "auto"``; a person's review decisions are applied on top by
the asset (resources/review_state.py). A film that mixes drawn and rendered shots (``preset: auto``) is decided shot
by shot with each shot's preset values (``decisions_by_shot_style``), every reason naming the shot's style. Pure
polars.
"""

from dataclasses import dataclass
from typing import Any

import polars as pl

IMAGE_ALPHA = "image_alpha"  # the seed of an instance cut by its image's own alpha (assets/instances/image_alpha.py)
# the seed name of an instance whose box (a YOLOX toy box, or a weak person box) was confirmed as a figure at seeding:
# by BlazePose, or in a drawn shot by a weak person box and a toy box on the same figure (resources/backends/
# character_toys.py; opencv_characters.FIGURE_SEED, also in "face+figure", "carried+figure")
FIGURE_SEED = "figure"
# the seed name of an instance a lone drawn face seeded, its face a skin fill round features of its own
# (resources/backends/opencv_characters.DRAWN_FACE_SEED, also in "carried+drawn_face")
DRAWN_FACE_SEED = "drawn_face"


@dataclass(frozen=True)
class FilterParams:
    min_size: int = 64                # px at 1080p frame height, on both sides of the box; scaled with the frame
    min_size_floor: int = 16          # never below this many pixels, whatever the frame size
    min_alpha_coverage: float = 0.05  # share of the box the soft alpha covers
    min_blur: float = 80.0            # Laplacian variance inside the mask (3D preset 80, 2D 100)
    min_character_score: float = 0.5  # best of face score, person/animal box score, DeepLab class share (the anime
    # preset: 0.3, where faceless drawn characters score 0.3-0.5 as a person; on the Sintel trailer that band holds
    # more blurred objects and scenery than characters)
    max_occluded_fraction: float = 0.6  # more of the character hidden by others than this: dropped as "occluded"
    drop_cut_by_frame_edge: bool = False  # drop characters the frame edge cuts (else kept, the reason says so)
    # a figure confirmed at seeding (the seed ``figure``: a toy box or, in a drawn shot, a weak person box that
    # BlazePose or the other of the two confirmed, resources/backends/character_toys.py) is a character by that:
    # spared the blur test (a drawn character of flat fills and smooth shading has no inner detail to be sharp with:
    # Kenney's, Laplacian 15-150) and the character-score test (its cut's own pose flag may be low: Kenney's robot
    # jumping, arms up, 0.92 on its box, 0.08 on the cut's window), unless its mask covers more than
    # ``figure_max_frame_share`` of the frame (a group or scenery, as core.POSE_MAX_FRAME_SHARE). Every other
    # face-less cut keeps both tests (False: off; session 19 asked the cut's own pose flag >= 0.5 as well, and only
    # spared the blur test)
    confirmed_figures: bool = True
    figure_max_frame_share: float = 0.4
    # a cut that a detector's person or animal box holds (``body_score``: the best YOLOX box holding half the mask, at
    # least ``min_character_score``) is a character by that box, spared the blur test, where its mask covers at most
    # ``figure_max_frame_share`` of the frame. The anime preset turns it on: the Laplacian variance reads a drawn
    # character's flat fills as blur however sharp its outline (session 28, h2: on a Kenney tune composite nobody
    # tuned on, seed 29, four cuts of 0.62-0.97 IoU from trusted person boxes dropped as blurry at 33-69 < 100; every
    # kept Kenney cut there measures 29-89). Rendered and filmed shots keep the test (a background person out of
    # focus is boxed as well as a sharp one). False: the blur test for every cut without a face or a confirmed figure
    boxed_characters: bool = False
    # a cut a drawn face seeded (the seed ``drawn_face``, also in ``carried+drawn_face``: a lone face seed in a drawn
    # shot whose face is a skin fill round features of its own, resources/backends/opencv_characters.DRAWN_FACE_SEED)
    # is a character by that face, spared the blur test and the character-score test, as a cut holding a trusted face
    # is (``face_count``), where its mask covers at most ``figure_max_frame_share`` of the frame. A weak face the
    # segmenter confirmed is not among the faces the evidence counts, so its drawn cut was judged by blur (session
    # 29, h4: Kenney tune seed 7 scene 10, the male adventurer's cut, IoU 0.958, dropped at 48.6 < 100). Any face seed
    # is not enough: on Penny & Chip five weak faces on steam clouds, flowers and snow (white middles BlazePose
    # confirmed) seed cuts the blur test drops. The anime preset turns it on. False: a face seed counts only through
    # ``face_count``
    drawn_face_characters: bool = False
    # a rendered cut with no face that DeepLab's person / animal class does not touch at all (``class_fraction`` 0.0)
    # and that no confirmed figure seeded is no character, whatever its box or pose score: on the Sintel trailer these
    # are YOLOX person boxes on rubble and on the tower (00595, 00605#1), the tiny girl cut with a piece of wall (00589,
    # with background) and a bird box on a piece of the dragon's claw (00727, part), kept on a body score of 0.35-0.64
    # or a pose flag of 0.85-0.99; every whole face-less Sintel cut-out has a class fraction of 0.39 or more (session
    # 35, h8). DeepLab is blind to drawn characters, so a cut counts as rendered only where at most
    # ``rendered_max_painted_share`` of it and of its frame lies on cel fills (``painted_share``,
    # ``frame_painted_share``; assets/instances/artefacts.py). Sintel: every kept cut 0.00-0.08 (face-less ones
    # 0.00-0.06), their frames 0.00-0.06, the four above 0.00 in frames of 0.00-0.01. The tune Sita / Saha composites
    # (drawn, 3D defaults): the three face-less Sita cuts DeepLab does not see are painted 0.12-0.29 (measured on the
    # frame shrunk to 320 px they read 0.00, and the rule dropped them: mean IoU 0.8538 -> 0.7498). 0.045 is
    # resources/style's bar for a drawn shot in a rendered film (FILL_SHARE x FILL_SHARE_IN_RENDERED_FILM). The anime
    # preset turns the rule off. False: a face-less cut is kept on its character score alone
    drop_unseen_faceless: bool = True
    rendered_max_painted_share: float = 0.045

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "FilterParams":
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def min_side(params: FilterParams, frame_height: pl.Expr) -> pl.Expr:
    return pl.max_horizontal((frame_height * params.min_size / 1080).round(0), pl.lit(params.min_size_floor))


def unseen_faceless(params: FilterParams) -> pl.Expr:
    """A rendered cut (``painted_share`` and ``frame_painted_share`` at most ``rendered_max_painted_share``: neither
    the cut nor its frame painted in cel fills) with no trusted face in it whose mask DeepLab's person / animal class
    does not touch (``class_fraction`` 0.0), where ``drop_unseen_faceless`` is on: a detector's box on scenery, not a
    character. A row without the painted shares (null: tables written before them) never matches."""
    if not params.drop_unseen_faceless:
        return pl.lit(False)
    return ((pl.col("face_count") == 0) & (pl.col("class_fraction") <= 0.0)
            & (pl.max_horizontal("painted_share", "frame_painted_share") <= params.rendered_max_painted_share))


def auto_decisions(instances: pl.DataFrame, params: FilterParams) -> pl.DataFrame:
    """Adds kept, reason, decided_by. Order: size, an image's own alpha (kept: ``seed`` IMAGE_ALPHA), alpha
    coverage, occlusion, frame edge (when configured to drop), then a face keeps it (a detected face is proof
    enough, even on a soft-focus 3D frame), so does a figure confirmed at seeding (``confirmed_figures``) and, in
    drawn shots, a cut a person or animal box holds (``boxed_characters``) or a drawn face seeded
    (``drawn_face_characters``), then blur, then a face-less cut DeepLab does not see at all (``unseen_faceless``),
    then character likelihood.
    A kept character the frame edge cuts says so in its reason (``; cut by frame edge: ...``)."""
    if instances.is_empty():
        return instances.with_columns(pl.lit(None, pl.Boolean).alias("kept"), pl.lit(None, pl.String).alias("reason"),
                                      pl.lit(None, pl.String).alias("decided_by"))
    for name, dtype, value in (("touches_frame_edge", pl.Boolean, False), ("frame_edges", pl.String, ""),
                               ("occluded_fraction", pl.Float64, 0.0), ("painted_share", pl.Float64, None),
                               ("frame_painted_share", pl.Float64, None)):  # tables written before these columns
        if name not in instances.columns:
            instances = instances.with_columns(pl.lit(value, dtype).alias(name))
    width, height = pl.col("x1") - pl.col("x0"), pl.col("y1") - pl.col("y0")
    side = min_side(params, pl.col("frame_height"))
    own_alpha = pl.col("seed") == IMAGE_ALPHA if "seed" in instances.columns else pl.lit(False)
    seeded = {"seed", "area", "frame_width", "person_score"} <= set(instances.columns)  # hand-made tables lack them
    frame_share = pl.col("area") / (pl.col("frame_width") * pl.col("frame_height")).cast(pl.Float64)

    def spared(evidence: pl.Expr, switched_on: bool) -> pl.Expr:
        """A character by ``evidence`` found at seeding, where its rule is on and the cut is no larger than a figure."""
        if not (seeded and switched_on):
            return pl.lit(False)
        return evidence & (frame_share <= params.figure_max_frame_share)

    figure = spared(pl.col("seed").str.contains(FIGURE_SEED, literal=True), params.confirmed_figures)
    boxed = spared(pl.col("body_score") >= params.min_character_score, params.boxed_characters)
    drawn_face = spared(pl.col("seed").str.contains(DRAWN_FACE_SEED, literal=True), params.drawn_face_characters)
    pose_flag = pl.col("person_score").round(2) if seeded else pl.lit(None, pl.Float64)
    fmt = lambda template, *cols: pl.format(template, *cols)  # noqa: E731
    reason = (
        pl.when((width < side) | (height < side))
        .then(fmt("too_small: {}x{} < {}px", width, height, side.cast(pl.Int32)))
        # the image file's own alpha (image_alpha.py): whoever drew it said it is a figure; no blur or score drop
        .when(own_alpha)
        .then(pl.lit("character: the image's own alpha"))
        .when(pl.col("alpha_coverage") <= params.min_alpha_coverage)
        .then(fmt("low_alpha_coverage: {}", pl.col("alpha_coverage").round(3)))
        .when(pl.col("occluded_fraction") > params.max_occluded_fraction)
        .then(fmt("occluded: {} hidden > {}", pl.col("occluded_fraction").round(2),
                  pl.lit(params.max_occluded_fraction)))
        .when(pl.col("touches_frame_edge") & pl.lit(params.drop_cut_by_frame_edge))
        .then(fmt("cut_by_frame_edge: {}", pl.col("frame_edges")))
        .when(pl.col("face_count") > 0)
        .then(fmt("character: {} face(s) inside, score {}", pl.col("face_count"), pl.col("face_score").round(2)))
        .when(figure)
        .then(fmt("character: a figure confirmed at seeding, its cut's pose flag {}", pose_flag))
        .when(boxed)
        .then(fmt("character: a person or animal box {} holds it", pl.col("body_score").round(2)))
        .when(drawn_face)
        .then(pl.lit("character: a drawn face seeded it"))
        .when(pl.col("blur") < params.min_blur)
        .then(fmt("blurry: {} < {}", pl.col("blur").round(1), pl.lit(params.min_blur)))
        .when(unseen_faceless(params))
        .then(fmt("not_character: rendered (painted {}, frame {}), no face and no person or animal pixel (class 0.0),"
                  " body {} pose {}", pl.col("painted_share").round(2), pl.col("frame_painted_share").round(2),
                  pl.col("body_score").round(2), pose_flag))
        .when(pl.col("character_score") >= params.min_character_score)
        .then(fmt("character: body {} class {}", pl.col("body_score").round(2), pl.col("class_fraction").round(2)))
        .otherwise(fmt("not_character: score {} < {}", pl.col("character_score").round(2),
                       pl.lit(params.min_character_score)))
    )
    edge_note = pl.when(pl.col("touches_frame_edge") & reason.str.starts_with("character")) \
        .then(pl.format("; cut by frame edge: {}", pl.col("frame_edges"))).otherwise(pl.lit(""))
    return (instances.with_columns(pl.concat_str([reason, edge_note]).alias("reason"))
            .with_columns(pl.col("reason").str.starts_with("character").alias("kept"),
                          pl.lit("auto").alias("decided_by")))


def decisions_by_shot_style(instances: pl.DataFrame, params_by_preset: dict[str, FilterParams],
                            shot_styles: dict[int, tuple[str, str]], film_preset: str) -> pl.DataFrame:
    """``auto_decisions`` with each shot's own preset values: ``shot_styles`` maps a shot to (preset, how its
    style was told), ``params_by_preset`` each preset to its values; rows of shots without a decision (or
    without a shot) take ``film_preset``'s. Every reason ends with ``; shot N <style>: <preset> values``. Row
    order is kept."""
    if instances.is_empty():
        return auto_decisions(instances, params_by_preset[film_preset])
    shots = instances["shot"].to_list() if "shot" in instances.columns else [None] * instances.height
    presets, notes = [], []
    for shot in shots:
        preset, told = shot_styles.get(int(shot), (film_preset, "not measured")) if shot is not None else (
            film_preset, "unknown")
        presets.append(preset)
        notes.append(f"; shot {'?' if shot is None else int(shot)} {told}: {preset} values")
    table = instances.with_row_index("_row").with_columns(pl.Series("_preset", presets), pl.Series("_note", notes))
    parts = [auto_decisions(part.drop("_preset"), params_by_preset[preset])
             for (preset,), part in table.group_by(["_preset"], maintain_order=True)]
    return (pl.concat(parts, how="diagonal_relaxed").sort("_row")
            .with_columns(pl.concat_str([pl.col("reason"), pl.col("_note")]).alias("reason"))
            .drop("_row", "_note"))
