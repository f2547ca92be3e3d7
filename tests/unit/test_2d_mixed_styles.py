"""A film mixing drawn and rendered shots (Penny & Chip frames cut together with the Sintel trailer's): each shot's
style measured and recorded with its reason, bare shots (title cards on black) keeping the film's preset, and the
faces stage's core using the 2D detectors in drawn shots and the photo detectors in the others."""

import json
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from resources.style import is_mixed, shot_style


def shot_styles(frames_by_shot: dict[int, list[np.ndarray]], film_preset: str) -> dict:
    """Each shot's style from all its frames at once, in shot order: the reference measured_shot_styles must match."""
    return {shot: shot_style(frames, film_preset) for shot, frames in sorted(frames_by_shot.items())}


PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"
SINTEL = "media/video/sintel_trailer_480x204.mp4"
# shot -> (video, seconds): two drawn shots, two rendered ones, and Sintel's title card on black
SHOTS = {0: (PENNY_CHIP, (3.5, 5.0)), 1: (SINTEL, (25.0, 25.5)), 2: (PENNY_CHIP, (91.5, 93.0)),
         3: (SINTEL, (31.0, 31.5)), 4: (SINTEL, (43.0, 43.5))}


def read(video: Path, seconds: float) -> np.ndarray:
    capture = cv2.VideoCapture(str(video))
    capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
    ok, bgr = capture.read()
    capture.release()
    assert ok, f"{video} at {seconds} s"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def mixed_film(shared) -> dict[int, list[np.ndarray]]:
    return {shot: [read(shared / video, t) for t in times] for shot, (video, times) in SHOTS.items()}


def frames_table(tmp_path: Path, film: dict[int, list[np.ndarray]]) -> pl.DataFrame:
    rows = []
    for shot, images in film.items():
        for pos, image in enumerate(images):
            path = tmp_path / f"s{shot}_{pos}.png"
            cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            rows.append({"frame_id": f"s{shot}_{pos}", "shot": shot, "path": str(path)})
    return pl.DataFrame(rows)


def test_each_shot_is_measured_and_bare_shots_keep_the_films_preset(mixed_film):
    styles = shot_styles(mixed_film, "3d")
    assert {shot: s.preset for shot, s in styles.items()} == {0: "anime", 1: "3d", 2: "anime", 3: "3d", 4: "3d"}
    assert styles[4].measured is False and "too bare to tell" in styles[4].reason   # the title card
    assert all(s.measured for shot, s in styles.items() if shot != 4)
    assert "outlined drawing: anime" in styles[0].reason and is_mixed(styles)
    assert not is_mixed({k: v for k, v in styles.items() if k in (1, 3, 4)})
    assert shot_styles({7: []}, "anime")[7].preset == "anime"   # nothing readable: the film's preset, said so


