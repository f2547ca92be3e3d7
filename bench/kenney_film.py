"""A drawn film of characters castforge never saw, through the whole chain, with exact truth (issues #12 and #13).

``build OUT --split tune|held_out [--shots 12] [--seed 23] [--height 480]``: ``OUT/film.mp4``, a 24 fps H.264 film of
``--shots`` shots (3-5 s each, hard cuts), each one background frame of the split's backgrounds
(bench/composites.py's split_backgrounds, cropped to 16:9) with 1-3 of Kenney's six CC0 characters
(assets/instances/kenney_characters.py) in the split's poses: walking across (the split's walk cycle, 8 drawings a
second) or standing, some crossing each other, some cut by the frame's edge, one scale per shot (0.4-1.05 of the
frame's height); every character in several shots. Truth: ``OUT/truth/shotNNN.npz`` (every frame's visible alpha
of each character, uint8, cropped to its box: what stays of it once the characters in front are pasted) and
``OUT/truth/film.json`` (the plan: which character is where, per frame its box, visible pixels, occluded share and
whether the frame's edge cuts it). The same split and seed give the same film, byte for byte (x264 with no
macroblock tree, on one thread: X264_OPTIONS; session 56).

``eval HOME FILM OUT``: after ``CASTFORGE_HOME=HOME castforge ingest OUT/film.mp4 --film FILM`` and ``castforge
materialize FILM``: JSON of the identities (BCubed over the kept instances labelled by their best-IoU character,
and over every visible character of every key frame, an unfound one a singleton; per character purity / coverage;
identities formed) and the cut-outs (per character mean mask IoU, boundary F at 2 px, found@0.5 / 0.8 of the best
kept instance per visible character per key frame, and the loss profile of bench/composites.py). Scoring:
bench/kenney_film_scores.py.

Usage: .venv/bin/python bench/kenney_film.py build OUT --split tune
       .venv/bin/python bench/kenney_film.py eval HOME FILM OUT
"""

import argparse
import json
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np

# the repository first (castforge's packages), the bench folder last: its sibling scripts (composites,
# kenney_film_scores) are found, and its datasets.py never shadows Hugging Face's `datasets` in a process that
# loads this file (tests load it in-process)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

FPS = 24
SCALES = (0.4, 0.55, 0.7, 0.85, 1.05)  # a character's height / the frame's height, one per shot (1.05: cut by the edge)
FIGURE_SHARE = 0.75  # a Kenney character fills the lower 96 of its sprite's 128 rows
WALK_DRAWING_FRAMES = 3  # a walk drawing is held 3 frames (8 drawings a second, as drawn films animate "on threes")
SPLIT_SEEDS = {"tune": 0, "held_out": 1000}
# the same film on every build: x264's macroblock tree reads heap memory it never wrote when a stream starts (the
# first shot's frames then vary with what the process's heap held: MALLOC_PERTURB_ shows it), so it is off; and one
# thread, so that the film is not cut into as many slices as the machine has cores
X264_OPTIONS = {"crf": "16", "preset": "veryfast", "x264-params": "mbtree=0:threads=1"}


def plan_film(split: str, shots: int = 12, seed: int = 23, seconds: tuple[float, float] = (3.0, 5.0),
              backgrounds: int = 11) -> list[dict]:
    """The film's shots: background index, frame count, scale, and per character its poses (a walk cycle or one
    standing pose), mirror, start centre (share of the width), speed (share of the width a second, signed) and
    where its feet stand (share of the height). Characters are dealt round-robin from a shuffled order, so every
    character appears in about 2 x shots / 6 shots."""
    from assets.instances.kenney_characters import CHARACTERS, kenney_poses

    rng = np.random.default_rng(seed + SPLIT_SEEDS[split])
    poses = kenney_poses(split)
    walk = [p for p in poses if p.startswith("walk")]
    still = [p for p in poses if not p.startswith("walk")] + walk[:1]
    names, order = list(CHARACTERS), []
    backdrop = rng.permutation(backgrounds)
    plan = []
    for shot in range(shots):
        count = int(rng.integers(1, 4))
        if len(order) < 2 * count:
            order += [names[i] for i in rng.permutation(len(names))]
        cast = []
        for character in list(order):  # the next distinct characters in the deal
            if len(cast) < count and character not in cast:
                cast.append(character)
                order.remove(character)
        scale = float(rng.choice(SCALES))
        characters = []
        for character in cast:
            walking = rng.random() < 0.7
            centre = float(rng.uniform(-0.05, 1.05) if walking else rng.uniform(0.12, 0.88))
            speed = float(rng.uniform(0.06, 0.16)) * (1 if centre < 0.5 else -1) if walking else 0.0
            feet = 1.0 + (scale - 0.95) if scale > 1 else float(rng.uniform(0.93, 1.0))
            characters.append({"character": character, "poses": walk if walking else [str(rng.choice(still))],
                               "mirror": speed < 0 if walking else bool(rng.random() < 0.5),
                               "height": round(scale * float(rng.uniform(0.92, 1.08)), 3),
                               "centre": round(centre, 3), "speed": round(speed, 3), "feet": round(feet, 3)})
        plan.append({"shot": shot, "background": int(backdrop[shot % backgrounds]),
                     "frames": int(round(float(rng.uniform(*seconds)) * FPS)), "characters": characters})
    return plan


