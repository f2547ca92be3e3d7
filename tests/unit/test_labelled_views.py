"""Views of a real film scored against labels made by eye (issue #12 / #13): bench/labelled_views.py's reading of a
labels CSV and its scoring of a home's ``poses`` rows, and the Penny & Chip labels it ships."""

from pathlib import Path

import pytest

from tests.conftest import load_bench

LABELS = Path(__file__).resolve().parents[2] / "bench" / "data" / "penny_chip_views_s53.csv"


def poses(*rows: tuple[str, str, str]) -> list[dict]:
    return [{"instance_id": i, "view": v, "view_source": s} for i, v, s in rows]


def test_each_labelled_view_is_scored_and_the_unclear_unlabelled_and_unidentified_are_counted_apart(tmp_path):
    views = load_bench("labelled_views")
    csv = tmp_path / "labels.csv"
    csv.write_text("# cut at commit abc\ninstance_id,view,note\n"
                   "a,front,\nb,front,slight turn (doubtful)\nc,back,\nd,profile,\ne,three_quarter,\nf,unclear,half cut\n"
                   "g,back,\nz,front,noise in this home\n")
    labels = views.read_labels(csv)
    assert labels["b"] == "front" and labels["f"] == "unclear" and len(labels) == 8
    assert set(labels) - set(views.read_labels(csv, sure_only=True)) == {"b"}
    scored = views.score(poses(("a", "front", "face"), ("b", "three_quarter", "face"), ("c", "front", "keypoints"),
                               ("d", "unknown", "none"), ("e", "three_quarter", "crossing"),
                               ("f", "back", "keypoints"), ("g", "profile", "keypoints"),
                               ("h", "front", "face")), labels)
    figures = scored["figures"]
    assert figures["all"] == {"n": 6, "right": 2, "wrong": 3, "none": 1, "wrong_far": 1,
                              "right_share": 0.333, "wrong_of_said": 0.6}
    by_view = figures["by_true_view"]
    assert (by_view["front"]["right"], by_view["front"]["wrong"], by_view["front"]["n"]) == (1, 1, 2)
    assert (by_view["back"]["wrong"], by_view["back"]["wrong_far"], by_view["back"]["n"]) == (2, 1, 2)
    assert by_view["profile"] == {"n": 1, "right": 0, "wrong": 0, "none": 1, "wrong_far": 0,
                                  "right_share": 0.0, "wrong_of_said": None}
    assert by_view["three_quarter"]["right"] == 1
    assert figures["confusion"]["back"] == {"front": 1, "profile": 1}
    assert figures["unclear"] == {"n": 1, "said": {"back": 1}}
    assert (figures["unlabelled"], figures["not_identified"]) == (1, 1)
    assert figures["by_source"]["keypoints"]["wrong"] == 2
    assert [r["instance_id"] for r in scored["rows"]] == ["a", "b", "c", "d", "e", "g"]


@pytest.mark.parametrize("body", ["instance_id,view,note\na,side,\n", "instance_id,view,note\na,front,\na,back,\n"])
def test_a_label_outside_the_views_or_given_twice_is_refused(tmp_path, body):
    views = load_bench("labelled_views")
    csv = tmp_path / "labels.csv"
    csv.write_text(body)
    with pytest.raises(ValueError, match="labels.csv: a"):
        views.read_labels(csv)


def test_the_penny_and_chip_labels_name_their_commit_and_hold_every_view():
    views = load_bench("labelled_views")
    labels = views.read_labels(LABELS)
    assert "commit" in LABELS.read_text().splitlines()[0]
    assert len(labels) >= 250 and set(labels.values()) >= {"front", "three_quarter", "profile", "back"}
