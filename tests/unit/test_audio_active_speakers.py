"""Active speakers on a synthetic talking-mouth clip with known truth: two drawn faces, each mouth opening and
closing (syllables at ~4 Hz) while its own voice talks, the picture late by a known offset."""

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from assets.audio.active_speakers import (ActiveSpeakerParams, film_offset, lagged_correlation, pooled_evidence,
                                          shot_evidence)
from assets.audio.mouth_tracks import every_frame_at, frames_at, lip_sync_evidence, mouth_series, nearest_stamps
from tests.unit.test_anime_faces import detector as anime_detector  # noqa: F401 (the AnimeFace worker fixture)

FPS, SIZE, DURATION = 25, (320, 160), 8.0
TURNS = {"A": [(0.5, 2.4), (4.6, 6.0)], "B": [(2.8, 4.2), (6.4, 7.6)]}
BOXES = {"left": (20.0, 20.0, 140.0, 140.0), "right": (180.0, 20.0, 300.0, 140.0)}
VOICE_OF = {"left": "A", "right": "B"}


def talking_clip(path: Path, offset_s: float, key_frame_every: int | None = None) -> Path:
    """Each face's mouth opens 4 times a second while its speaker talks, ``offset_s`` after the voice."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        if key_frame_every:
            stream.codec_context.gop_size = key_frame_every
        for index in range(int(DURATION * FPS)):
            t = index / FPS - offset_s
            image = np.full((SIZE[1], SIZE[0], 3), 200, np.uint8)
            for face, (x0, y0, x1, y1) in BOXES.items():
                centre = (int((x0 + x1) / 2), int((y0 + y1) / 2))
                cv2.ellipse(image, centre, (55, 58), 0, 0, 360, (230, 190, 160), -1)
                for dx in (-22, 22):
                    cv2.circle(image, (centre[0] + dx, centre[1] - 15), 6, (40, 40, 40), -1)
                talking = any(s <= t < e for s, e in TURNS[VOICE_OF[face]])
                opening = int(2 + 16 * abs(np.sin(np.pi * 4 * t))) if talking else 2
                cv2.ellipse(image, (centre[0], centre[1] + 28), (20, opening), 0, 0, 360, (90, 20, 30), -1)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def segments() -> pl.DataFrame:
    rows = [{"start_s": s, "end_s": e, "speaker": f"SPEAKER_{k}", "confidence": 1.0, "duration_s": e - s}
            for k, turns in TURNS.items() for s, e in turns]
    return pl.DataFrame(rows).sort("start_s")


@pytest.mark.parametrize("offset_s", [0.0, 0.2])
def test_the_moving_mouth_names_its_voice_and_the_offset(tmp_path: Path, offset_s: float):
    params = ActiveSpeakerParams()
    video = talking_clip(tmp_path / "talk.mp4", offset_s)
    times = np.arange(0.0, DURATION - 0.2, 1 / params.rate)
    series = mouth_series(video, times, {face: [(4.0, box)] for face, box in BOXES.items()})
    assert all(is_motion for _, is_motion in series.values())  # no face mesh given: lower-face motion
    evidence = pooled_evidence(pl.DataFrame(shot_evidence(segments(), 0, times, series, params)), params)
    for face, speaker in VOICE_OF.items():
        own = evidence.filter(pl.col("identity") == face).sort("sync_correlation", descending=True).row(0, named=True)
        assert own["speaker"] == f"SPEAKER_{speaker}" and own["sync_correlation"] > 0.5
        assert abs(own["sync_lag_s"] - offset_s) <= 1.01 / params.rate  # within one sample of the true offset
        other = evidence.filter((pl.col("identity") == face) & (pl.col("speaker") != f"SPEAKER_{speaker}"))
        assert other["sync_correlation"].max() < 0.1
    assert abs(film_offset(evidence, params) - offset_s) <= 1.01 / params.rate


def test_lip_sync_evidence_reads_the_film_tables(tmp_path: Path):
    video = talking_clip(tmp_path / "talk.mp4", 0.0)
    frames = pl.DataFrame({"frame_id": ["f0"], "shot": [0], "timestamp_s": [4.0], "width": [SIZE[0]]})
    shots = pl.DataFrame({"shot": [0], "start_s": [0.0], "end_s": [DURATION]})
    faces = pl.DataFrame({"instance_id": ["i0", "i1"], "frame_id": ["f0", "f0"],
                          "fx0": [b[0] for b in BOXES.values()], "fy0": [b[1] for b in BOXES.values()],
                          "fx1": [b[2] for b in BOXES.values()], "fy1": [b[3] for b in BOXES.values()]})
    identities = pl.DataFrame({"instance_id": ["i0", "i1"], "identity": ["left", "right"]})
    evidence = lip_sync_evidence(video, segments(), shots, frames, faces, identities)
    best = pooled_evidence(evidence).sort("sync_correlation", descending=True).group_by("speaker").first()
    assert dict(zip(best["speaker"], best["identity"])) == {"SPEAKER_A": "left", "SPEAKER_B": "right"}
    no_speech = lip_sync_evidence(video, segments().head(0), shots, frames, faces, identities)
    assert no_speech.is_empty()


class FakeMouthReader:
    """Counts its calls; measures every face (the box's height as openness) or none (``misses``)."""

    def __init__(self, misses: bool):
        self.misses, self.calls = misses, 0

    def openness(self, image: np.ndarray, box: tuple) -> float | None:
        self.calls += 1
        return None if self.misses else float(box[3] - box[1]) / image.shape[0]


def test_a_reader_that_misses_most_samples_is_no_longer_asked(tmp_path: Path):
    """An identity keeps the reader's openness only when it measured at least half the samples; once it missed
    more than half the reader is not asked again (its answers could not be used) and the face falls back to
    lower-face motion exactly as when every sample was asked."""
    video = talking_clip(tmp_path / "talk.mp4", 0.0)
    times = np.arange(0.0, DURATION - 0.2, 1 / ActiveSpeakerParams().rate)
    missing, measuring = FakeMouthReader(misses=True), FakeMouthReader(misses=False)
    series = mouth_series(video, times, {face: [(4.0, box)] for face, box in BOXES.items()},
                          {"left": missing, "right": measuring})
    assert missing.calls == len(times) // 2 + 1 and measuring.calls == len(times)
    motion_only = mouth_series(video, times, {face: [(4.0, box)] for face, box in BOXES.items()})
    assert series["left"][1] and np.array_equal(series["left"][0], motion_only["left"][0], equal_nan=True)
    assert not series["right"][1] and np.isfinite(series["right"][0]).all()


class FakeLateReader(FakeMouthReader):
    """Misses the first ``late`` samples it is asked about, then measures every face."""

    def __init__(self, late: int):
        super().__init__(misses=False)
        self.late = late

    def openness(self, image: np.ndarray, box: tuple) -> float | None:
        value = super().openness(image, box)
        return None if self.calls <= self.late else value


def test_a_reader_that_missed_a_face_from_the_start_is_given_up_after_first_misses(tmp_path: Path):
    """``first_misses``: a reader that missed each of a face's first n samples is not asked again and the face is
    read by its lower-face motion; one that measured any of them is asked on as without it. The trade: a face the
    reader only finds after n samples loses its openness (here 10 misses, then 88 of 98 samples measured)."""
    video = talking_clip(tmp_path / "talk.mp4", 0.0)
    times = np.arange(0.0, DURATION - 0.2, 1 / ActiveSpeakerParams().rate)
    faces = {face: [(4.0, box)] for face, box in BOXES.items()}
    missing, early = FakeMouthReader(misses=True), FakeLateReader(late=3)
    series = mouth_series(video, times, faces, {"left": missing, "right": early}, first_misses={"left": 8, "right": 8})
    assert missing.calls == 8 and early.calls == len(times)
    assert series["left"][1] and not series["right"][1] and np.isfinite(series["right"][0][3:]).all()
    motion_only = mouth_series(video, times, faces)
    assert np.array_equal(series["left"][0], motion_only["left"][0], equal_nan=True)
    late, kept_asking = FakeLateReader(late=10), FakeLateReader(late=10)
    given_up = mouth_series(video, times, faces, {"left": late}, first_misses={"left": 8})
    asked_on = mouth_series(video, times, faces, {"left": kept_asking})
    assert late.calls == 8 and given_up["left"][1]
    assert kept_asking.calls == len(times) and not asked_on["left"][1] and np.isfinite(asked_on["left"][0]).sum() == 88


def test_lip_sync_evidence_gives_up_on_drawn_faces_only(tmp_path: Path):
    """``ActiveSpeakerParams.drawn_first_misses`` reaches the faces read by the drawn reader (a 2D detector found
    them), not those the face mesh reads, which are asked until they missed half their samples."""
    video = talking_clip(tmp_path / "talk.mp4", 0.0)
    frames = pl.DataFrame({"frame_id": ["f0"], "shot": [0], "timestamp_s": [4.0], "width": [SIZE[0]]})
    shots = pl.DataFrame({"shot": [0], "start_s": [0.0], "end_s": [DURATION]})
    faces = pl.DataFrame({"instance_id": ["i0", "i1"], "frame_id": ["f0", "f0"],
                          "fx0": [b[0] for b in BOXES.values()], "fy0": [b[1] for b in BOXES.values()],
                          "fx1": [b[2] for b in BOXES.values()], "fy1": [b[3] for b in BOXES.values()],
                          "detector": ["animeface", "scrfd"]})
    identities = pl.DataFrame({"instance_id": ["i0", "i1"], "identity": ["left", "right"]})
    for first_misses in (8, 0):
        drawn, mesh = FakeMouthReader(misses=True), FakeMouthReader(misses=True)
        evidence = lip_sync_evidence(video, segments(), shots, frames, faces, identities, mesh,
                                     ActiveSpeakerParams(drawn_first_misses=first_misses), drawn=drawn)
        samples = len(np.arange(0.0, DURATION, 1 / ActiveSpeakerParams().rate))
        assert mesh.calls == samples // 2 + 1
        assert drawn.calls == (8 if first_misses else samples // 2 + 1)
        assert set(evidence["mouth_source"]) == {"motion"}


def test_frames_at_gives_the_decoded_frames_pixels(tmp_path: Path):
    """The frames picked from the window's timestamps, B-frames the grid does not pick skipped, are those of a
    full decode, pixel for pixel, also where the grid needs neighbouring frames and past the film's end."""
    import av

    video = talking_clip(tmp_path / "talk.mp4", 0.0)
    with av.open(str(video)) as container:
        every = {float(frame.time): frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)}
    for times in (np.array([0.0, 1.01, 2.51, 7.47]), np.arange(3.0, 5.0, 1 / 12.5), np.array([7.9, 8.5])):
        picked = list(frames_at(video, times))
        assert [i for i, _ in picked] == list(range(len(times) if times[-1] < DURATION else 1))
        for i, image in picked:
            nearest = min(every, key=lambda s: abs(s - times[i]))
            assert np.array_equal(image, every[nearest])
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(picked, every_frame_at(video, times)))