def test_mixed_film_gets_detectors_per_shot_and_records_why(shared, castforge_home, tmp_path, mixed_film,
                                                            monkeypatch):
    """A film measured anime keeps the drawn analyzer (and its embedding) and adds the photo detectors for its
    rendered shots; the faces core then uses the 2D detectors in drawn shots and SCRFD / YuNet in the others."""
    from assets.faces.core import FaceParams, detect_faces
    from assets.faces.mixed_styles import PHOTO_DETECTORS, shot_mix
    from resources.face_analyzer import FaceAnalyzerResource
    from resources.style import style_record_path

    frames = frames_table(tmp_path, mixed_film)
    mix = shot_mix("mixed", frames, Path, True, ["anime", "yunet"])
    assert mix.mixed and mix.also == PHOTO_DETECTORS
    order = mix.detectors_for()
    assert order("s0_0") == ("anime", "yunet") and order("s1_1") == PHOTO_DETECTORS
    assert order("s4_0") == ("anime", "yunet")  # the bare title card keeps the film's preset
    record = json.loads(style_record_path("mixed").read_text())
    assert record["mixed"] and record["shots"]["1"]["preset"] == "3d"
    assert "drawn identity embedding for every face" in record["shots_used_for"]
    # measured once per set of frames: the record is read back, not measured again
    monkeypatch.setattr("resources.style.shot_style", lambda *a: pytest.fail("shots measured twice"))
    assert shot_mix("mixed", frames, Path, True, ["anime", "yunet"]).plan == mix.plan

    analyzer = FaceAnalyzerResource(drawn_detectors=["anime", "yunet"]).get(anime=True, also=mix.also)
    assert analyzer.detectors == ("anime", "yunet", "scrfd")
    instances = pl.DataFrame([{"instance_id": f"i_{row['frame_id']}", "frame_id": row["frame_id"], "x0": 0.0,
                               "y0": 0.0, "x1": 2000.0, "y1": 2000.0, "kept": True} for row in frames.to_dicts()])
    misses: dict[str, str] = {}
    faces = detect_faces(frames, instances, analyzer, FaceParams(min_face_size=32, anime_detector=True), Path,
                         None, str, misses, order)
    for row in faces.iter_rows(named=True):
        shot = int(row["frame_id"][1])
        assert row["detector"] in (PHOTO_DETECTORS if shot in (1, 3) else ("anime", "yunet")), row
    for instance_id, reason in misses.items():
        shot = int(instance_id.split("_")[1][1])
        named = "scrfd, yunet" if shot in (1, 3) else "anime, yunet"
        assert reason.endswith(named) or reason.startswith("face too small"), (instance_id, reason)
    assert len(faces) + len(misses) == frames.height


def test_a_mixed_film_measured_3d_keeps_the_photo_embedding_and_adds_the_cascade(castforge_home, tmp_path,
                                                                                mixed_film):
    """The identities stage applies the film preset's thresholds, so the embedding follows the film's preset:
    a film measured 3d keeps the photo analyzer; its drawn shots get the anime cascade first (ONNX backend)."""
    from assets.faces.mixed_styles import shot_mix

    frames = frames_table(tmp_path, mixed_film)
    mix = shot_mix("mostly_3d", frames, Path, False, ["animeface", "anime", "yunet"])
    assert mix.mixed and mix.also == ()
    order = mix.detectors_for()
    assert order("s0_1") == ("anime", "scrfd", "yunet") and order("s3_0") == ("scrfd", "yunet")
    insightface = shot_mix("mostly_3d", frames, Path, False, ["anime", "yunet"], "insightface", ["scrfd"])
    assert insightface.detectors_for()("s0_1") == ("scrfd",)  # InsightFace's detectors only


def test_an_explicit_preset_means_no_per_shot_choice(castforge_home, tmp_path, mixed_film):
    from assets.faces.mixed_styles import shot_mix

    film_yaml = castforge_home / "configs" / "films" / "fixed.yaml"
    film_yaml.parent.mkdir(parents=True, exist_ok=True)
    film_yaml.write_text("preset: anime\n")
    mix = shot_mix("fixed", frames_table(tmp_path, mixed_film), Path, True, ["anime", "yunet"])
    assert not mix.mixed and mix.detectors_for() is None


