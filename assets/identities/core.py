"""Who is who, the clustering half: the identities parameters and density clustering of embeddings (HDBSCAN,
verification re-split, merging, sampling for large sets). No Dagster. The split of two designs in one cluster is in
design_split.py; how instances become identities (prototypes,
tracks, faceless placement, the output tables) is in assignment.py.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np


log = logging.getLogger(__name__)
NOISE = "noise"  # same value as resources.review_state.NOISE


@dataclass(frozen=True)
class IdentityParams:
    # HDBSCAN (presets depart: anime 25); small sets lower it (min_cluster_fraction); the value a run used
    # is its stage record's `effective.min_cluster_size`
    min_cluster_size: int = 10
    min_cluster_fraction: float | None = 0.15  # short films: clusters need at most this share of the faces (>= 2),
                                           # so a preset's size for feature films does not erase a trailer's cast
    min_cluster_shots: int | None = 3      # ... and at most the faces one character gives in this many shots (the
                                           # faced key frames per shot, times this): an image folder, every image a
                                           # shot of its own, needs 3 looks; a film 3 shots' worth of key frames
    min_samples: int | None = 1            # HDBSCAN min_samples (None: = min_cluster_size); 1 is permissive because
                                           # every cluster is then verified against max_distance
    distance_threshold: float = 0.0        # cosine distance under which clusters are not split further (epsilon)
    max_distance: float = 0.7              # verification: a cluster whose members lie further than this cosine
                                           # distance from its mean is re-split (average linkage); 0 turns it off
    reduce: str = "auto"                   # none | pca | umap | auto (pca above reduce_above rows)
    reduce_dims: int = 16
    reduce_above: int = 3000
    sample_above: int = 20000              # beyond this many faces: kNN-graph density clustering (scale.py)
    appearance_quantile: float = 0.1       # a faceless instance joins an identity when it is as close to the
                                           # identity's appearance prototype as this quantile of its face members,
    appearance_threshold: float = 0.6      # ... and at least this close (cosine) ...
    appearance_margin: float = 0.05        # ... and this much closer than to the runner-up
    appearance_floor: str = "inclusive"    # the quantile's members compared with their identity's prototype
                                           # (inclusive) or each with the mean of the others (held_out: a small
                                           # identity's members are a large part of their own prototype)
    appearance_floor_cap: bool = False     # an identity's floor is at most its appearance impostor ceiling (the
                                           # closest another identity's face member comes to its prototype) plus
                                           # appearance_margin: a few near-identical looks (one character's
                                           # sprites) set a floor no other look reaches, though nothing else
                                           # comes near (anime: on)
    appearance_clear_lead: bool = False    # ... or, under its floor, when the image embedding and the colours both
                                           # name the identity, it is as close as the identity's least-alike face
                                           # member and it leads the runner-up by appearance_margin and by more than
                                           # any face not the identity's leads toward it (assets/identities/
                                           # clear_lead.py: a character's back view; anime: on)
    appearance_lone_looks: bool = False    # ... or, once the faceless groups are formed, a faceless row still noise
                                           # by the clear lead without the least-alike bar (lone_looks.py: a drawn
                                           # character's back view seen once; anime: on)
    lone_looks_join_faceless: bool = False  # ... and a faceless group adopts such a row too, not only a face
                                           # identity, where no other identity's row nor loose face is nearest
                                           # the group (lone_looks.py: a faceless character's view seen once;
                                           # anime: on)
    appearance_adopts_loose_faces: bool = False  # a row whose face no identity took (nor its track) is adopted
                                           # by its cut-out's look as a faceless row is, the other such faces its
                                           # impostors (anime: on; a detector framing a drawn face otherwise)
    loose_face_look_agrees: bool = False   # ... or joins the identity its face leads by the calibrated lead
                                           # (join_lead_quantile; the impostor ceiling waived) where its cut-out is
                                           # nearest it in the image embedding and the colours alike, at least
                                           # its appearance floor (loose_face_looks.py; anime: on)
    loose_face_clear_looks: bool = False   # ... or joins the identity its cut-out's look clearly leads toward
                                           # (the clear lead, least-alike bar waived, as a lone look) where its
                                           # face names no other identity by the calibrated lead (a drawn face
                                           # the face embedder cannot place; loose_face_looks.py; anime: on)
    loose_face_named_not_impostor: bool = False  # ... where loose faces whose faces are nearest A and whose
                                           # looks lead toward A by appearance_margin are no impostors against
                                           # one another (one character's loose faces of one image set refused
                                           # one another; loose_face_looks.py; anime: on)
    loose_face_named_not_rival: bool = False  # ... and a loose face still noise whose face and look (the adoption
                                           # mix) are both nearest A, by any lead, is no "look of its own" against
                                           # a loose face joining A: one character's two faced cuts of one image
                                           # set refused each other (loose_face_looks.py)
    loose_face_vote_one_identity: bool = False  # ... and a face names another identity only where one identity
                                           # leads its face's runner-up by the calibrated lead: a drawn face as
                                           # near two designs (0.600 / 0.597) is no vote against its look
                                           # (loose_face_looks.py)
    appearance_view_looks: float | None = None  # ... or, after the lone looks, a faceless row still noise
                                           # joins the identity (faceless groups too) its adoption mix and its
                                           # colours both name by appearance_margin, at least this alike to it in
                                           # the colours, the image embedding at most that margin behind (a back
                                           # view it reads as another character's; view_looks.py; None: off;
                                           # anime: 0.8)
    appearance_view_colour_leads: bool = False  # ... the adoption mix need only name that identity (nearest, by
                                           # any lead) where the colours lead by appearance_margin and by more
                                           # than any row not its member leads there: a drawn back view leads its
                                           # own identity by 0.001-0.04 in the mix, 0.036-0.075 in the colours,
                                           # the other design of its palette by 0.016 at most in the colours
                                           # (view_looks.py; anime: on)
    appearance_view_groups: bool = False   # ... and then a faceless group whose members are all nearest one face
                                           # identity in the colours joins it where the group's colour prototype
                                           # names it as the view looks ask of a row (that bar, the margin, the
                                           # colour impostor bar; nearest in the mix, the image embedding at most
                                           # the margin behind), no frame shared: one character's back views
                                           # paired into a group of their own (view_groups.py; anime: on)
    appearance_view_group_members: bool = False  # ... and a faceless group whose members name two identities
                                           # in the colours is taken member by member, each by that rule for a
                                           # group of one (both persons' back views paired; view_groups.py;
                                           # anime: on)
    appearance_view_shape: float | None = None  # ... and a view look or a view group joins only where each
                                           # of its rows' silhouettes (appearance.shape_descriptor) is at least
                                           # this alike to one of the identity's members: one colour in other
                                           # designs (a green fish, a frog, a slime) is another shape
                                           # (view_shapes.py; None: off; anime: 0.5)
    appearance_view_palette_image: bool = False  # ... and a view look whose colours fit the identity no better
                                           # (by appearance_margin) than another faceless row's do joins only
                                           # where the image embedding puts it nearer the identity than every
                                           # such row: one palette worn by several designs (palette_peers.py;
                                           # anime: on)
    grey_faces_colourless: bool = False    # a faced row still noise whose drawn face is grey (no coloured pixel
                                           # in its hair, skin, clothing) is compared with every face without the
                                           # colour block and joins the face identity it is nearest at least
                                           # prototype_threshold alike, ahead of every other face by
                                           # grey_face_margin (grey_faces.py; anime: on)
    grey_face_margin: float = 0.05         # ... that lead
    adopted_looks_follow_faceless: bool = False  # a faceless row a face identity adopted by its look moves to
                                           # the faceless group formed later that it is nearer than the identity's
                                           # face members in the image embedding and the colours each, by
                                           # appearance_margin (adopted_faceless_looks.py; anime: on)
    inherited_looks_follow: bool = False   # ... and a faceless row a track carried into a face identity moves to
                                           # the identity (a faceless group too) it is nearer than the carrying
                                           # identity's face members by appearance_margin in the adoption mix and
                                           # the colours, the image embedding at most the margin behind:
                                           # characters crossing swap or share a track (inherited_looks.py;
                                           # anime: on)
    appearance_release_designs: bool = False  # adopted faceless rows that part from the identity's face members
                                           # as a design of their own (split_gap, split_colour_gap, as a face
                                           # cluster is cut) go back to the faceless pool (faceless_groups.py)
    track_release_designs: bool = False    # after the tracks decide, rows their track or their look placed in an
                                           # identity that part from its face members as a design of their own
                                           # (split_gap, split_colour_gap) go back to the faceless pool: a track
                                           # two crossing characters share (inherited_designs.py)
    appearance_colour_weight: float = 0.0  # the share of a cut-out's colours (appearance.colour_descriptor) in the
                                           # appearance a faceless instance joins a face identity by (0: the image
                                           # embedding alone); its floor and margin are taken on the mix
    split_gap: float | None = None         # a face cluster is cut in two (average linkage) when each part holds
                                           # min_cluster_size faces and each is this much closer within itself
                                           # (mean cosine) than to the other part; None: off (anime: drawn
                                           # characters of one body design, told apart by hair and clothes)
    split_colour_gap: float = 0.0          # ... and the parts' cut-out colours (appearance.colour_descriptor)
                                           # are this much apart in the same measure (> 0: no cut where the
                                           # colours are not read, appearance_colour_weight 0)
    split_link_colour_weight: float = 0.0  # the two parts are found by linkage on the face embedding and the
                                           # cut-out's colours mixed by this share (0: the face alone); the gaps
                                           # are tested as above. Two designs of one body differ in colour more
                                           # than in the face, so a face-only cut can fall across poses instead
    split_layout_gap: float | None = None  # ... parts closer than split_gap in the face are still cut where their
                                           # cut-outs' colour layouts (colour_layout.layout_descriptor) are this
                                           # much apart in the same measure (and the colour gap holds): two designs
                                           # of one palette drawn with one face; None: off (anime: 0.06)
    face_clusters_join_by_look: bool = False  # ... and two face clusters on no frame together whose cut-outs no
                                           # look parts (under split_gap in the image embedding, split_colour_gap,
                                           # split_layout_gap) are one: a drawn face read apart on white and on
                                           # real frames (one_look_clusters.py; anime: on)
    split_min_shots: int | None = None     # ... a part also counts as large enough when its faces come from this many
                                           # shots (and number at least this many): a design seen in a few shots
                                           # with fewer faces than a cluster needs (None: min_cluster_size faces)
    split_minor_gap: float | None = None   # then a cluster still whole is cut where a part of any size (3 faces and
                                           # up) is this far apart in the face embedding ...
    split_minor_colour_gap: float | None = None  # ... and this far in the colours both: a character seen in one or
                                           # two shots inside another's cluster (design_split.minor_part_cut;
                                           # None: off; anime: 0.07, 0.08)
    merged_cut_faces_aside: bool = False   # ... and a faced row whose face leads one part of the split by
                                           # split_minor_gap while its cut-out's colours lead another by
                                           # split_minor_colour_gap, its face as alike to its part as the part's
                                           # least typical member, is a merged cut (one character's cut, another's
                                           # face): the split is read again without it and it joins the part its
                                           # colours are nearest (merged_cuts.py; anime: on)
    shared_frame_part_faces: int | None = None  # a part the shared-frame cut parts from its cluster is kept as a
                                           # cluster of its own, though under min_cluster_size, from this many
                                           # faces where one of them shares a frame with another part's face:
                                           # another character, not odd faces (shared_frames.split_shared_frames;
                                           # None: such parts are noise; anime: 3)
    shared_frame_cut: str = "whole_tree"   # whole_tree | proportionate: whole_tree cuts a cluster holding two
                                           # faces of one frame wherever its linkage tree parts them; proportionate
                                           # cuts only where they part in the tree's top branches, else keeps the
                                           # cluster whole and leaves the pair's less typical face out: one design
                                           # drawn twice on a frame (shared_frames.py; anime: proportionate)
    faceless_max_distance: float = 0.15    # faceless groups: verification distance in appearance space
    faceless_colour_weight: float = 0.0    # faceless groups are clustered on the image embedding and the cut-outs'
                                           # colours mixed by this share (0: the image embedding alone)
    faceless_shape_weight: float = 0.0     # ... and that mix joined with the cut-outs' silhouettes
                                           # (appearance.shape_descriptor) by this share (0: no shape)
    faceless_absorb: bool = False          # rows density clustering left as noise join the faceless group they
                                           # are on average within faceless_max_distance of (faceless_groups.py)
    faceless_pair_similarity: float | None = None  # where every shot is one frame (an image folder): two rows
                                           # left as noise, each the other's nearest, at least this alike in the
                                           # image embedding, the colours and the silhouettes each, form a group
                                           # (faceless_groups.pair_up; None: off, a group needs three)
    faceless_with_loose_faces: bool = False  # rows whose face joined no identity are grouped with the faceless
                                           # ones (by appearance): a face a detector found on a drawn character
                                           # without a face identity (a robot's jump) no longer keeps that look
                                           # out of its faceless group
    faceless_split: bool = False           # a faceless group is cut in two as split_by_gap cuts a face cluster
                                           # (split_gap in the image embedding, split_colour_gap in the colours,
                                           # linkage by split_link_colour_weight): two designs of one body without
                                           # face identities (two persons walking) are one group to density alone
    faceless_min_cluster_size: int | None = None  # null: = min_cluster_size
    faceless_min_cluster_shots: bool = False  # ... at most the rows one character gives in min_cluster_shots shots
                                           # (as face clusters): an image folder's faceless character drawn in 3
                                           # images is a group, however many faceless rows the folder holds
    faceless_min_shots: int = 2            # a faceless group must recur in this many shots: one prop or fragment
                                           # followed through the key frames of one shot always looks alike
    faceless_one_shot_frames: int | None = None  # ... but a one-shot group on this many key frames that every
                                           # later rule left wholly noise is a group after all: a character seen in
                                           # one shot only (faceless_groups.one_shot_groups; None: off)
    faceless_design_join: float | None = None  # then the tracks still noise join the faceless group, or form one
                                           # with the tracks of other shots, they are this alike to in the image
                                           # embedding and the colours each (faceless_designs.py; None: off) ...
    faceless_design_lead: float = 0.1      # ... and this much more alike than to any other identity
    faced_rows_follow_faceless: bool = False  # last of all, a faced row in a face identity whose cut-out is not
                                           # faceless_design_join alike to that identity's other members moves to
                                           # the faceless group it is that alike to, appearance_margin ahead of every
                                           # other identity (a faceless character's stray face; faced_faceless_looks.py)
    track_rows_follow_placed: bool = False  # then a row still noise joins the identity all its track's placed rows
                                           # hold where it is faceless_design_join alike to those rows and its key
                                           # frame holds no row of that identity (placed_tracks.py) ...
    track_rows_follow_clear_look: bool = False  # ... or, a row with no face, where its look names that identity as
                                           # a lone look's must (nearest in the adoption mix and each block,
                                           # appearance_margin ahead of the runner-up and of every row not its own)
    match_threshold: float = 0.45          # face-prototype cosine at which a cluster takes a stored identity's id
    gate_min_face_size: float = 24.0       # the strict gate a face passes to shape a prototype or vote in a track:
    gate_min_blur: float = 15.0            # size (px), sharpness (Laplacian variance), ...
    gate_max_yaw: float = 35.0             # ... a near-frontal pose (degrees) ...
    gate_max_roll: float = 25.0
    gate_min_det_score: float = 0.6        # ... and a confident detection
    prototype_threshold: float = 0.25      # an unclustered face joins the identity whose prototype is at least this
                                           # close and prototype_margin above the film's impostor ceiling (the
                                           # closest any face comes to another identity's prototype) ...
    prototype_margin: float = 0.1          # ... and this much closer than the runner-up's
    join_lead_quantile: float | None = None  # then a face still loose joins the identity it is nearest to when
                                           # nearer than the film's impostor ceiling and ahead of the runner-up by
                                           # this quantile of the clustered faces' own leads (None: off; anime 0.05)
    fixed_spot_face_iou: float | None = None  # a face lying on one spot (face boxes' IoU at least this) in frames
                                           # of three shots or more, held there by cut-outs that differ, is
                                           # something drawn behind the characters: left out, its row faceless
                                           # (fixed_spot_faces.py; None: off; anime 0.85)
    prototype_per_detector: bool = False   # ... judged against each identity's prototype of the face's own
                                           # detector (drawn faces: detectors frame a face differently)
    prototype_merge: float = 0.6           # identities whose prototypes are this alike (cosine) are one
    appearance_match_threshold: float = 0.9
    franchise: str | None = None           # prototype store shared by films of one franchise (default: the film)
    copy: bool = False                     # identity folders hold copies instead of symlinks
    plot: str = "pca"                      # pca | umap
    tracks: bool = True                    # link instances into tracks within shots; a track is one identity
    track_vote_share: float = 0.6          # share of a track's clear-face votes its identity needs
    track_inherit_look: bool = False       # a row inherits its track's identity only when its cut-out (the image
                                           # embedding and colours mixed by appearance_colour_weight) is as alike to
                                           # one of the track's voting rows as an adoption needs
                                           # (appearance_threshold); off: every row inherits (anime: on)
    track_merge_area_ratio: float | None = None  # a track is decided apart on the two sides of a row this many
                                           # times larger than its neighbours in it, a merged cut-out (anime 1.5)
    track_link_look: bool = False          # a track links a key frame's cut-out only when its look (as
                                           # track_inherit_look reads it) is as alike to one of the track's rows
                                           # as an adoption needs (appearance_threshold); off: motion and the
                                           # image embedding alone (anime: on)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "IdentityParams":
        params = cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})
        if params.reduce not in ("none", "pca", "umap", "auto") or params.plot not in ("pca", "umap"):
            raise ValueError("identities.reduce must be none|pca|umap|auto and identities.plot pca|umap")
        if not 0 <= params.appearance_colour_weight < 1:
            raise ValueError("identities.appearance_colour_weight must be in [0, 1)")
        if not 0 <= params.split_link_colour_weight < 1:
            raise ValueError("identities.split_link_colour_weight must be in [0, 1)")
        if not 0 <= params.faceless_shape_weight < 1:
            raise ValueError("identities.faceless_shape_weight must be in [0, 1)")
        if params.appearance_floor not in ("inclusive", "held_out"):
            raise ValueError("identities.appearance_floor must be inclusive|held_out")
        if params.min_cluster_size < 2:
            raise ValueError("identities.min_cluster_size must be >= 2")
        return params


def normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12) if x.size else x


def member_prototypes(unit: np.ndarray, members: list[np.ndarray]) -> np.ndarray:
    """Each identity's prototype (one row per entry of ``members``, its row indices): the normalised mean of its
    members' rows of ``unit`` (rows already unit length)."""
    return np.stack([normalise(unit[m].mean(axis=0, keepdims=True))[0] for m in members])


