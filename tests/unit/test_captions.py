"""Captions: CLIP token counting with the real CLIP vocabulary, the measured captioner on real photos, the 77-token
limit, shot sizes, and captioning whole tables."""

import glob
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from assets.captions.core import CaptionParams, caption_facts, caption_instances, compose, shot_size
from assets.captions.tokens import clip_token_count, clip_tokenizer
from resources.backends.measured_captions import (MAX_PIXELS, MeasuredCaptioner, character_pixels, colour_names,
                                                  lighting_phrases)


@pytest.fixture(autouse=True)
def _home(castforge_home):
    return castforge_home


def test_clip_tokenizer_is_clip():
    # OpenAI CLIP's ids for this sentence (49406 = <|startoftext|>, 49407 = <|endoftext|>)
    assert clip_tokenizer().encode("a photo of a cat").ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert clip_tokenizer().get_vocab_size() == 49408
    assert clip_token_count("") == 2
    # tokens.py builds CLIPTokenizer's tokenizers pipeline itself (importing transformers costs seconds a process):
    # the same pipeline, serialised, and the same ids on captions, odd spacing, case, accents, digits, apostrophes,
    # punctuation runs, non-Latin scripts and the special tokens written in the text
    from transformers import CLIPTokenizer

    from assets.captions.tokens import tokenizer_dir

    reference = CLIPTokenizer.from_pretrained(str(tokenizer_dir()))
    assert clip_tokenizer().to_str() == reference.backend_tokenizer.to_str()
    texts = ["a 3d animated character, pixar style, Sintel, full body, front view, red hair",
             "  Two\tspaces\n\nand   tabs ", "CAFÉ naïve Ünïcödé e\u0301", "it's they'll we'd I'M 1080p 24fps 3.5",
             "!!! ... ?!, --- :-) <3", "漫画のキャラクター, 미소", "<|startoftext|>x<|endoftext|>", "", "a" * 300]
    for text in texts:
        assert clip_tokenizer().encode(text).ids == reference(text, truncation=False)["input_ids"], text


def test_compose_keeps_prefix_and_trigger_and_fits_77_tokens():
    body = ", ".join(f"phrase number {i} with several extra words" for i in range(40))
    caption, count, dropped = compose("a 3d animated character, pixar style, smooth shading", "Sintel", body, 77)
    assert caption.startswith("a 3d animated character, pixar style, smooth shading, Sintel, phrase number 0")
    assert count <= 77 and count == clip_token_count(caption) and dropped > 0
    # the trigger is not repeated when the body names it again
    assert compose("", "Sintel", "sintel, front view", 77)[0] == "Sintel, front view"


@pytest.mark.parametrize("colour,name", [((220, 30, 30), "red"), ((30, 40, 200), "blue"), ((20, 20, 20), "black"),
                                         ((240, 240, 240), "white"), ((40, 160, 40), "green"),
                                         ((110, 60, 20), "brown")])
def test_colour_names(colour, name):
    image = np.zeros((40, 40, 3), np.uint8)
    image[:] = colour
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    image[~mask] = (255, 255, 0)  # outside the character: must not count
    assert colour_names(image, mask) == [name]


def colour_names_by_string(rgb: np.ndarray, mask: np.ndarray, min_share: float = 0.15, top: int = 3) -> list[str]:
    """The string-based count ``colour_names`` had before it counted codes (session 8): the reference."""
    pixels = rgb[mask]
    if len(pixels) > MAX_PIXELS:
        pixels = pixels[np.linspace(0, len(pixels) - 1, MAX_PIXELS).astype(np.int64)]
    hsv = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.int32)
    h, s, v = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    names = np.full(h.shape, "", dtype=object)
    chromatic = (s >= 50) & (v >= 50)
    names[v < 50] = "black"
    names[(v >= 50) & (s < 50)] = np.where(v[(v >= 50) & (s < 50)] > 200, "white", "grey")
    for lo, hi, name in [(0, 8, "red"), (8, 20, "orange"), (20, 33, "yellow"), (33, 85, "green"), (85, 100, "teal"),
                         (100, 130, "blue"), (130, 150, "purple"), (150, 170, "pink"), (170, 180, "red")]:
        names[chromatic & (h >= lo) & (h < hi)] = name
    warm = chromatic & (h < 25)
    names[warm & (v < 150)] = "brown"
    names[warm & (v >= 150) & (s < 110)] = "beige"
    values, counts = np.unique(names.astype(str), return_counts=True)
    order = np.argsort(-counts)
    return [str(values[i]) for i in order[:top] if values[i] and counts[i] / counts.sum() >= min_share]


