"""A voice clip's transcript from the film's subtitles: the text of the dialogue cues that overlap it. Pure.

Rule: a cue counts for a clip when their overlap is at least ``MIN_SHARE`` of the shorter of the two, i.e. half of
the cue or half of the clip. A cue that starts before a clip and runs into it for a moment (a line ending as the
next speaker starts) does not count; a short clip inside a long cue (the diarizer split one line in two) takes the
cue's whole text. Signs and typesetting (``kind`` sign) never count. Cues are joined in time order; a text repeated
by consecutive cues (the same line split at a scene cut) is kept once.
"""

import polars as pl

MIN_SHARE = 0.5
SUBTITLES, ASR = "subtitles", "asr"


def dialogue_cues(cues: pl.DataFrame | None) -> pl.DataFrame | None:
    if cues is None or cues.is_empty():
        return None
    dialogue = cues.filter(pl.col("kind") == "dialogue") if "kind" in cues.columns else cues
    return dialogue.sort("start_s") if dialogue.height else None


def overlapping_text(start_s: float, end_s: float, cues: pl.DataFrame | None, min_share: float = MIN_SHARE) -> str:
    """The text of the cues overlapping ``[start_s, end_s]`` by at least ``min_share`` of the shorter of the cue
    and the clip, in time order ("" for none)."""
    if cues is None or end_s <= start_s:
        return ""
    near = cues.filter((pl.col("end_s") > start_s) & (pl.col("start_s") < end_s))
    texts: list[str] = []
    for cue in near.iter_rows(named=True):
        overlap = min(end_s, cue["end_s"]) - max(start_s, cue["start_s"])
        shorter = min(end_s - start_s, max(cue["end_s"] - cue["start_s"], 1e-6))
        if overlap >= min_share * shorter and (not texts or texts[-1] != cue["text"]):
            texts.append(cue["text"])
    return " ".join(texts)


def count_from(items: pl.DataFrame, source: str) -> int:
    if items.is_empty() or "transcript_source" not in items.columns:
        return 0
    return int((items["transcript_source"] == source).sum())
