"""voice_map's lip sync after a review reads again only the (shot, face) series whose inputs changed, and its evidence
equals a full recompute's (a real encoded talking clip, lower-face motion and a counting mouth reader)."""

from pathlib import Path
from types import SimpleNamespace

import polars as pl

from assets.audio.mouth_reuse import STORE, MouthReuse
from assets.audio.mouth_tracks import lip_sync_evidence
from resources.item_reuse import ItemReuse
from resources.storage import FilmWorkspace
from tests.unit.test_audio_active_speakers import BOXES, DURATION, SIZE, FakeMouthReader, segments, talking_clip

FRAMES = pl.DataFrame({"frame_id": ["f0", "f1", "f2"], "shot": [0, 1, 1], "timestamp_s": [2.0, 5.0, 7.0],
                       "width": [SIZE[0]] * 3})
SHOTS = pl.DataFrame({"shot": [0, 1], "start_s": [0.0, 4.0], "end_s": [4.0, DURATION]})


def faces_and_identities(names: dict[str, str], right_on_f2: tuple[float, ...] | None):
    """Both faces on every frame (the right one on f2 at ``right_on_f2``; None: that cut-out discarded)."""
    rows = [(f"{face}_{frame}", frame, box) for frame in FRAMES["frame_id"] for face, box in BOXES.items()]
    rows = [(i, f, right_on_f2 if i == "right_f2" else b) for i, f, b in rows if i != "right_f2" or right_on_f2]
    faces = pl.DataFrame({"instance_id": [r[0] for r in rows], "frame_id": [r[1] for r in rows],
                          **{c: [float(r[2][k]) for r in rows] for k, c in enumerate(("fx0", "fy0", "fx1", "fy1"))}})
    identities = pl.DataFrame({"instance_id": [r[0] for r in rows],
                               "identity": [names[r[0].split("_")[0]] for r in rows]})
    return faces, identities


def run(video: Path, workspace: FilmWorkspace, faces, identities, reader, config: str = "settings-a") -> tuple:
    stage = SimpleNamespace(asset="voice_map", code_version="voice_map-test", config_hash=config)
    reuse = MouthReuse(ItemReuse(workspace, stage), workspace.artefact_dir("voice_map") / STORE, "film-hash")
    evidence = lip_sync_evidence(video, segments(), SHOTS, FRAMES, faces, identities, reader, reuse=reuse)
    reuse.keep()
    workspace.write_stage_record("voice_map", {"asset": "voice_map", **reuse.reuse.record()})
    return evidence, reuse


def ordered(evidence: pl.DataFrame) -> pl.DataFrame:
    return evidence.sort("shot", "identity", "speaker")


def test_a_rename_reads_no_mouth_and_a_discard_reads_only_its_face_in_its_shot(tmp_path: Path):
    video = talking_clip(tmp_path / "talk.mp4", 0.1)
    workspace = FilmWorkspace("talk", tmp_path / "home")
    tall = (180.0, 10.0, 300.0, 150.0)   # the right face's box on f2: taller than on f0 / f1
    names = {"left": "identity_000", "right": "identity_001"}
    faces, identities = faces_and_identities(names, tall)

    reader = FakeMouthReader(misses=False)
    first, reuse = run(video, workspace, faces, identities, reader)
    assert (reuse.reused, reuse.read) == (0, 4)   # two faces in each of two shots
    assert first.equals(lip_sync_evidence(video, segments(), SHOTS, FRAMES, faces, identities, FakeMouthReader(False)))

    # a rename (even of the identity label itself): every series is taken, nothing decoded or read
    renamed = {"left": "penny", "right": "identity_001"}
    faces, identities = faces_and_identities(renamed, tall)
    reader = FakeMouthReader(misses=False)
    after_rename, reuse = run(video, workspace, faces, identities, reader)
    assert (reuse.reused, reuse.read, reader.calls) == (4, 0, 0)
    full = lip_sync_evidence(video, segments(), SHOTS, FRAMES, faces, identities, FakeMouthReader(False))
    assert ordered(after_rename).equals(ordered(full))
    assert set(after_rename["identity"]) == {"penny", "identity_001"}

    # a discard of the right face on f2: that face in shot 1 is read again (alone), the other three are taken
    faces, identities = faces_and_identities(renamed, None)
    reader = FakeMouthReader(misses=False)
    after_discard, reuse = run(video, workspace, faces, identities, reader)
    assert (reuse.reused, reuse.read) == (3, 1)
    shot_1_samples = int(after_discard.filter((pl.col("shot") == 1) & (pl.col("identity") == "identity_001"))
                         ["observed_s"][0] * 12.5 + 0.5)
    assert 0 < reader.calls <= shot_1_samples + 1
    full = lip_sync_evidence(video, segments(), SHOTS, FRAMES, faces, identities, FakeMouthReader(False))
    assert ordered(after_discard).equals(ordered(full))
    # the read face's series changed (its tall box on f2 is gone): taking the last run's would not be a recompute
    changed = pl.col("shot") == 1
    assert not ordered(after_discard).filter(changed).equals(ordered(after_rename).filter(changed))

    # another setting: every face is read again
    reader = FakeMouthReader(misses=False)
    _, reuse = run(video, workspace, faces, identities, reader, config="settings-b")
    assert (reuse.reused, reuse.read) == (0, 4)
