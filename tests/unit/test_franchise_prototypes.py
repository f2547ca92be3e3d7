"""The franchise prototype store's prototypes: the mean of a group's faces, one row per film that kept an identity
(its prototype their mean, weighted by faces; a re-run replaces its film's row), and stores written before the weights
(one row per identity and space) still load."""

import json
from pathlib import Path

import cv2
import numpy as np
import polars as pl

from assets.identities.stable_ids import (STORE_SCHEMA, franchise_vectors, load_store, match_ids, merge_store,
                                          prototypes, store_path, stored_names, update_store)

REPO = Path(__file__).resolve().parents[2]


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return (v / np.linalg.norm(v)).astype(np.float32)


def face_group(vectors: list[np.ndarray]) -> tuple[dict, list[str], dict[str, np.ndarray]]:
    """A face group of ``vectors`` (its medoid: the first), its instance ids and their faces."""
    ids = [f"i{k}" for k in range(len(vectors))]
    group = {"has_faces": True, "members": list(range(len(vectors))), "space": "face:m", "vector": unit(vectors[0])}
    return group, ids, dict(zip(ids, vectors))


def test_a_face_group_stands_for_the_mean_of_its_faces_a_faceless_one_for_its_look_and_its_loose_faces():
    faces = [np.array([3.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0]), np.array([0.0, 0.0, 5.0])]  # not unit: made so
    group, ids, vectors = face_group(faces)
    faceless = {"has_faces": False, "members": [3, 4], "space": "appearance:a", "vector": unit([1, 1, 0])}
    looks = {"has_faces": False, "members": [5, 6], "space": "appearance:a", "vector": unit([0, 1, 1])}
    franchise_vectors([group, faceless, looks], ids + ["j0", "j1", "k0", "k1"],
                      {**vectors, "k1": np.array([0.0, 0.0, 2.0])}, "face:m")
    (mean, weight), = group["franchise"].values()
    assert np.allclose(mean, unit([1, 1, 1]), atol=1e-6) and weight == 3
    assert list(faceless["franchise"]) == ["appearance:a"] and faceless["franchise"]["appearance:a"][1] == 2
    assert np.allclose(looks["franchise"]["face:m"][0], [0, 0, 1]) and looks["franchise"]["face:m"][1] == 1


def test_a_kept_identity_stands_for_the_mean_of_its_films_weighted_by_faces_and_a_rerun_counts_once(tmp_path):
    path = store_path(tmp_path, "series")
    first = {"space": "face:m", "vector": unit([1, 0, 0]), "franchise": {"face:m": (unit([1, 0, 0]), 3)}}
    store = load_store(path)
    update_store(path, store, [first], match_ids([first], store, {"face": 0.5}), {}, "ep1")
    second = {"space": "face:m", "vector": unit([1, 1, 0]), "franchise": {"face:m": (unit([1, 1, 0]), 1)}}
    for _ in range(2):  # episode 2, then episode 2 again (a review's re-run): its row is replaced, not added
        store = load_store(path)
        ids = match_ids([second], store, {"face": 0.5})
        assert ids == ["identity_000"]  # cosine 0.707
        store = update_store(path, store, [second], ids, {}, "ep2")
        assert store.select("film", "weight").rows() == [("ep1", 3), ("ep2", 1)]
        names, vectors = prototypes(store, "face:m")
        assert names == ["identity_000"] and np.allclose(vectors[0], unit([3 + 0.7071, 0.7071, 0]), atol=1e-5)


def test_a_store_from_before_the_weights_loads_and_its_row_counts_as_one_film(tmp_path):
    path = store_path(tmp_path, "series")
    path.parent.mkdir(parents=True)
    pl.DataFrame({"identity": ["identity_000", "identity_001"], "space": ["face:m", "face:m"],
                  "name": ["Penny", None], "prototype": [unit([1, 0, 0]).tolist(), unit([0, 0, 1]).tolist()],
                  "film": ["ep1", "ep1"], "updated_at": ["2026-01-01", "2026-01-01"]},
                 schema_overrides={"prototype": pl.List(pl.Float32)}).write_parquet(path)
    store = load_store(path)
    assert store["weight"].to_list() == [None, None] and stored_names(store) == {"identity_000": "Penny"}
    group = {"space": "face:m", "vector": unit([0, 1, 0]), "franchise": {"face:m": (unit([0, 1, 0]), 7)}}
    merged = update_store(path, store, [group], ["identity_000"], stored_names(store), "ep2")
    kept = merged.filter(pl.col("identity") == "identity_000")
    assert kept.select("film", "weight", "name").rows() == [("ep1", None, "Penny"), ("ep2", 7, "Penny")]
    names, vectors = prototypes(load_store(path), "face:m")
    assert names == ["identity_000", "identity_001"]
    assert np.allclose(vectors[0], unit([1, 1, 0]), atol=1e-6) and np.allclose(vectors[1], [0, 0, 1])