def reduce(x: np.ndarray, params: IdentityParams, seed: int = 0) -> tuple[np.ndarray, str]:
    """Optional PCA / UMAP before density clustering (keeps the result re-normalised for cosine)."""
    method = params.reduce
    if method == "auto":
        method = "pca" if x.shape[0] > params.reduce_above and x.shape[1] > params.reduce_dims else "none"
    dims = min(params.reduce_dims, x.shape[1], max(x.shape[0] - 1, 1))
    if method == "none" or dims >= x.shape[1] or x.shape[0] < 3:
        return x, "none"
    if method == "umap":
        import umap  # lazy: importing umap compiles numba code for seconds

        out = umap.UMAP(n_components=dims, metric="cosine", random_state=seed,
                        n_neighbors=min(15, x.shape[0] - 1)).fit_transform(x)
        return np.asarray(out, dtype=np.float32), "umap"
    from sklearn.decomposition import PCA

    out = PCA(n_components=dims, random_state=seed).fit_transform(x)
    return normalise(out), "pca"


def effective_min_cluster_size(rows: int, configured: int, fraction: float | None) -> int:
    """``configured``, lowered for small sets to ``fraction`` of the rows (never below 2): min_cluster_size is set
    for feature films with thousands of faces; a 50-second clip with 26 faces would otherwise form no identity."""
    if not fraction or fraction <= 0:
        return configured
    return max(2, min(configured, int(round(fraction * rows))))