def test_filtered_instances_apply_each_shots_preset_values_and_say_which(castforge_home, tmp_path, mixed_film):
    """Drawn shots take the anime values (min_character_score 0.3, min_blur 100), rendered shots the 3d ones
    (0.5, 80), the bare title card the film's (measured 3d: not ingested here); each reason names the shot's
    style. A faceless figure scoring 0.4 as a character stays in drawn shots and goes in rendered ones; a sharp
    enough 3D blur (90) is too soft for flat drawn colours."""
    from assets.faces.mixed_styles import filter_by_shot_style
    from assets.instances.filtering import FilterParams
    from resources.style import style_record_path

    frames = frames_table(tmp_path, mixed_film)
    rows = []
    for frame_id, shot in frames.select("frame_id", "shot").iter_rows():
        for kind, blur, score in (("figure", 200.0, 0.4), ("soft", 90.0, 0.9)):
            rows.append({"instance_id": f"{kind}_{frame_id}", "frame_id": frame_id, "shot": shot, "x0": 0, "y0": 0,
                         "x1": 200, "y1": 300, "frame_height": 480, "alpha_coverage": 0.5, "face_count": 0,
                         "face_score": 0.0, "blur": blur, "character_score": score, "body_score": score,
                         "class_fraction": 0.0})
    instances = pl.DataFrame(rows)
    decided = filter_by_shot_style("mixed", instances, frames, Path, FilterParams())
    assert decided["instance_id"].to_list() == instances["instance_id"].to_list()
    for row in decided.iter_rows(named=True):
        drawn = row["shot"] in (0, 2)
        assert row["kept"] == (drawn if row["instance_id"].startswith("figure") else not drawn), row
        style = ("drawn: anime" if drawn else "too bare to tell: 3d" if row["shot"] == 4
                 else "rendered or filmed: 3d")
        assert row["reason"].endswith(f"; shot {row['shot']} {style} values"), row
    assert decided.filter(pl.col("instance_id") == "soft_s0_0")["reason"][0].startswith("blurry: 90.0 < 100")
    record = json.loads(style_record_path("mixed").read_text())
    assert "min_character_score 0.3, min_blur 100.0" in record["shots_used_by"]["filtered_instances"]
    # a run override (min_blur 50) holds in every shot, whatever its preset
    soft = filter_by_shot_style("mixed", instances, frames, Path, FilterParams(min_blur=50.0))
    assert soft.filter(pl.col("instance_id").str.starts_with("soft"))["kept"].all()
    # a bare shot recorded with another stage's placeholder preset still takes the film's values
    record["shots"]["4"]["preset"] = "unmeasured"
    style_record_path("mixed").write_text(json.dumps(record))
    again = filter_by_shot_style("mixed", instances, frames, Path, FilterParams())
    assert again.filter(pl.col("shot") == 4)["reason"].str.ends_with("shot 4 too bare to tell: 3d values").all()


def test_filtered_instances_of_one_style_or_an_explicit_preset_keep_the_films_values(castforge_home, tmp_path,
                                                                                    mixed_film):
    from assets.faces.mixed_styles import filter_by_shot_style
    from assets.instances.filtering import FilterParams, auto_decisions

    film_yaml = castforge_home / "configs" / "films" / "fixed.yaml"
    film_yaml.parent.mkdir(parents=True, exist_ok=True)
    film_yaml.write_text("preset: anime\n")
    frames = frames_table(tmp_path, mixed_film)
    instances = pl.DataFrame([{"instance_id": f"i_{f}", "frame_id": f, "shot": s, "x0": 0, "y0": 0, "x1": 200,
                               "y1": 300, "frame_height": 480, "alpha_coverage": 0.5, "face_count": 0,
                               "face_score": 0.0, "blur": 90.0, "character_score": 0.4, "body_score": 0.4,
                               "class_fraction": 0.0} for f, s in frames.select("frame_id", "shot").iter_rows()])
    params = FilterParams(min_blur=100.0, min_character_score=0.3)
    assert filter_by_shot_style("fixed", instances, frames, Path, params).equals(auto_decisions(instances, params))
    sintel_only = frames.filter(pl.col("shot").is_in([1, 3]))
    decided = filter_by_shot_style("rendered", instances.filter(pl.col("shot").is_in([1, 3])), sintel_only, Path,
                                   FilterParams())
    assert not decided["reason"].str.contains("; shot").any()


