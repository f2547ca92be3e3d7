"""Shot types, scenes, sequences and the trivial films (image folders, audio-only, one shot)."""

import json

import numpy as np
import polars as pl
import pytest

from assets.shot_analysis.core import Inputs, analyse
from assets.shot_analysis.params import ShotAnalysisParams
from assets.shot_analysis.scenes import ShotFeatures, change_points, continuity, group_scenes, sequences_of
from assets.shot_analysis.shot_types import frame_shot_type, key_frame_shot_types, shot_type_summary
from assets.shot_analysis.stream import ShotAppearance

FRAME_COLUMNS = {"frame_id": pl.String, "shot": pl.Int32, "frame_index": pl.Int64, "timestamp_s": pl.Float64,
                 "path": pl.String, "width": pl.Int32, "height": pl.Int32, "kept": pl.Boolean}
SHOT_COLUMNS = {"shot": pl.Int32, "start_frame": pl.Int64, "end_frame": pl.Int64, "start_s": pl.Float64,
                "end_s": pl.Float64}


@pytest.mark.parametrize("faces, boxes, expected", [
    ([0.9], [(0.1, 0.0, 0.9, 1.0)], "extreme_close_up"),
    ([0.5], [(0.2, 0.0, 0.8, 1.0)], "close_up"),
    ([], [(0.1, 0.0, 0.9, 1.0)], "close_up"),           # a faceless character filling the picture
    ([0.2], [(0.4, 0.1, 0.6, 1.0)], "medium"),           # a face a fifth of the height, the body cut
    ([0.25], [(0.3, 0.05, 0.7, 0.9)], "full"),          # the whole body in frame, however large the head
    ([], [(0.45, 0.4, 0.55, 1.0)], "medium"),           # cut by the bottom edge, more than half the height
    ([0.05], [(0.45, 0.3, 0.55, 0.9)], "full"),         # the whole body, 60% of the height
    ([], [(0.45, 0.7, 0.5, 0.85)], "wide"),             # a small figure in a landscape
    ([], [], "wide"),                                   # establishing: nobody
])
def test_frame_shot_type(faces, boxes, expected):
    assert frame_shot_type(faces, boxes) == expected


def test_shot_type_shares_and_dominant_type_from_faces_and_instances():
    frames = pl.DataFrame([
        {"frame_id": f"f{i}", "shot": 0, "frame_index": i, "timestamp_s": i / 24, "path": f"f{i}.jpg",
         "width": 400, "height": 200, "kept": True} for i in range(4)], schema=FRAME_COLUMNS)
    instances = pl.DataFrame({"instance_id": ["a", "b", "c"], "frame_id": ["f0", "f1", "f2"], "shot": [0, 0, 0],
                              "x0": [100.0] * 3, "y0": [0.0, 0.0, 150.0], "x1": [300.0] * 3,
                              "y1": [200.0, 200.0, 190.0], "kept": [True, True, True]})
    faces = pl.DataFrame({"frame_id": ["f0", "f1"], "fy0": [10.0, 20.0], "fy1": [100.0, 110.0]})
    per_frame = key_frame_shot_types(frames, instances, faces)
    assert per_frame["shot_type"].to_list() == ["close_up", "close_up", "wide", "wide"]
    dominant, shares, characters = shot_type_summary(per_frame, 0)
    assert dominant == "close_up" and shares == {"close_up": 0.5, "wide": 0.5} and characters == 1  # tie: tighter


def _features(colour: tuple[int, int, int], noise: int, seed: int, ids: frozenset = frozenset()) -> ShotFeatures:
    rng = np.random.default_rng(seed)
    appearance = ShotAppearance()
    base = np.zeros((54, 96, 3), np.uint8)
    base[:, :48] = colour
    base[:, 48:] = tuple(255 - c for c in colour)
    for _ in range(3):
        appearance.add(np.clip(base.astype(int) + rng.integers(-noise, noise, base.shape), 0, 255).astype(np.uint8))
    histogram, thumbnail = appearance.normalised()
    return ShotFeatures(histogram, thumbnail, ids)