def shot_min_cluster_size(frame_ids: list, shots: list, min_shots: int | None) -> int | None:
    """The faces one character seen in ``min_shots`` shots gives: ``min_shots`` x the key frames with a face per
    shot with a face (``frame_ids``, ``shots``: of each face). Key frames of one shot are one look repeated, so a
    film's cluster must span shots' worth of them; an image folder is a set of independent looks (each image its own
    shot), where a character drawn in three images is a character. None without shots (null shots are skipped)."""
    known = [(frame, shot) for frame, shot in zip(frame_ids, shots) if shot is not None]
    if not min_shots or not known:
        return None
    per_shot = len({frame for frame, _ in known}) / len({shot for _, shot in known})
    return max(2, int(round(min_shots * per_shot)))


def cluster(x: np.ndarray, params: IdentityParams, min_cluster_size: int | None = None,
            max_distance: float | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """HDBSCAN labels (-1 noise; 0 the largest cluster, then by size) and membership strengths in [0, 1].

    Above ``sample_above`` rows (HDBSCAN's cost grows faster than linearly), every face is clustered by density
    over its k-nearest-neighbour graph instead (assets/identities/scale.py), so minor characters are kept."""
    started = time.perf_counter()
    n = x.shape[0]
    mcs = effective_min_cluster_size(n, min_cluster_size or params.min_cluster_size, params.min_cluster_fraction)
    max_distance = params.max_distance if max_distance is None else max_distance
    if n < max(mcs, 2):
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float32), {"reduced": "none", "seconds": 0.0}
    unit = normalise(x)
    if n <= params.sample_above or max_distance <= 0:
        raw, strength, info = _density_clusters(unit, params, mcs, max_distance)
    else:  # many faces: density over a kNN graph of every face (assets/identities/scale.py), then verified
        from assets.identities.scale import graph_density_clusters

        raw, strength, info = graph_density_clusters(unit, mcs, max_distance)
        raw, info["clusters_resplit"] = verify(unit, raw, max_distance, mcs)
        raw, info["clusters_merged"] = merge_close(unit, raw, max_distance)
    labels = relabel_by_size(raw)
    strength = np.where(labels >= 0, strength, 0.0).astype(np.float32)
    return labels, strength, {**info, "min_cluster_size": mcs, "seconds": round(time.perf_counter() - started, 3)}


