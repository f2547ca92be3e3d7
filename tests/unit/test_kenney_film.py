"""bench/kenney_film.py: a tiny drawn film (2 shots of 1 s, 480p) whose truth is the pasted characters' exact alpha
in the decoded film's frames, the same film bytes whatever the building process's heap held, and the eval's scores
of a hand-made perfect answer and an all-in-one answer."""

import json
import os
import platform
import subprocess
import sys

import cv2
import numpy as np
import polars as pl
import pytest

from tests.conftest import BENCH_DIR, kenney_wheel_or_skip, load_bench

pytestmark = pytest.mark.slow  # builds and decodes a film (about 10 s)


@pytest.fixture(scope="module")
def tiny_film(tmp_path_factory, shared):
    pytest.importorskip("av")
    kenney_wheel_or_skip()
    film = load_bench("kenney_film")
    out = tmp_path_factory.mktemp("kenney_film")
    truth = film.build(out, "tune", shots=2, seed=23, height=480, seconds=(1.0, 1.0))
    return film, out, truth


def decoded_frames(path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def rendered_frames(film, truth: dict) -> list[tuple[np.ndarray, list]]:
    """The film's frames drawn again from its plan (what was encoded, before H.264)."""
    import zipfile

    from assets.instances.kenney_characters import kenney_wheel

    backgrounds = film.shot_backgrounds(truth["split"], truth["height"])
    out = []
    with zipfile.ZipFile(kenney_wheel()) as archive:
        for shot in truth["shots"]:
            drawings = [film.sprites(archive, c, truth["height"]) for c in shot["characters"]]
            out += list(film.render_shot(backgrounds[shot["background"]][1], shot, drawings))
    return out


def test_the_truth_is_the_pasted_characters_alpha_in_the_decoded_frames(tiny_film):
    film, out, truth = tiny_film
    decoded, rendered = decoded_frames(out / "film.mp4"), rendered_frames(film, truth)
    assert len(decoded) == len(rendered) == truth["frames"] == 48
    assert decoded[0].shape == (480, 854, 3)
    reader = film.FilmTruth(out)
    backgrounds = film.shot_backgrounds(truth["split"], truth["height"])
    for index in range(1, truth["frames"] - 1, 5):
        shot = reader.shot_of(index)
        frame, background = decoded[index].astype(np.float32), backgrounds[shot["background"]][1].astype(np.float32)
        # the decoded frame is this frame of the film, not its neighbour (the characters walk between them)
        error = [np.abs(frame - rendered[k][0]).mean() for k in (index - 1, index, index + 1)]
        assert error[1] < min(error[0], error[2]) and error[1] < 2.0
        shown = [layer for layer in rendered[index][1] if layer[1].max() > 0]
        characters = reader.characters(index)
        assert [c[0] for c in characters] == [c["character"] for c, layer in zip(shot["characters"],
                                                                                   rendered[index][1])
                                               if layer[1].max() > 0]
        union = np.zeros(frame.shape[:2], np.float32)
        for (name, alpha, occluded, cut), (full, visible, colour, was_cut) in zip(characters, shown):
            assert np.abs(alpha - visible).max() <= 0.5 / 255 + 1e-6  # the stored truth is the pasted alpha
            assert cut == was_cut and 0.0 <= occluded <= 1.0
            opaque = alpha >= 0.99
            # where the character is opaque the film shows its own colour, not the background's
            assert np.abs(frame[opaque] - colour[opaque]).mean() < 6.0
            assert np.abs(frame[opaque] - background[opaque]).mean() > 20.0
            union = np.maximum(union, alpha)
        bare = cv2.dilate((union > 0).astype(np.uint8), np.ones((7, 7), np.uint8)) == 0
        assert np.abs(frame[bare] - background[bare]).mean() < 4.0  # elsewhere the background, untouched
    meta = json.loads((out / "truth" / "film.json").read_text())
    assert [s["start_frame"] for s in meta["shots"]] == [0, 24]


def write_answer(home, film_name: str, reader, answer: str) -> None:
    """A materialised film's tables (frames, filtered_instances, identity_clusters) holding a hand-made answer on
    every 6th frame: ``perfect`` (each visible character's truth mask, one identity per character) or ``all_in_one``
    (one instance covering every character of the frame, all in one identity)."""
    root = home / "films" / film_name
    (root / "tables").mkdir(parents=True)
    (root / "masks").mkdir()
    frames, instances, identities = [], [], []
    for index in range(0, reader.meta["frames"], 6):
        frame_id = f"f{index:05d}"
        frames.append({"frame_id": frame_id, "frame_index": index, "kept": True})
        characters = [c for c in reader.characters(index) if (c[1] >= 0.5).sum() >= 64]
        if answer == "perfect":
            masks = [(alpha >= 0.5, f"identity_{name}") for name, alpha, *_ in characters]
        else:
            masks = [(np.any([alpha >= 0.5 for _, alpha, *_ in characters], axis=0), "identity_000")]
        for n, (mask, who) in enumerate(masks):
            path = root / "masks" / f"{frame_id}_{n}.png"
            cv2.imwrite(str(path), mask.astype(np.uint8) * 255)
            instances.append({"instance_id": f"{frame_id}_{n}", "frame_id": frame_id, "kept": True, "reason": None,
                              "mask_path": str(path.relative_to(home))})
            identities.append({"instance_id": f"{frame_id}_{n}", "identity": who})
    pl.DataFrame(frames).write_parquet(root / "tables" / "frames.parquet")
    pl.DataFrame(instances, schema={"instance_id": pl.String, "frame_id": pl.String, "kept": pl.Boolean,
                                    "reason": pl.String, "mask_path": pl.String}
                 ).write_parquet(root / "tables" / "filtered_instances.parquet")
    pl.DataFrame(identities).write_parquet(root / "tables" / "identity_clusters.parquet")


def test_eval_scores_a_perfect_answer_one_and_an_all_in_one_answer_as_one_identity(tiny_film, tmp_path):
    film, out, truth = tiny_film
    scores = load_bench("kenney_film_scores")
    reader = film.FilmTruth(out)
    write_answer(tmp_path, "perfect", reader, "perfect")
    perfect = scores.evaluate(tmp_path, "perfect", reader)
    assert perfect["cutouts"]["mean_iou"] == 1.0 and perfect["cutouts"]["found_at_0_8"] == 1.0
    assert perfect["cutouts"]["boundary_f_2px"] == 1.0
    assert perfect["cutouts"]["loss_profile"]["above_0_8"]["characters"] == perfect["cutouts"]["characters"]
    for measured in ("labelled_instances", "visible_characters"):
        assert perfect["identities"][measured]["f"] == 1.0
    names = {c["character"] for s in truth["shots"] for c in s["characters"]}
    assert perfect["identities"]["formed"] == len(names) >= 2

    write_answer(tmp_path, "all_in_one", reader, "all_in_one")
    merged = scores.evaluate(tmp_path, "all_in_one", reader)
    assert merged["identities"]["formed"] == 1
    assert merged["identities"]["labelled_instances"]["recall"] == 1.0
    assert merged["identities"]["visible_characters"]["precision"] < 0.8  # several characters in one identity
    assert merged["identities"]["visible_characters"]["recall"] < 1.0  # a character the union did not best: missed
    assert merged["cutouts"]["mean_iou"] < 1.0
    assert merged["cutouts"]["loss_profile"]["merged"]["characters"] > 0


def test_a_seed_gives_one_film_plan_and_every_character_recurs():
    film = load_bench("kenney_film")
    first, again = film.plan_film("tune", 12, seed=23), film.plan_film("tune", 12, seed=23)
    assert first == again and film.plan_film("tune", 12, seed=24) != first
    shots_of = {}
    for shot in first:
        names = [c["character"] for c in shot["characters"]]
        assert 1 <= len(names) <= 3 and len(set(names)) == len(names)
        for name in names:
            shots_of[name] = shots_of.get(name, 0) + 1
    assert len(shots_of) == 6 and min(shots_of.values()) >= 2  # every character in several shots
    held_out = film.plan_film("held_out", 12, seed=23)
    poses = {p for s in held_out for c in s["characters"] for p in c["poses"]}
    assert poses and not poses & {p for s in first for c in s["characters"] for p in c["poses"]}


def test_a_build_writes_the_same_film_whatever_the_heap_held(tmp_path, shared):
    """The tiny film built three times, each in a process whose fresh and freed heap memory glibc fills with another
    byte (MALLOC_PERTURB_ unset, 1, 2): the same film.mp4 and truth, byte for byte. An encoder that reads memory it
    never wrote (x264's macroblock tree at the start of a stream did: three different films) writes the garbage into
    the film's first shot."""
    pytest.importorskip("av")
    kenney_wheel_or_skip()
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("MALLOC_PERTURB_ is glibc's")
    built = []
    for perturb in (None, "1", "2"):
        env = {k: v for k, v in os.environ.items() if k != "MALLOC_PERTURB_"}
        env.update({"CASTFORGE_SHARED": str(shared), **({"MALLOC_PERTURB_": perturb} if perturb else {})})
        out = tmp_path / f"perturb_{perturb}"
        subprocess.run([sys.executable, str(BENCH_DIR / "kenney_film.py"), "build", str(out), "--split", "tune",
                        "--shots", "2", "--seed", "23", "--seconds", "1", "1"], env=env, check=True,
                       capture_output=True, cwd=BENCH_DIR.parent)
        built.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert len(built[0]) == 4  # film.mp4, film.json and each shot's npz
    assert built[1] == built[0] and built[2] == built[0]