def fit_background(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """``rgb`` scaled to cover width x height and centre-cropped to it."""
    factor = max(width / rgb.shape[1], height / rgb.shape[0])
    size = (max(width, round(rgb.shape[1] * factor)), max(height, round(rgb.shape[0] * factor)))
    scaled = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)
    x0, y0 = (size[0] - width) // 2, (size[1] - height) // 2
    return np.ascontiguousarray(scaled[y0:y0 + height, x0:x0 + width])


def sprites(archive: zipfile.ZipFile, character: dict, frame_height: int) -> list[np.ndarray]:
    """The character's drawings (RGBA, whole sprite canvas so that the feet stay put across drawings) at its size."""
    from assets.instances.kenney_characters import SPRITE_HEIGHT, read_sprite, upscale_rgba

    rows = character["height"] * frame_height / FIGURE_SHARE
    out = [upscale_rgba(read_sprite(archive, character["character"], pose), rows / SPRITE_HEIGHT)
           for pose in character["poses"]]
    return [np.ascontiguousarray(s[:, ::-1]) if character["mirror"] else s for s in out]


def render_shot(background: np.ndarray, shot: dict, drawings: list[list[np.ndarray]]):
    """Yields each frame of the shot: (RGB frame, [(full alpha, visible alpha, colour, cut by the frame's edge) per
    character]), float32 alphas in [0, 1]; later characters stand in front."""
    from assets.instances.composites import _paste

    height, width = background.shape[:2]
    for frame in range(shot["frames"]):
        canvas, layers = background.copy(), []
        for character, cycle in zip(shot["characters"], drawings):
            sprite = cycle[(frame // WALK_DRAWING_FRAMES) % len(cycle)]
            centre = (character["centre"] + character["speed"] * frame / FPS) * width
            x0, y0 = round(centre - sprite.shape[1] / 2), round(character["feet"] * height) - sprite.shape[0]
            alpha = sprite[..., 3].astype(np.float32) / 255.0
            full = _paste(canvas, sprite[..., :3], alpha, x0, y0)
            colour = np.zeros_like(canvas)
            _paste(colour, sprite[..., :3], np.ones_like(alpha), x0, y0)
            layers.append((full, colour, bool(full.sum() < 0.99 * alpha.sum())))
        visible = []
        for k, (full, colour, cut) in enumerate(layers):
            in_front = np.max([f for f, _, _ in layers[k + 1:]], axis=0) if k + 1 < len(layers) else 0.0
            visible.append((full, full * (1.0 - in_front), colour, cut))
        yield canvas, visible


def box_of(alpha: np.ndarray) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(alpha > 0)
    return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1) if len(xs) else None


def frame_facts(full: np.ndarray, visible: np.ndarray, cut: bool) -> dict:
    """A character's facts in one frame: visible pixels (alpha >= 0.5), the share of its in-frame pixels that
    characters in front hide, and whether the frame's edge cuts it."""
    shown = float((full >= 0.5).sum())
    hidden = float(((full >= 0.5) & (visible < 0.5)).sum())
    return {"visible_px": int((visible >= 0.5).sum()), "occluded": round(hidden / shown, 3) if shown else 1.0,
            "cut": cut}


def shot_backgrounds(split: str, height: int) -> list[tuple[str, np.ndarray]]:
    """The split's backgrounds (bench/composites.py) at 16:9, less the black ones (Sintel's title cards, the test
    video's black frame): a shot on black with a small character reads as a fade through black and is rightly split
    at its middle (assets/frames/shots.py), which a film's truth of one shot per background would not match."""
    from assets.frames.shots import DARK_LEVEL
    from composites import split_backgrounds

    width = round(height * 16 / 9 / 2) * 2
    return [(label, fit_background(rgb, width, height)) for label, rgb in split_backgrounds(split, height)
            if rgb.mean() >= 2 * DARK_LEVEL]


def build(out: Path, split: str, shots: int = 12, seed: int = 23, height: int = 480,
          seconds: tuple[float, float] = (3.0, 5.0)) -> dict:
    """Writes OUT/film.mp4 and OUT/truth/; returns the film's JSON truth."""
    import av

    from assets.instances.kenney_characters import kenney_wheel

    backgrounds = shot_backgrounds(split, height)
    plan = plan_film(split, shots, seed, seconds, len(backgrounds))
    (out / "truth").mkdir(parents=True, exist_ok=True)
    width = backgrounds[0][1].shape[1]
    start = 0
    with zipfile.ZipFile(kenney_wheel()) as archive, av.open(str(out / "film.mp4"), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options=X264_OPTIONS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for shot in plan:
            label, background = backgrounds[shot["background"]]
            drawings = [sprites(archive, c, height) for c in shot["characters"]]
            arrays = {"boxes": [], "keys": [], "alpha": [], "occluded": [], "cut": []}
            for character in shot["characters"]:
                character["frames"] = []
            for frame, (rgb, layers) in enumerate(render_shot(background, shot, drawings)):
                container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
                for k, (full, visible, _, cut) in enumerate(layers):
                    box = box_of(visible)
                    if box is None:
                        continue
                    facts = frame_facts(full, visible, cut)
                    shot["characters"][k]["frames"].append([frame, *box, *facts.values()])
                    x0, y0, x1, y1 = box
                    arrays["boxes"].append(box), arrays["keys"].append((frame, k))
                    arrays["alpha"].append(np.round(visible[y0:y1, x0:x1] * 255).astype(np.uint8).ravel())
                    arrays["occluded"].append(facts["occluded"]), arrays["cut"].append(facts["cut"])
            sizes = [len(a) for a in arrays["alpha"]]
            np.savez_compressed(out / "truth" / f"shot{shot['shot']:03d}.npz",
                                boxes=np.array(arrays["boxes"], np.int32).reshape(-1, 4),
                                keys=np.array(arrays["keys"], np.int32).reshape(-1, 2),
                                offsets=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
                                alpha=np.concatenate(arrays["alpha"]) if sizes else np.zeros(0, np.uint8),
                                occluded=np.array(arrays["occluded"], np.float32),
                                cut=np.array(arrays["cut"], bool))
            shot.update({"background_label": label, "start_frame": start})
            start += shot["frames"]
        container.mux(stream.encode())
    truth = {"split": split, "seed": seed, "fps": FPS, "width": width, "height": height, "frames": start,
             "frame_columns": ["frame", "x0", "y0", "x1", "y1", "visible_px", "occluded", "cut"], "shots": plan}
    (out / "truth" / "film.json").write_text(json.dumps(truth, indent=None))
    return truth


class FilmTruth:
    """The built film's truth: ``characters(frame_index)`` -> [(character, visible alpha float32 frame-sized,
    occluded share, cut by the frame's edge)] for every character visible in that frame of the film."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.meta = json.loads((self.out / "truth" / "film.json").read_text())
        self._loaded: dict[int, dict] = {}

    def shot_of(self, frame_index: int) -> dict:
        for shot in self.meta["shots"]:
            if shot["start_frame"] <= frame_index < shot["start_frame"] + shot["frames"]:
                return shot
        raise IndexError(f"{self.out}: frame {frame_index} is past the film's {self.meta['frames']} frames")

    def characters(self, frame_index: int) -> list[tuple[str, np.ndarray, float, bool]]:
        shot = self.shot_of(frame_index)
        if shot["shot"] not in self._loaded:
            with np.load(self.out / "truth" / f"shot{shot['shot']:03d}.npz") as data:
                self._loaded[shot["shot"]] = {k: data[k] for k in data.files}
        data, local = self._loaded[shot["shot"]], frame_index - shot["start_frame"]
        out = []
        for n in np.nonzero(data["keys"][:, 0] == local)[0]:
            x0, y0, x1, y1 = data["boxes"][n]
            plane = np.zeros((self.meta["height"], self.meta["width"]), np.float32)
            crop = data["alpha"][data["offsets"][n]:data["offsets"][n + 1]].reshape(y1 - y0, x1 - x0)
            plane[y0:y1, x0:x1] = crop.astype(np.float32) / 255.0
            name = shot["characters"][int(data["keys"][n, 1])]["character"]
            out.append((name, plane, float(data["occluded"][n]), bool(data["cut"][n])))
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    made = sub.add_parser("build", help="write OUT/film.mp4 and OUT/truth/")
    made.add_argument("out")
    made.add_argument("--split", choices=["tune", "held_out"], required=True)
    made.add_argument("--shots", type=int, default=12)
    made.add_argument("--seed", type=int, default=23)
    made.add_argument("--height", type=int, choices=[480, 720], default=480)
    made.add_argument("--seconds", type=float, nargs=2, default=[3.0, 5.0], metavar=("MIN", "MAX"),
                      help="each shot's length is drawn between these")
    scored = sub.add_parser("eval", help="score a materialised film against OUT/truth/")
    scored.add_argument("home"), scored.add_argument("film"), scored.add_argument("out")
    args = parser.parse_args()
    if args.command == "build":
        truth = build(Path(args.out), args.split, args.shots, args.seed, args.height, tuple(args.seconds))
        cast = sorted({c["character"] for s in truth["shots"] for c in s["characters"]})
        print(json.dumps({"film": str(Path(args.out) / "film.mp4"), "frames": truth["frames"],
                          "shots": len(truth["shots"]), "characters": {
                              name: sum(any(c["character"] == name for c in s["characters"]) for s in truth["shots"])
                              for name in cast}}))
    else:
        from kenney_film_scores import evaluate

        print(json.dumps(evaluate(Path(args.home), args.film, FilmTruth(Path(args.out))), indent=1))


if __name__ == "__main__":
    main()