def test_groups_without_franchise_vectors_are_stored_as_before():
    # other callers (tests, a cluster's writers) hand groups with their vector alone: one face, weight one
    store = merge_store(pl.DataFrame(schema=STORE_SCHEMA),
                        [{"space": "face:m", "vector": unit([0, 1])}], ["identity_000"], {}, "film")
    assert np.allclose(store["prototype"][0].to_list(), [0, 1]) and store["weight"].to_list() == [1]


def test_a_faceless_group_s_loose_faces_take_its_id_to_the_face_group_of_the_next_film():
    store = merge_store(pl.DataFrame(schema=STORE_SCHEMA),
                        [{"has_faces": False, "space": "appearance:a", "vector": unit([1, 0]),
                          "franchise": {"appearance:a": (unit([1, 0]), 9), "face:m": (unit([0, 1, 0]), 2)}},
                         {"has_faces": True, "space": "face:m", "vector": unit([1, 0, 0])}],
                        ["identity_000", "identity_001"], {}, "ep1")
    assert store.select("identity", "space", "film").rows() == [
        ("identity_000", "appearance:a", "ep1"), ("identity_000", "face:m", "ep1"), ("identity_001", "face:m", "ep1")]
    later = [{"space": "face:m", "vector": unit([0.1, 1, 0])}, {"space": "appearance:a", "vector": unit([1, 0.1])}]
    # the face group takes identity_000 by its face row; the look that also resembles identity_000 cannot take it
    assert match_ids(later, store, {"face": 0.9, "appearance": 0.9}) == ["identity_000", "identity_002"]


PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"
EPISODES = {1: range(0, 5), 2: range(8, 13), 3: range(15, 20)}  # the shots (t = 8 k + 3.5 s) in 0-40, 60-100, 120-160 s


def penny_and_chip_faces(shared: Path) -> tuple[np.ndarray, np.ndarray, list[str], list[int]]:
    """The hand-labelled faces (tests/data/penny_and_chip_faces.json) of the three episodes' shots: their drawn
    identity embeddings (the anime preset's face space), the crops' image embeddings (a look), who, shot."""
    from resources.backends.drawn_identity import DrawnIdentityEmbedder, context_crop
    from resources.backends.tflite_embedder import TfliteImageEmbedder
    from resources.protocols import FaceDetection

    labels = json.loads((Path(__file__).resolve().parents[1] / "data" / "penny_and_chip_faces.json").read_text())
    capture, crops, who, shots = cv2.VideoCapture(str(shared / PENNY_CHIP)), [], [], []
    for shot in (s for episode in EPISODES.values() for s in episode):
        capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
        ok, bgr = capture.read()
        assert ok
        frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        for name in ("penny", "chip"):
            box = tuple(float(v) for v in labels["frames"][str(shot)][name])
            crops.append(context_crop(frame, FaceDetection(box, 1.0, "label")))
            who.append(name)
            shots.append(shot)
    capture.release()
    images = TfliteImageEmbedder()
    return DrawnIdentityEmbedder(images).embed(crops), images.embed(crops), who, shots


def test_penny_and_chip_keep_their_ids_over_three_episodes_and_never_take_each_other_s(shared, castforge_home):
    """Episode 1 groups Penny's few faces by her look (a faceless group, as the identity step did on the 0-40 s
    cut); episodes 2 and 3 hold both as face groups; then each alone. With the medoid replaced film by film, Penny
    got a new id in every episode (docs/identities.md, session 43); the running means keep both, and a character
    alone never takes the other's id at the anime preset's threshold."""
    import yaml

    threshold = yaml.safe_load((REPO / "configs/presets/anime.yaml").read_text())["identities"]["match_threshold"]
    faces, looks, who, shots = penny_and_chip_faces(shared)
    ids = [f"i{k}" for k in range(len(who))]
    face_vectors = dict(zip(ids, faces))

    def group(name: str, episode: int, faceless: bool = False) -> dict:
        rows = [k for k, (w, s) in enumerate(zip(who, shots)) if w == name and s in EPISODES[episode]]
        space = "appearance:tflite" if faceless else "face:drawn"
        vectors = looks if faceless else faces
        medoid = rows[int(np.argmax(vectors[rows] @ vectors[rows].sum(axis=0)))]
        return {"has_faces": not faceless, "members": rows, "space": space, "vector": vectors[medoid]}

    path = store_path(castforge_home, "penny_show")
    thresholds = {"face": threshold, "appearance": 0.9}

    def run(groups: list[dict], film: str) -> list[str]:
        franchise_vectors(groups, ids, face_vectors, "face:drawn")
        store = load_store(path)
        got = match_ids(groups, store, thresholds)
        update_store(path, store, groups, got, {}, film)
        return got

    chip, penny = run([group("chip", 1), group("penny", 1, faceless=True)], "ep1")
    assert run([group("penny", 2), group("chip", 2)], "ep2") == [penny, chip]
    assert run([group("chip", 3), group("penny", 3)], "ep3") == [chip, penny]
    assert run([group("penny", 3)], "penny alone") == [penny]
    assert run([group("chip", 2)], "chip alone") == [chip]