def test_scenes_group_shot_reverse_shot_and_split_at_a_new_place():
    params = ShotAnalysisParams()
    hut, reverse, desert = (40, 60, 160), (50, 70, 150), (30, 200, 230)
    features = [_features(hut, 8, 0), _features(reverse, 8, 1), _features(hut, 8, 2), _features(desert, 8, 3),
                _features(desert, 8, 4)]
    scenes, links, cues = group_scenes(features, params)
    assert scenes == [0, 0, 0, 1, 1]
    assert links[3] < params.scene_threshold <= min(links[1], links[2], links[4])
    assert cues[0] == {} and set(cues[3]) == {"palette", "background"}
    score, cues = continuity(features[0], features[3], params)
    assert set(cues) == {"palette", "background"} and score < 0.3


def test_audio_and_characters_are_cues_only_when_present():
    params = ShotAnalysisParams()
    a, b = _features((40, 60, 160), 8, 0, frozenset({"id1"})), _features((30, 200, 230), 8, 1, frozenset({"id1"}))
    _, cues = continuity(a, b, params)
    assert cues["characters"] == 1.0 and "audio" not in cues
    b.speech_into = True  # a line of dialogue runs across the cut
    assert continuity(a, b, params)[1]["audio"] == 1.0


def test_change_points_find_runs_of_similar_scenes():
    vectors = np.array([[0.0, 1.0]] * 4 + [[1.0, 0.0]] * 3 + [[0.5, 0.5]] * 3)
    assert change_points(vectors, penalty=0.1, min_size=2) == [0, 4, 7]
    assert change_points(vectors[:1], penalty=0.1, min_size=2) == [0]
    assert sequences_of([None, None], ShotAnalysisParams()) == [0, 0]


def _frames(rows: list[tuple[str, int, str | None]]) -> pl.DataFrame:
    return pl.DataFrame([{"frame_id": f, "shot": s, "frame_index": s, "timestamp_s": None, "path": p,
                          "width": 64, "height": 48, "kept": p is not None} for f, s, p in rows],
                        schema=FRAME_COLUMNS)


def test_image_folder_film_gets_shot_types_and_scenes_but_no_motion():
    images = {"a.jpg": np.full((48, 64, 3), (200, 30, 30), np.uint8),
              "b.jpg": np.full((48, 64, 3), (30, 200, 30), np.uint8)}
    frames = _frames([("f0", 0, "a.jpg"), ("f1", 1, "b.jpg"), ("f2", 2, None)])
    shots = pl.DataFrame({"shot": [0, 1, 2], "start_frame": [0, 1, 2], "end_frame": [0, 1, 2],
                          "start_s": [None] * 3, "end_s": [None] * 3}, schema=SHOT_COLUMNS)
    instances = pl.DataFrame({"instance_id": ["i0", "i1", "i2"], "frame_id": ["f0", "f1", "f1"], "shot": [0, 1, 1],
                              "x0": [10.0, 10.0, 30.0], "y0": [10.0, 10.0, 10.0], "x1": [20.0, 20.0, 40.0],
                              "y1": [30.0, 30.0, 30.0], "kept": [True, True, True]})
    identities = pl.DataFrame({"instance_id": ["i0", "i1", "i2"], "identity": ["hero", "hero", "noise"]})
    out = analyse(Inputs("images", None, frames, shots, instances=instances, instance_identities=identities,
                         image_reader=images.get))
    assert out.scenes["identities"].to_list()[:2] == [["hero"], ["hero"]]
    assert json.loads(out.shots["continuity_cues"][1])["characters"] == 1.0
    assert out.shots.height == 3 and out.signals.height == 0
    assert out.shots["camera_motion"].null_count() == 3 and "image folder" in out.note
    assert out.shots["motion_note"].to_list() == ["image folder: no motion"] * 3
    assert out.shots["shot_type"].to_list()[:2] == ["full", "full"] and out.shots["shot_type"][2] is None