def _density_clusters(unit: np.ndarray, params: IdentityParams, mcs: int, max_distance: float
                      ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    import hdbscan

    n = unit.shape[0]
    data, how = reduce(unit, params)
    # unit vectors: euclidean distance = sqrt(2 * cosine distance), so the threshold converts exactly (without UMAP)
    epsilon = float(np.sqrt(2 * params.distance_threshold)) if params.distance_threshold > 0 else 0.0
    data = np.ascontiguousarray(data, dtype=np.float64)
    min_samples = min(params.min_samples or mcs, n - 1)
    model = hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=min_samples, metric="euclidean",
                            cluster_selection_epsilon=epsilon, core_dist_n_jobs=1)
    raw = model.fit_predict(data)
    if (raw < 0).all() and max_distance > 0:
        # one character only: HDBSCAN never selects the root by default; verification splits it if it is not one
        model = hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=min_samples, metric="euclidean",
                                core_dist_n_jobs=1, allow_single_cluster=True)
        raw = model.fit_predict(data)
    split = merged = 0
    if max_distance > 0:
        raw, split = verify(unit, raw, max_distance, mcs)
        raw, merged = merge_close(unit, raw, max_distance)
    strength = np.asarray(model.probabilities_, dtype=np.float32)
    return raw, strength, {"reduced": how, "clusters_resplit": split, "clusters_merged": merged}