def test_colour_names_match_the_string_count_on_real_photos_and_ties(shared):
    """Counting colour codes names the same colours in the same order as counting names did: real photos (one
    above MAX_PIXELS, so the subsample is taken), and four colours in equal shares (ties ranked alike)."""
    checked = 0
    for p in sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))[:8]:
        rgb = cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB)
        mask = np.zeros(rgb.shape[:2], bool)
        mask[rgb.shape[0] // 8:, rgb.shape[1] // 6:] = True
        assert np.array_equal(character_pixels(rgb, mask), rgb[mask][np.linspace(
            0, mask.sum() - 1, MAX_PIXELS).astype(np.int64)] if mask.sum() > MAX_PIXELS else rgb[mask])
        for share in (0.15, 0.05, 0.01):
            assert colour_names(rgb, mask, share, top=5) == colour_names_by_string(rgb, mask, share, top=5)
        checked += mask.sum() > MAX_PIXELS
    assert checked > 0
    tied = np.zeros((40, 40, 3), np.uint8)
    tied[:10], tied[10:20], tied[20:30], tied[30:] = (220, 30, 30), (30, 40, 200), (20, 20, 20), (240, 240, 240)
    full = np.ones((40, 40), bool)
    assert colour_names(tied, full, 0.1, top=4) == colour_names_by_string(tied, full, 0.1, top=4)
    assert sorted(colour_names(tied, full, 0.1, top=4)) == ["black", "blue", "red", "white"]


@pytest.mark.parametrize("grey,phrase", [(30, "dark low-key lighting"), (90, "dim lighting"),
                                         (140, "medium lighting"), (230, "brightly lit")])
def test_lighting_from_luminance(grey, phrase):
    assert lighting_phrases(np.full((10, 10, 3), grey, np.uint8), None) == [phrase]


@pytest.mark.parametrize("face,inst,frame,extent,shot", [
    (80, 180, 204, "upper_body", "close-up"), (None, 50, 204, "full_body", "wide shot"),
    (None, 180, 204, "full_body", "full body shot"), (20, 150, 204, "upper_body", "medium shot"),
    (None, 100, 204, "head_shoulders", "medium close-up"), (None, 100, None, "unknown", None)])
def test_shot_size(face, inst, frame, extent, shot):
    assert shot_size(face, inst, frame, extent, CaptionParams()) == shot


def test_measured_captions_on_real_photos_name_identity_and_fit(shared, tmp_path):
    rows = []
    for i, p in enumerate(sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))):
        bgr = cv2.imread(p)
        bgr = cv2.resize(bgr, (bgr.shape[1] // 4, bgr.shape[0] // 4))
        out = tmp_path / f"c{i}.png"
        cv2.imwrite(str(out), cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA))
        person = Path(p).parent.name
        rows.append({"instance_id": f"i{i}", "frame_id": f"f{i}", "identity": person, "label": person,
                     "trigger": person.replace("_", " ").title(), "path": str(out), "x0": 0.0, "y0": 0.0,
                     "x1": float(bgr.shape[1]), "y1": float(bgr.shape[0])})
    rows.append({**rows[0], "instance_id": "missing", "path": str(tmp_path / "gone.png")})
    table = pl.DataFrame(rows)
    poses = pl.DataFrame({"instance_id": ["i0"], "view": ["three_quarter"], "pose_bucket": ["pose_001"],
                          "keypoints": [None], "no_pose_reason": ["low confidence: 2/17 keypoints >= 0.3"]},
                         schema_overrides={"keypoints": pl.List(pl.Float32)})
    params = CaptionParams(prefix="a photo, realistic")
    facts = caption_facts(table, poses, None, None, params)
    captions = caption_instances(table, facts, MeasuredCaptioner(), params, Path)
    assert captions.height == table.height
    for row, cap in zip(table.iter_rows(named=True), captions.iter_rows(named=True)):
        assert cap["caption"].startswith(f"a photo, realistic, {row['trigger']}")
        assert cap["clip_tokens"] <= 77 and cap["backend"] == "measured" and cap["prompt_version"] == "measured-2"
    first = captions.row(0, named=True)
    assert "three-quarter view" in first["caption"] and first["pose_bucket"] == "pose_001"
    assert "colours" in captions.filter(pl.col("instance_id") == "i1")["caption"][0]
    # an unreadable cut-out still gets prefix and trigger, and no invented colours
    missing = captions.filter(pl.col("instance_id") == "missing")["caption"][0]
    assert missing.startswith("a photo, realistic, Alex Lacamoire") and "colours" not in missing


def test_empty_table_gives_empty_captions():
    empty = pl.DataFrame(schema={"instance_id": pl.String, "identity": pl.String, "trigger": pl.String,
                                 "path": pl.String, "frame_id": pl.String, "x0": pl.Float64, "y0": pl.Float64,
                                 "x1": pl.Float64, "y1": pl.Float64})
    assert caption_instances(empty, [], None, CaptionParams(), Path).height == 0


def test_profiles_pick_measured_locally_and_qwen_on_gpu():
    from resources.captioner import profile_resources

    assert profile_resources("local")["captioner"].backend == "measured"
    assert profile_resources("gpu")["captioner"].backend == "qwen_vl"


def test_keypoints_that_draw_no_body_give_no_pose_phrase():
    """MoveNet's keypoints on a close-up of Chip (Penny & Chip, session 44's run; tests/unit/test_datasets.py):
    his right wrist above his shoulder read "one arm raised" though the frame shows his face; keypoints that draw
    no upright body (``pose.views.upright_body_problem``, checked against his face) give no pose phrase. A drawn
    body whose keypoints are upright keeps its phrase."""
    from tests.unit.test_datasets import PENNY_AND_CHIP_POSES

    origin, shape, face, keypoints = PENNY_AND_CHIP_POSES["chip close-up, face found (YuNet)"]
    x0, y0 = float(origin[0]), float(origin[1])
    rows = pl.DataFrame([{"instance_id": "chip", "frame_id": "f", "trigger": "pc_char0", "x0": x0, "y0": y0,
                          "x1": x0 + shape[1], "y1": y0 + shape[0]}])
    poses = pl.DataFrame({"instance_id": ["chip"], "view": ["front"], "pose_bucket": ["pose_000"],
                          "keypoints": [np.asarray(keypoints, np.float32).reshape(-1).tolist()],
                          "no_pose_reason": [None]}, schema_overrides={"keypoints": pl.List(pl.Float32),
                                                                      "no_pose_reason": pl.String})
    faces = pl.DataFrame({"instance_id": ["chip"], "fx0": [face[0]], "fy0": [face[1]], "fx1": [face[2]],
                          "fy1": [face[3]], "yaw": [0.0], "face_size": [face[3] - face[1]]})
    assert caption_facts(rows, poses, faces, None, CaptionParams())[0]["pose"] == []
    upright = np.zeros((17, 3), np.float32)  # a hand-made upright body, right wrist above its shoulder
    upright[[0, 5, 6, 10, 11, 12]] = [(50, 20, .9), (70, 50, .9), (30, 50, .9), (28, 10, .9), (60, 100, .9),
                                      (40, 100, .9)]
    raised = poses.with_columns(pl.Series("keypoints", [upright.reshape(-1).tolist()], pl.List(pl.Float32)))
    assert caption_facts(rows, raised, None, None, CaptionParams())[0]["pose"] == ["one arm raised"]


def test_a_character_drawn_in_dark_colours_is_not_dim_lighting_in_every_image(shared, tmp_path):
    """Saha's cut-out as two characters: one as drawn, one drawn in darker colours (every pixel at 0.65: dark hair,
    skin and clothes); each seen five times in its usual light and once with the light down to half. Only the
    images whose light went down say so; the darker character's usual images are not "dim lighting"."""
    saha = cv2.imread(str(shared / "media/characters_rgba/saha_front.png"), cv2.IMREAD_UNCHANGED)
    saha = cv2.resize(saha, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    rows = []
    for character, colours in (("light", 1.0), ("dark", 0.65)):
        for n, light in enumerate((1.0, 0.97, 1.03, 0.98, 1.02, 0.5)):
            image = saha.copy()
            image[..., :3] = np.clip(saha[..., :3].astype(np.float32) * colours * light, 0, 255).astype(np.uint8)
            path = tmp_path / f"{character}{n}.png"
            cv2.imwrite(str(path), image)
            rows.append({"instance_id": f"{character}{n}", "frame_id": f"f{n}", "identity": character,
                         "label": character, "trigger": f"film_{character}", "path": str(path), "x0": 0.0,
                         "y0": 0.0, "x1": float(image.shape[1]), "y1": float(image.shape[0])})
    table = pl.DataFrame(rows)
    params = CaptionParams(prefix="2d animation")
    captions = caption_instances(table, caption_facts(table, None, None, None, params), MeasuredCaptioner(), params,
                                 Path)
    dim = {"dim lighting", "dark low-key lighting"}
    darkened = {row["instance_id"]: bool(dim & {p.strip() for p in row["caption"].split(",")})
                for row in captions.iter_rows(named=True)}
    assert darkened == {f"{c}{n}": n == 5 for c in ("light", "dark") for n in range(6)}
    # without its usual light to read against (a single image), the absolute rule: the darker one reads dim
    from assets.pose.core import load_cutout_rgb

    assert lighting_phrases(*load_cutout_rgb(tmp_path / "dark0.png"))[0] in dim


def test_a_characters_own_colours_are_not_named_in_every_caption_a_new_costume_is(shared, tmp_path):
    """Saha five times as drawn and once recoloured (hue turned a third of the way round: a costume): her own
    colours, in most of her images, are the character and left to the trigger word; the costume's are named."""
    saha = cv2.imread(str(shared / "media/characters_rgba/saha_front.png"), cv2.IMREAD_UNCHANGED)
    saha = cv2.resize(saha, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    costume = saha.copy()
    hsv = cv2.cvtColor(saha[..., :3], cv2.COLOR_BGR2HSV)
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + 60) % 180
    costume[..., :3] = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    rows = []
    for n, image in enumerate([saha] * 5 + [costume]):
        cv2.imwrite(str(tmp_path / f"s{n}.png"), image)
        rows.append({"instance_id": f"s{n}", "frame_id": f"f{n}", "identity": "saha", "label": "saha",
                     "trigger": "film_saha", "path": str(tmp_path / f"s{n}.png"), "x0": 0.0, "y0": 0.0,
                     "x1": float(image.shape[1]), "y1": float(image.shape[0])})
    table = pl.DataFrame(rows)
    params = CaptionParams(prefix="2d animation")
    captions = caption_instances(table, caption_facts(table, None, None, None, params), MeasuredCaptioner(), params,
                                 Path)
    named = {row["instance_id"]: "colours" in row["caption"] for row in captions.iter_rows(named=True)}
    assert named == {f"s{n}": n == 5 for n in range(6)}
    from assets.pose.core import load_cutout_rgb

    assert colour_names(*load_cutout_rgb(tmp_path / "s0.png"))  # her colours are there to name, as before


def test_measured_captions_decode_each_cut_out_once_and_caption_as_from_the_image(shared, tmp_path, monkeypatch):
    """The measured captioner reads from an image only its character's luminance and colour names, which the usual
    look already measured on every cut-out: it gets those, and no cut-out is decoded a second time (issue #17).
    The captions are those of the same captioner reading each image again, lighting and colours included."""
    import assets.captions.core as captions_core

    rows = []
    for n, p in enumerate(sorted(glob.glob(str(shared / "media/characters_rgba/*.png")))[:4]):
        image = cv2.imread(p, cv2.IMREAD_UNCHANGED)
        image = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
        for k, light in enumerate((1.0, 0.97, 1.03, 0.5, 1.6)):  # a darkened and a brightened image each
            lit = image.copy()
            lit[..., :3] = np.clip(image[..., :3].astype(np.float32) * light, 0, 255).astype(np.uint8)
            path = tmp_path / f"c{n}_{k}.png"
            cv2.imwrite(str(path), lit)
            rows.append({"instance_id": f"c{n}_{k}", "frame_id": f"f{k}", "identity": str(n), "label": str(n),
                         "trigger": f"film_char{n}", "path": str(path), "x0": 0.0, "y0": 0.0,
                         "x1": float(lit.shape[1]), "y1": float(lit.shape[0])})
    rows.append({**rows[0], "instance_id": "missing", "path": str(tmp_path / "gone.png")})
    table = pl.DataFrame(rows)
    params = CaptionParams(prefix="2d animation")
    facts = caption_facts(table, None, None, None, params)

    class ImageReadingCaptioner(MeasuredCaptioner):
        reads_measures = False

    reads: list[str] = []
    decode = captions_core.load_cutout_rgb
    monkeypatch.setattr(captions_core, "load_cutout_rgb", lambda path, *a: reads.append(str(path)) or decode(path, *a))
    once = caption_instances(table, facts, MeasuredCaptioner(), params, Path)
    assert sorted(reads) == sorted(table["path"])   # every cut-out decoded once (the missing one tried once)
    reads.clear()
    again = caption_instances(table, facts, ImageReadingCaptioner(), params, Path)
    assert len(reads) == 2 * table.height
    assert once.equals(again)
    lit = {p.strip() for c in once["caption"] for p in c.split(",")}
    assert "brightly lit" in lit and lit & {"dim lighting", "dark low-key lighting"}  # light read against the usual