def test_audio_only_and_empty_films_give_empty_tables_with_a_note():
    empty_shots = pl.DataFrame(schema=SHOT_COLUMNS)
    out = analyse(Inputs("audio", None, pl.DataFrame(schema=FRAME_COLUMNS), empty_shots))
    assert out.shots.height == 0 and out.scenes.height == 0 and "audio-only" in out.note


def test_one_frame_video_is_one_trivial_shot(tmp_path):
    import av

    video = tmp_path / "one.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.mux(stream.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), 90, np.uint8), format="bgr24")))
        container.mux(stream.encode())
    frames = _frames([("f0", 0, None)])
    shots = pl.DataFrame({"shot": [0], "start_frame": [0], "end_frame": [0], "start_s": [0.0], "end_s": [0.0417]},
                         schema=SHOT_COLUMNS)
    out = analyse(Inputs("video", video, frames, shots))
    row = out.shots.row(0, named=True)
    assert row["camera_motion"] is None and "too short to estimate motion (1 frame)" in row["motion_note"]
    assert row["scene"] == 0 and row["sequence"] == 0 and "one-shot film" in out.note
    assert json.loads(row["shot_type_shares"]) == {} and out.signals.height == 1


def test_audio_continuity_from_the_soundtrack_and_speech_across_a_cut(tmp_path):
    import soundfile as sf

    from assets.shot_analysis.core import _add_audio_cues

    rate, rng = 16000, np.random.default_rng(0)
    hum = np.sin(2 * np.pi * 220 * np.arange(4 * rate) / rate) * 0.3  # shots 0-1: the same tone goes on
    noise = rng.normal(0, 0.3, 2 * rate)  # shot 2: broadband noise, another place
    wav = tmp_path / "speech16k.wav"
    sf.write(wav, np.concatenate([hum, noise]).astype(np.float32), rate)
    features = [ShotFeatures(None, None, frozenset()) for _ in range(3)]
    speech = pl.DataFrame({"start_s": [1.5], "end_s": [2.6]})  # a line of dialogue runs over the cut at 2 s
    inputs = Inputs("video", None, pl.DataFrame(), pl.DataFrame(), speech_segments=speech, speech_wav=wav)
    _add_audio_cues(features, [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0)], inputs, ShotAnalysisParams())
    params = ShotAnalysisParams()
    assert continuity(features[0], features[1], params)[1] == {"audio": 1.0}  # the speech turn decides
    changed = continuity(features[1], features[2], params)[1]["audio"]
    features[1].speech_into = False
    tone = continuity(features[0], features[1], params)[1]["audio"]
    assert tone > 0.9 > changed + 0.3


@pytest.mark.parametrize("fps, every", [(24, 2), (30, 3), (12, 1)])
def test_picture_change_samples_at_its_rate_and_measures_the_grey_change(fps, every):
    """av_sync's picture change, sampled during shot_analysis' decode: the first frame at least 1/12.5 s after the
    previous sample, and the mean absolute change of the grey 64 x 36 picture from it, in 0-1."""
    import av

    from assets.shot_analysis.picture_change import PictureChangeSampler

    sampler = PictureChangeSampler(ShotAnalysisParams().change_rate)
    levels = [(index * 37) % 200 + 20 for index in range(4 * fps)]  # flat grey frames, a different level each
    for index, level in enumerate(levels):
        frame = av.VideoFrame.from_ndarray(np.full((72, 128), level, np.uint8), format="gray")
        sampler.add(index, index / fps, frame)
    table = sampler.table()
    sampled = list(range(0, len(levels), every))
    assert table["frame_index"].to_list() == sampled[1:]  # the first sample has nothing to change from
    assert table["time_s"].to_list() == pytest.approx([i / fps for i in sampled[1:]])
    expected = [abs(levels[b] - levels[a]) / 255 for a, b in zip(sampled, sampled[1:])]
    assert table["change"].to_list() == pytest.approx(expected, abs=1e-6) and set(table["rate_hz"]) == {12.5}
    with pytest.raises(ValueError, match="positive"):
        PictureChangeSampler(0)
