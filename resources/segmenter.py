"""The ``segmenter`` resource: splits a frame into instances (one per character for the offline default).

Backends: ``characters`` (offline default: YuNet faces + YOLOX-nano people/animals + DeepLabV3 class mask as seeds,
refined with OpenCV GrabCut and a seeded watershed; weights in CASTFORGE_MODELS), ``sam2`` (SAM2.1 automatic mask
generator from a local checkpoint; its part masks are merged into whole characters by the characters backend's
coarse masks), ``auto`` (sam2 when its checkpoint is present, else characters). Whatever the backend, the same
cue models score every mask (faces inside it, detector boxes, class pixels) for the filter, and the instances
stage refines every mask's edge at the source resolution (assets/instances/matting.py). A frame taller than the
stage's ``analysis_max_height`` (anime preset: 480 rows) is analysed scaled down to it, as its 480p twin would be,
and its masks and cues come back in the frame's own pixels (resources/analysis_frame.py).
"""

from typing import TYPE_CHECKING, Literal

import numpy as np
from dagster import ConfigurableResource

from resources.lazy_backend import LazyBackendResource
from resources.protocols import SegmentedInstance, Segmenter

if TYPE_CHECKING:
    from resources.backends.character_cues import CharacterCues, Cues


class SegmenterResource(LazyBackendResource):
    """Lazily builds its backend and the cue models on first use; frees them after each run."""

    backend: Literal["auto", "characters", "sam2"] = "auto"
    device: str = "cpu"
    sam2_size: Literal["tiny", "small", "base_plus", "large"] = "tiny"
    sam2_checkpoint: str | None = None
    points_per_side: int = 32
    points_per_batch: int = 64
    pred_iou_thresh: float = 0.8
    stability_score_thresh: float = 0.9
    min_mask_area_1080p: int = 16384
    face_score: float = 0.6
    person_score: float = 0.3
    animal_score: float = 0.5
    anime_faces: bool = False  # add AnimeFace 2D face boxes to the cues (needs .venv-animeface; ~0.5 s per 480p frame)
    max_side: int = 640
    body_keypoints: bool = True  # characters: MoveNet limb lines are sure foreground (pose/movenet_... weights)
    person_matte: bool = True  # characters: BlazePose's sure person matte is probable foreground (pose/mp_pose_...)
    merge_sam2_parts: bool = True  # sam2: group its part masks into whole characters with the characters backend
    sam2_bfloat16: bool = True  # sam2 on a CUDA device: bfloat16 autocast (SAM2's own usage; 1.6x faster on an H200)
    grabcut: Literal["compiled", "opencv"] = "compiled"  # characters: GrabCut compiled (numba + PyMaxflow, the
    # same masks in 0.6x the CPU) or cv2.grabCut (resources/backends/grabcut_compiled.py)

    def resolved_backend(self) -> str:
        if self.backend != "auto":
            return self.backend
        from resources.backends.sam2 import find_checkpoint

        return "sam2" if self.sam2_checkpoint or find_checkpoint(self.sam2_size) else "characters"

    def cue_models(self) -> "CharacterCues":
        def build() -> "CharacterCues":
            from resources.backends.character_cues import CharacterCues

            return CharacterCues(self.face_score, self.person_score, self.animal_score, self.anime_faces)

        return self.built("cues", build)

    def get(self) -> Segmenter:
        return self.built("segmenter", self._build)

    def _build(self) -> Segmenter:
        from resources.backends.opencv_characters import OpencvCharacterSegmenter

        characters = OpencvCharacterSegmenter(self.cue_models(), self.max_side, person_score=self.person_score,
                                              body_keypoints=self.body_keypoints, person_matte=self.person_matte,
                                              grabcut=self.grabcut)
        if self.resolved_backend() != "sam2":
            return characters
        from resources.backends.sam2 import Sam2Segmenter

        return Sam2Segmenter(self.sam2_size, self.sam2_checkpoint, self.device, self.points_per_side,
                             self.points_per_batch, self.pred_iou_thresh, self.stability_score_thresh,
                             self.min_mask_area_1080p, characters=characters if self.merge_sam2_parts else None,
                             bfloat16=self.sam2_bfloat16)

    def segment_frame(self, rgb: np.ndarray, anime_faces: bool | None = None,
                      analysis_max_height: int | None = None,
                      motion=None, shot_seeds: list | None = None) -> tuple[list[SegmentedInstance], "Cues"]:
        """(instances, cues) for one RGB frame; ``anime_faces`` (the instances stage's parameter, on in the anime
        preset) adds AnimeFace 2D faces to the cues, None keeps the resource's choice. A frame taller than
        ``analysis_max_height`` (the stage's parameter; None: no cap) is analysed scaled down to it; masks and cues
        come back in the frame's own pixels. ``motion``: the frame's moving map against its shot, computed when asked
        for (resources/backends/character_motion.py; the instances stage's ``motion_seeds``). ``shot_seeds``: boxes
        (x0, y0, x1, y1, frame pixels) of characters cut in a neighbouring key frame of the shot and carried here
        (assets/instances/shot_seeds.py), each a figure seed. A tinted monochrome frame (sepia, a duotone) is analysed
        as its luma (``character_monochrome.without_tint``; switch TINTED_AS_GREY)."""
        from resources.analysis_frame import analysis_scale, full_cues, full_instances, scaled_frame
        from resources.backends.character_monochrome import without_tint

        scale = analysis_scale(rgb.shape[0], analysis_max_height)
        small = without_tint(scaled_frame(rgb, scale))  # a tinted frame (sepia, duotone) is analysed as its luma
        cues = self.cue_models()(small, anime_faces)
        cues.motion = motion
        cues.shot_seeds = [np.asarray(b, np.float32) * scale for b in shot_seeds or ()]
        found = self.get().segment(small, cues)
        reason = None if found else no_instance_reason(cues, self.face_score, self.person_score)
        if scale < 1.0:
            found, cues = full_instances(found, rgb.shape[:2]), full_cues(cues, scale, rgb.shape[:2])
        cues.empty_reason = reason
        return found, cues

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "cues": self.cue_models().model}