def test_frames_at_stops_at_the_last_picked_frame_and_gives_a_full_decodes_pixels(shared, monkeypatch):
    """A real film's B-pyramid (Penny & Chip, H.264 with B-frames as references): windows ending on every frame of
    a second, so the last picked frame is an I-, P- or B-frame, decoded up to its packet and flushed (the packets
    read past it are not decoded), are the full decode's frames pixel for pixel, without the frame-by-frame
    fallback (a picked frame missing from the decoder's output)."""
    import av

    from assets.audio import mouth_tracks

    def no_fallback(*_):
        raise AssertionError("frames_at fell back to decoding every frame")

    monkeypatch.setattr(mouth_tracks, "every_frame_at", no_fallback)
    video = shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"
    start = 40.0
    with av.open(str(video)) as container:
        container.seek(int((start - 3.0) * 1_000_000))
        every = {}
        for frame in container.decode(video=0):
            if float(frame.time) > start + 3.5:
                break
            every[float(frame.time)] = frame.to_ndarray(format="rgb24")
    for end in start + 1.0 + np.arange(25) / 24:
        times = np.arange(start, end, 1 / 12.5)
        picked = list(frames_at(video, times))
        assert [i for i, _ in picked] == list(range(len(times)))
        for i, image in picked:
            nearest = min(every, key=lambda s: (abs(s - times[i]), -s))
            assert np.array_equal(image, every[nearest]), (end, times[i])


