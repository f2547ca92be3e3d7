"""Detection quality against boxes labelled by hand: recall and precision with a matching rule that tolerates the
different box conventions of face detectors (AnimeFace's tight eye-to-chin box, a cascade's loose square, a
hand-drawn box of the whole face). No Dagster, no model."""

from collections.abc import Sequence
from dataclasses import dataclass

Box = Sequence[float]


def _centre_inside(box: Box, label: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return label[0] <= cx <= label[2] and label[1] <= cy <= label[3]


def _side(box: Box) -> float:
    return max(box[2] - box[0], box[3] - box[1], 1e-6)


def matches(box: Box, label: Box, size_ratio: float = 3.0) -> bool:
    """A detection hits a label when its centre lies in the label's box and its side is within ``size_ratio``
    of the label's (either way): the same face, whatever the detector's box convention."""
    ratio = _side(box) / _side(label)
    return _centre_inside(box, label) and 1 / size_ratio <= ratio <= size_ratio


@dataclass(frozen=True)
class DetectionScore:
    hits: int
    misses: int
    false_positives: int

    @property
    def recall(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 1.0

    @property
    def precision(self) -> float:
        found = self.hits + self.false_positives
        return self.hits / found if found else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {"hits": self.hits, "misses": self.misses, "false_positives": self.false_positives,
                "recall": round(self.recall, 3), "precision": round(self.precision, 3)}

    def __add__(self, other: "DetectionScore") -> "DetectionScore":
        return DetectionScore(self.hits + other.hits, self.misses + other.misses,
                              self.false_positives + other.false_positives)


def score_detections(detections: Sequence[Box], labels: Sequence[Box],
                     ignore: Sequence[Box] = ()) -> DetectionScore:
    """One-to-one greedy matching (each label takes the first unused detection that matches it, detections in the
    order given: best first). Unmatched detections that match an ``ignore`` box count for nothing."""
    used: set[int] = set()
    hits = 0
    for label in labels:
        for index, box in enumerate(detections):
            if index not in used and matches(box, label):
                used.add(index)
                hits += 1
                break
    spare = [box for index, box in enumerate(detections) if index not in used]
    false_positives = sum(1 for box in spare if not any(matches(box, zone) for zone in ignore))
    return DetectionScore(hits, len(labels) - hits, false_positives)
