"""`castforge eval diarization --reference X.rttm --hypothesis Y.rttm`: diarization error rate (pyannote.metrics)."""

import argparse
import json
from pathlib import Path
from typing import Any

from resources.errors import CastforgeError


def _annotations(path: Path) -> dict[str, Any]:
    from pyannote.core import Annotation, Segment

    from assets.audio.speech import read_rttm

    if not path.exists():
        raise CastforgeError(f"{path}: no such RTTM file")
    try:
        table = read_rttm(path)
    except ValueError as error:
        raise CastforgeError(str(error)) from error
    annotations: dict[str, Annotation] = {}
    for row in table.iter_rows(named=True):
        annotation = annotations.setdefault(row["uri"], Annotation(uri=row["uri"]))
        annotation[Segment(row["start_s"], row["end_s"]), annotation.new_track(Segment(row["start_s"], row["end_s"]))] = row["speaker"]
    return annotations


def diarization_error(reference: Path, hypothesis: Path, collar: float = 0.0, skip_overlap: bool = False) -> dict:
    """DER and its parts over every file (uri) of ``reference``; a file missing from ``hypothesis`` counts as
    all missed speech. With one file on each side the uris need not match."""
    from pyannote.core import Annotation
    from pyannote.metrics.diarization import DiarizationErrorRate

    refs, hyps = _annotations(Path(reference)), _annotations(Path(hypothesis))
    if len(refs) == 1 and len(hyps) == 1:
        hyps = {next(iter(refs)): next(iter(hyps.values()))}
    metric = DiarizationErrorRate(collar=collar, skip_overlap=skip_overlap)
    per_file = {}
    for uri, ref in refs.items():
        detail = metric(ref, hyps.get(uri, Annotation(uri=uri)), detailed=True)
        per_file[uri] = _parts(detail) | {"reference_speakers": len(ref.labels()),
                                          "hypothesis_speakers": len(hyps.get(uri, Annotation()).labels())}
    total = dict(metric.accumulated_)
    return {"reference": str(reference), "hypothesis": str(hypothesis), "collar": collar,
            "skip_overlap": skip_overlap, **_parts(total), "files": per_file}


def _parts(detail: dict) -> dict:
    total = float(detail["total"]) or 1e-12
    parts = {name: float(detail[key]) for name, key in (("missed_s", "missed detection"), ("false_alarm_s", "false alarm"),
                                                         ("confusion_s", "confusion"), ("reference_speech_s", "total"))}
    return {"der": round((parts["missed_s"] + parts["false_alarm_s"] + parts["confusion_s"]) / total, 4),
            "missed": round(parts["missed_s"] / total, 4), "false_alarm": round(parts["false_alarm_s"] / total, 4),
            "confusion": round(parts["confusion_s"] / total, 4), **{k: round(v, 3) for k, v in parts.items()}}


def _run(args: argparse.Namespace) -> int:
    print(json.dumps(diarization_error(Path(args.reference), Path(args.hypothesis), args.collar, args.skip_overlap),
                     indent=2))
    return 0


def add_parser(evals_subparsers: argparse._SubParsersAction) -> None:
    parser = evals_subparsers.add_parser("diarization", help="diarization error rate of an RTTM against a reference")
    parser.add_argument("--reference", required=True, help="reference RTTM")
    parser.add_argument("--hypothesis", required=True, help="RTTM to score (e.g. films/<film>/diarization/<film>.rttm)")
    parser.add_argument("--collar", type=float, default=0.0, help="forgiveness collar in seconds (default 0)")
    parser.add_argument("--skip-overlap", action="store_true", help="do not score overlapped speech")
    parser.set_defaults(handler=_run)