def test_frames_at_reads_a_tall_frame_at_the_height_cap_and_a_short_one_as_it_is(tmp_path: Path):
    """``max_height`` (a drawn shot's mouths read at 480 rows): frames taller than the cap come scaled to it in the
    decode's own pass (the area-resized full frame within a few levels), those at or under it pixel for pixel."""
    video = talking_clip(tmp_path / "talk.mp4", 0.0)
    times = np.array([1.01, 2.51, 5.0])
    full = dict(frames_at(video, times))
    assert all(np.array_equal(image, full[i]) for i, image in frames_at(video, times, max_height=SIZE[1]))
    for i, image in frames_at(video, times, max_height=SIZE[1] // 2):
        assert image.shape == (SIZE[1] // 2, SIZE[0] // 2, 3)
        expected = cv2.resize(full[i], (SIZE[0] // 2, SIZE[1] // 2), interpolation=cv2.INTER_AREA)
        assert np.abs(image.astype(int) - expected).mean() < 3.0
    scaled = dict(every_frame_at(video, times, max_height=SIZE[1] // 2))
    assert all(image.shape == (SIZE[1] // 2, SIZE[0] // 2, 3) for image in scaled.values())


def letterboxed_clip(path: Path, shared: Path, frames: int = 12) -> Path:
    """Penny & Chip at 1600 x 900 inside a 1920 x 1080 frame with black bars (a letterboxed 1080p film)."""
    import av

    with av.open(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4")) as source, \
            av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        source.seek(40_000_000)
        for index, frame in enumerate(source.decode(video=0)):
            if index == frames:
                break
            picture = np.zeros((1080, 1920, 3), np.uint8)
            picture[90:990, 160:1760] = cv2.resize(frame.to_ndarray(format="rgb24"), (1600, 900))
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_a_cropped_1080p_frame_is_read_at_480_rows_as_opencvs_area_resize_of_the_crop(tmp_path: Path, shared,
                                                                                        monkeypatch):
    """A letterboxed 1080p film's drawn shot: the crop is read in place and area-resized by the compiled twin
    (resources/area_resize.py), the bytes OpenCV's resize of the cropped frame gives (what lip sync read before)."""
    from assets.audio import mouth_tracks
    from assets.frames.picture import Crop, PictureGeometry, shown

    resized = []

    def counted(image, width, height):
        resized.append(image.base is not None)   # a view into the converted frame, not a copy
        return area_resize.area_resized(image, width, height)

    from resources import area_resize

    monkeypatch.setattr(mouth_tracks, "area_resized", counted)
    video = letterboxed_clip(tmp_path / "boxed.mp4", shared)
    picture = PictureGeometry(1920, 1080, crop=Crop(160, 90, 1600, 900))
    times = np.array([0.0, 0.12, 0.28, 0.4])
    full = dict(frames_at(video, times, picture=picture))
    read = dict(frames_at(video, times, max_height=480, picture=picture))
    assert resized == [True] * len(times)
    assert all(full[i].shape == (900, 1600, 3) for i in full)
    for i, image in read.items():
        assert image.shape == (480, 853, 3)
        assert np.array_equal(image, cv2.resize(full[i], (853, 480), interpolation=cv2.INTER_AREA))
    # a geometry with square pixels changed as well (here a pixel aspect): shown's picture, resized the same way
    wide = PictureGeometry(1920, 1080, crop=Crop(160, 90, 1600, 900), sar=Fraction(4, 3))
    for i, image in frames_at(video, times[:1], max_height=480, picture=wide):
        expected = shown(np.ascontiguousarray(full[i]), PictureGeometry(1600, 900, sar=Fraction(4, 3)))
        assert np.array_equal(image, cv2.resize(expected, (1138, 480), interpolation=cv2.INTER_AREA))


def test_frames_at_seeks_earlier_when_the_first_frame_read_is_late(tmp_path: Path, monkeypatch):
    """Where the seek just before the window lands on a key frame after its start (here forced), the window is
    read again from 1 s before: the frames are still a full decode's."""
    import assets.audio.mouth_tracks as mouth_tracks

    video = talking_clip(tmp_path / "talk.mp4", 0.0, key_frame_every=10)
    times = np.arange(3.03, 4.5, 1 / 12.5)
    monkeypatch.setattr(mouth_tracks, "SHORT_LEAD_S", -0.3)   # a seek target after the first time
    picked = list(frames_at(video, times))
    every = list(every_frame_at(video, times))
    assert [i for i, _ in picked] == list(range(len(times)))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(picked, every))


def test_nearest_stamps_prefers_the_later_frame_on_a_tie_and_stops_at_the_end():
    assert nearest_stamps([0.0, 0.04, 0.08], np.array([0.02, 0.05, 0.1])) == [0.04, 0.04]
    assert nearest_stamps([1.0, 2.0], np.array([0.0, 1.4, 1.6])) == [1.0, 1.0, 2.0]
    assert nearest_stamps([], np.array([0.0])) == []


def test_shots_followed_on_threads_give_the_rows_of_one_thread(tmp_path: Path):
    video = talking_clip(tmp_path / "talk.mp4", 0.0)
    frames = pl.DataFrame({"frame_id": ["f0", "f1"], "shot": [0, 1], "timestamp_s": [2.0, 6.0],
                           "width": [SIZE[0]] * 2})
    shots = pl.DataFrame({"shot": [0, 1], "start_s": [0.0, 4.0], "end_s": [4.0, DURATION]})
    faces = pl.DataFrame({"instance_id": ["i0", "i1", "i2", "i3"], "frame_id": ["f0", "f0", "f1", "f1"],
                          **{c: [b[k] for b in BOXES.values()] * 2 for k, c in enumerate(("fx0", "fy0", "fx1", "fy1"))}})
    identities = pl.DataFrame({"instance_id": ["i0", "i1", "i2", "i3"], "identity": ["left", "right"] * 2})
    one = lip_sync_evidence(video, segments(), shots, frames, faces, identities, FakeMouthReader(False), workers=1)
    two = lip_sync_evidence(video, segments(), shots, frames, faces, identities, FakeMouthReader(False), workers=2)
    assert one.equals(two) and sorted(set(one["shot"])) == [0, 1] and (one["mouth_source"] == "landmarks").all()


def test_lagged_correlation_finds_a_known_shift():
    rng = np.random.default_rng(0)
    activity = (rng.random(200) > 0.5).astype(float)
    movement = np.roll(activity, 3) + 0.1 * rng.standard_normal(200)
    correlation, lag = lagged_correlation(movement, activity, rate=10.0, max_lag_s=0.5)
    assert lag == pytest.approx(0.3) and correlation > 0.9


def test_mouth_evidence_overrides_cooccurrence_and_off_screen_voices_stay_unmapped():
    from assets.audio.voice_map import MAP_SCHEMA, PAIR_SCHEMA, VoiceMapParams, with_lip_sync

    pairs = pl.DataFrame([
        {"speaker": "S0", "identity": "crowd", "cooccurrence_s": 9.0, "confidence": 0.6, "frames": 9},
        {"speaker": "S0", "identity": "hero", "cooccurrence_s": 3.0, "confidence": 0.2, "frames": 3},
        {"speaker": "S1", "identity": "hero", "cooccurrence_s": 5.0, "confidence": 0.5, "frames": 5},
        {"speaker": "S2", "identity": "hero", "cooccurrence_s": 4.0, "confidence": 0.4, "frames": 4},
    ]).with_columns(pl.lit(None).alias(c) for c in PAIR_SCHEMA if c not in
                    ("speaker", "identity", "cooccurrence_s", "confidence", "frames")).select(list(PAIR_SCHEMA)).cast(PAIR_SCHEMA)
    best = pairs.group_by("speaker", maintain_order=True).first()
    sync = pl.DataFrame({"speaker": ["S0", "S0", "S1"], "identity": ["crowd", "hero", "hero"],
                         "sync_correlation": [0.05, 0.8, 0.02], "sync_lag_s": [0.0, 0.08, 0.0],
                         "sync_observed_s": [5.0, 5.0, 5.0], "sync_shots": [1, 1, 1]})
    pairs, best = with_lip_sync(pairs, best, sync, VoiceMapParams())
    mapped = {row["speaker"]: row for row in best.iter_rows(named=True)}
    assert mapped["S0"]["identity"] == "hero" and mapped["S0"]["evidence"] == "lip_sync"  # the moving mouth wins
    assert "S1" not in mapped                    # heard while faces were followed, no mouth moves: off-screen
    assert mapped["S2"]["evidence"] == "cooccurrence"  # never followed: co-occurrence stays the prior
    assert set(best.columns) == set(MAP_SCHEMA) and "sync_lag_s" in pairs.columns


# -- drawn 2D faces: two real anime faces from ../shared, their mouths repainted to talk with a known offset --------
DRAWN_TURNS = {"A": [(0.3, 1.6), (2.9, 3.9)], "B": [(1.7, 2.8), (4.0, 4.8)]}
DRAWN_DURATION, TILE = 5.0, 160


def drawn_talking_clip(shared: Path, path: Path, offset_s: float, detector) -> dict[str, tuple]:
    """Writes the clip; returns each face's box. Each tile's mouth (found once by AnimeFace) is painted over with
    the skin colour and redrawn every frame, opening 4 times a second while its voice talks, ``offset_s`` late."""
    import av

    grid = cv2.cvtColor(cv2.imread(str(shared / "media/faces/anime_face_grid.jpg")), cv2.COLOR_BGR2RGB)
    tiles, mouths, boxes = [], [], {}
    for i, (face, (x0, y0, x1, y1)) in enumerate({"left": (1253, 108, 1349, 204),
                                                  "right": (2717, 132, 2805, 220)}.items()):
        margin = (x1 - x0) // 2
        tile = cv2.resize(grid[y0 - margin:y1 + margin, x0 - margin:x1 + margin], (TILE, TILE),
                          interpolation=cv2.INTER_AREA)
        found = detector.detect(tile)[0]
        mx0, my0, mx1, my1 = (int(v) for v in found.mouth_box)
        cv2.rectangle(tile, (mx0 - 2, my0 - 2), (mx1 + 2, my1 + 2), tuple(int(c) for c in found.skin_rgb), -1)
        tiles.append(tile)
        mouths.append(((mx0 + mx1) // 2 + i * TILE, (my0 + my1) // 2, max((mx1 - mx0) // 2, 4)))
        boxes[face] = (found.box[0] + i * TILE, found.box[1], found.box[2] + i * TILE, found.box[3])
    background = np.concatenate(tiles, axis=1)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 2 * TILE, TILE, "yuv420p"
        for index in range(int(DRAWN_DURATION * FPS)):
            t = index / FPS - offset_s
            image = background.copy()
            for (cx, cy, half), voice in zip(mouths, ("A", "B")):
                talking = any(s <= t < e for s, e in DRAWN_TURNS[voice])
                opening = 1 + int(0.9 * half * abs(np.sin(np.pi * 4 * t))) if talking else 1
                cv2.ellipse(image, (cx, cy + opening // 2), (half, opening), 0, 0, 360, (120, 30, 45), -1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return boxes


class AnimeFaceAnalyzer:
    """The slice of the drawn FaceAnalyzer that DrawnMouth calls (``detect(image, "animeface")``), on AnimeFace."""

    name = "animeface_only"

    def __init__(self, detector):
        self.detector = detector

    def detect(self, image: np.ndarray, detector: str | None = None):
        return [face.to_detection() for face in self.detector.detect(image)]


@pytest.mark.slow
def test_drawn_mouths_from_the_2d_detector_name_their_voice_and_the_offset(shared, tmp_path: Path, anime_detector):
    from resources.backends.mouth_landmarks import DrawnMouth

    offset_s, params = 0.16, ActiveSpeakerParams()
    boxes = drawn_talking_clip(shared, tmp_path / "drawn.mp4", offset_s, anime_detector)
    times = np.arange(0.0, DRAWN_DURATION - 0.2, 1 / params.rate)
    series = mouth_series(tmp_path / "drawn.mp4", times, {face: [(2.5, box)] for face, box in boxes.items()},
                          DrawnMouth(AnimeFaceAnalyzer(anime_detector)))
    assert not any(is_motion for _, is_motion in series.values())  # the 2D detector measured both mouths
    rows = [{"start_s": s, "end_s": e, "speaker": f"SPEAKER_{k}", "confidence": 1.0, "duration_s": e - s}
            for k, turns in DRAWN_TURNS.items() for s, e in turns]
    evidence = pooled_evidence(pl.DataFrame(shot_evidence(pl.DataFrame(rows).sort("start_s"), 0, times, series,
                                                          params)), params)
    for face, speaker in (("left", "A"), ("right", "B")):
        own = evidence.filter(pl.col("identity") == face).sort("sync_correlation", descending=True).row(0, named=True)
        assert own["speaker"] == f"SPEAKER_{speaker}" and own["sync_correlation"] > 0.5
        assert abs(own["sync_lag_s"] - offset_s) <= 1.01 / params.rate  # within one sample of the true offset


class _CountingDecoder:
    """A stream's codec context that counts the packets given to it (frames_at's decodes)."""

    def __init__(self, codec):
        object.__setattr__(self, "codec", codec)
        object.__setattr__(self, "fed", [])

    def decode(self, packet=None):
        if packet is not None:
            self.fed.append(packet.pts)
        return self.codec.decode(packet)

    def __getattr__(self, name):
        return getattr(self.codec, name)

    def __setattr__(self, name, value):
        setattr(self.codec, name, value)


@pytest.mark.parametrize("after_key_s", [-0.00004, 0.008])
def test_a_window_starting_on_a_key_frame_is_decoded_from_it(tmp_path: Path, monkeypatch, after_key_s: float):
    """A window whose first time lies on a cut's key frame, as a rounded shot start does (a hair before it, or a
    few ms after it): the frame nearest that time is the key frame's, so decoding starts there and not at the key
    frame before the seek's lead (a whole group of pictures more, issue #17); the packets before it are only read
    for their timestamps. The frames are a full decode's, pixel for pixel."""
    from contextlib import contextmanager

    from assets.audio import mouth_tracks

    video = talking_clip(tmp_path / "talk.mp4", 0.0, key_frame_every=25)   # key frames at 0, 1, 2, ... s
    decoders = []
    real_open = mouth_tracks.open_video_stream

    class Container:   # the real container, seeking and demuxing the real stream
        def __init__(self, container):
            self.container = container

        def __getattr__(self, name):
            return getattr(self.container, name)

        def seek(self, target, stream, backward):
            self.container.seek(target, stream=stream.real, backward=backward)

        def demux(self, stream):
            return self.container.demux(stream.real)

    @contextmanager
    def opened(path):
        with real_open(path) as (container, stream):
            decoders.append(_CountingDecoder(stream.codec_context))
            yield Container(container), type("Stream", (), {"time_base": stream.time_base,
                                                            "codec_context": decoders[-1], "real": stream})()

    times = np.arange(3.0 + after_key_s, 4.5, 1 / 12.5)
    every = list(every_frame_at(video, times))
    monkeypatch.setattr(mouth_tracks, "open_video_stream", opened)
    picked = list(frames_at(video, times))
    assert [i for i, _ in picked] == list(range(len(times)))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(picked, every))
    with real_open(video) as (_, stream):
        key_pts = int(round(3.0 / float(stream.time_base)))
    assert min(decoders[0].fed) == key_pts   # nothing before the key frame at 3 s given to the decoder