def merge_close(unit: np.ndarray, labels: np.ndarray, max_distance: float) -> tuple[np.ndarray, int]:
    """Merge clusters whose members are on average closer than ``max_distance`` (cosine): the counterpart of
    ``verify``, for one character that density clustering cut in several (poses, lighting). The mean pairwise
    similarity of two clusters is exact from their sums: (sum_a . sum_b) / (n_a n_b)."""
    out = np.asarray(labels).copy()
    ids = [int(v) for v in np.unique(out) if v >= 0]
    if len(ids) < 2:
        return out, 0
    sums = {i: unit[out == i].sum(axis=0).astype(np.float64) for i in ids}
    sizes = {i: int((out == i).sum()) for i in ids}
    merged = 0
    while len(sums) > 1:
        keys = list(sums)
        s = np.stack([sums[k] for k in keys])
        n = np.array([sizes[k] for k in keys], dtype=np.float64)
        sim = (s @ s.T) / np.outer(n, n)
        np.fill_diagonal(sim, -np.inf)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] < 1 - max_distance:
            break
        keep, gone = keys[a], keys[b]
        out[out == gone] = keep
        sums[keep] += sums.pop(gone)
        sizes[keep] += sizes.pop(gone)
        merged += 1
    return out, merged


def verify(unit: np.ndarray, labels: np.ndarray, max_distance: float, min_cluster_size: int,
           max_linkage_rows: int = 2000) -> tuple[np.ndarray, int]:
    """Re-split clusters that do not hold together: each cluster is cut by average linkage at ``max_distance``
    (cosine; parts whose members are on average further apart separate), parts smaller than ``min_cluster_size``
    become noise. Clusters too large for a full linkage are cut on a sample, and each member joins the part whose
    sampled members it is closest to on average (within ``max_distance``). Returns new labels and how many
    clusters changed."""
    from sklearn.cluster import AgglomerativeClustering

    out = np.asarray(labels).copy()
    next_label = int(out.max()) + 1 if out.size else 0
    resplit = 0
    for label in [v for v in np.unique(out) if v >= 0]:
        rows = np.flatnonzero(out == label)
        if len(rows) < 2:
            continue
        if len(rows) <= max_linkage_rows:
            parts = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                            distance_threshold=max_distance).fit_predict(unit[rows])
        else:  # too many for a full linkage: cut a sample, every member joins the part it is closest to on average
            rng = np.random.default_rng(label)
            picked = rng.choice(len(rows), max_linkage_rows, replace=False)
            sample_parts = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                                   distance_threshold=max_distance).fit_predict(unit[rows[picked]])
            means = np.stack([unit[rows[picked[sample_parts == p]]].mean(axis=0)
                              for p in range(sample_parts.max() + 1)])
            sims = unit[rows] @ means.T
            parts = np.where(sims.max(axis=1) >= 1 - max_distance, sims.argmax(axis=1), -1)
        if len(np.unique(parts)) == 1 and parts[0] >= 0:
            continue
        resplit += 1
        for part in np.unique(parts):
            members = rows[parts == part]
            if part < 0 or len(members) < min_cluster_size:
                out[members] = -1
            else:
                out[members] = next_label
                next_label += 1
    return out, resplit


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Cluster 0 is the largest (ties: the one that appears first); noise stays -1."""
    labels = np.asarray(labels)
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    first = {i: int(np.argmax(labels == i)) for i in ids}
    order = sorted(ids, key=lambda i: (-counts[list(ids).index(i)], first[i]))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(v, -1) for v in labels], dtype=np.int64)


def medoid(x: np.ndarray) -> int:
    """Index of the row with the highest summed cosine similarity to the others."""
    unit = normalise(x)
    return int(np.argmax((unit @ unit.sum(axis=0))))