def no_instance_reason(cues: "Cues", face_score: float, person_score: float) -> str:
    """Why the segmenter found no instance in a frame, from the cues it computed: no seed (the best face and person
    box against their thresholds; face detections below ``face_score`` and person boxes below ``person_score`` are
    seeds only where other evidence confirms them), seeds dropped by its rules, or seeds whose every cut was too
    small. ``cues.seeds``: the seeds it cut (set by the characters segmenter; None: not told)."""
    faces = [f[4] for f in (*cues.faces, *getattr(cues, "weak_faces", ()))]
    people = [b[4] for b in cues.bodies if int(b[5]) == 0]
    animals = [b[4] for b in cues.bodies if int(b[5]) != 0]
    seeds = getattr(cues, "seeds", None)

    def best(scores: list, what: str, threshold: float, model: str) -> str:
        return f"best {what} {max(scores):.2f} < {threshold:.2f} ({model})" if scores else f"no {what} ({model})"

    if seeds:
        return f"{seeds} seed{'s' * (seeds > 1)} found but every cut was below the minimum size"
    dropped_faces = getattr(cues, "false_faces", 0)  # faces heading no character (character_face_guard)
    if seeds == 0 and (len(cues.faces) or dropped_faces or animals or any(p >= person_score for p in people)):
        return ("no seed: its faces and boxes were dropped as an upper body, a creature's limb or a face heading "
                "no character "
                f"(faces {len(cues.faces) + dropped_faces}, person boxes {len(people)}, animal boxes {len(animals)})")
    face_model = "YuNet+AnimeFace" if getattr(cues, "drawn", False) else "YuNet"
    return (f"no face or person box: {best(faces, 'face', face_score, face_model)}, "
            f"{best(people, 'person box', person_score, 'YOLOX')}")


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"segmenter": SegmenterResource(backend="sam2", device="cuda", sam2_size="large",
                                               points_per_batch=256)}
    return {"segmenter": SegmenterResource(backend="auto", device="cpu")}