def test_shots_without_a_decision_take_the_films_values_and_say_so():
    from assets.instances.filtering import FilterParams, decisions_by_shot_style

    row = {"x0": 0, "y0": 0, "x1": 200, "y1": 300, "frame_height": 480, "alpha_coverage": 0.5, "face_count": 0,
           "face_score": 0.0, "blur": 200.0, "character_score": 0.4, "body_score": 0.4, "class_fraction": 0.0}
    table = pl.DataFrame([{**row, "instance_id": "a", "shot": 0}, {**row, "instance_id": "b", "shot": 7},
                          {**row, "instance_id": "c", "shot": None}], schema_overrides={"shot": pl.Int32})
    by_preset = {"anime": FilterParams(min_character_score=0.3), "3d": FilterParams()}
    decided = decisions_by_shot_style(table, by_preset, {0: ("anime", "drawn")}, "3d")
    assert decided["kept"].to_list() == [True, False, False]
    assert decided["reason"].to_list()[1:] == ["not_character: score 0.4 < 0.5; shot 7 not measured: 3d values",
                                               "not_character: score 0.4 < 0.5; shot ? unknown: 3d values"]
    assert decisions_by_shot_style(table.clear(), by_preset, {}, "3d").is_empty()


def test_a_film_of_one_style_is_measured_once_for_the_three_stages(castforge_home, tmp_path, mixed_film,
                                                                   monkeypatch):
    """instances (placeholder preset), filtered_instances and faces ask for the shots' styles in turn: a film
    that does not mix styles is measured by the first and read back by the others, each getting what measuring
    again would give (the bare title card with its own caller's preset) and faces recording it so."""
    from assets.faces.mixed_styles import filter_by_shot_style, measured_shot_styles, shot_mix
    from assets.instances.filtering import FilterParams
    from resources.style import style_record_path

    sintel = {shot: mixed_film[shot] for shot in (1, 3, 4)}
    frames = frames_table(tmp_path, sintel)
    first = measured_shot_styles("rendered", frames, Path, "unmeasured")    # as instances' shot_plan asks
    assert not is_mixed(first) and first[4].preset == "unmeasured" and not first[4].measured
    expected = {preset: shot_styles(sintel, preset) for preset in ("anime", "3d")}
    monkeypatch.setattr("resources.style.shot_style", lambda *a: pytest.fail("shots measured twice"))
    assert measured_shot_styles("rendered", frames, Path, "anime") == expected["anime"]
    assert measured_shot_styles("rendered", frames, Path, "3d") == expected["3d"]
    instances = pl.DataFrame([{"instance_id": f"i_{f}", "frame_id": f, "shot": s, "x0": 0, "y0": 0, "x1": 200,
                               "y1": 300, "frame_height": 480, "alpha_coverage": 0.5, "face_count": 0,
                               "face_score": 0.0, "blur": 90.0, "character_score": 0.4, "body_score": 0.4,
                               "class_fraction": 0.0} for f, s in frames.select("frame_id", "shot").iter_rows()])
    assert not filter_by_shot_style("rendered", instances, frames, Path, FilterParams())["reason"].str.contains(
        "; shot").any()
    assert not shot_mix("rendered", frames, Path, True, ["anime", "yunet"]).mixed
    record = json.loads(style_record_path("rendered").read_text())
    assert record["shots"]["4"] == {**record["shots"]["4"], "preset": "anime", "measured": False}
    assert record["shots_used_by"]["measured"].startswith("measured: 6 frames of 3 shots")


def test_shots_measured_one_by_one_on_threads_get_what_all_frames_at_once_give(castforge_home, tmp_path, mixed_film):
    """measured_shot_styles reads a few shots' frames at a time on a thread per core (a long film's frames are
    never all held): each shot's style, reason and order as shot_style gives them from every frame read at once."""
    from assets.faces.mixed_styles import measured_shot_styles
    from resources.style import style_record_path

    styles = measured_shot_styles("mixed", frames_table(tmp_path, mixed_film), Path, "3d")
    assert list(styles.items()) == list(shot_styles(mixed_film, "3d").items()) and is_mixed(styles)
    frames_read = sum(map(len, mixed_film.values()))
    assert json.loads(style_record_path("mixed").read_text())["shots_used_by"]["measured"].startswith(
        f"measured: {frames_read} frames of {len(mixed_film)} shots")
