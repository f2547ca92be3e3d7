"""The closing summary of `castforge materialize`: what ran, identities found, the dataset's path, what to do next."""

from pathlib import Path
from typing import Any


def summary_lines(film: str, results: dict[str, dict[str, Any]], success: bool, log_path: Path) -> list[str]:
    from resources import review_state
    from resources.store import StorageResource

    workspace = StorageResource().workspace(film)
    by_status: dict[str, list[str]] = {}
    for asset, outcome in results.items():
        by_status.setdefault(outcome.get("status", "done"), []).append(asset)
    lines = ["", f"film {film}: " + ", ".join(f"{len(v)} {k}" for k, v in sorted(by_status.items()))
             if by_status else f"film {film}: nothing to do"]
    identities = workspace.read_optional_table("identities")
    if identities is not None:
        named = identities.filter(identities["name"].is_not_null()).height if "name" in identities.columns else 0
        lines.append(f"  identities found: {identities.height} ({named} named by review)")
    datasets = workspace.artefact_dir("datasets")
    if workspace.has_table("character_datasets") and datasets.exists():
        lines.append(f"  dataset: {datasets}" + dataset_contents(workspace.read_optional_table("dataset_items"),
                                                                 workspace.read_optional_table("dataset_decisions"),
                                                                 identities))
    voices = workspace.artefact_dir("multimodal") / "voices"
    items = workspace.read_optional_table("multimodal_items")
    if items is not None and items.height and voices.exists():
        lines.append(f"  voices: {voices}" + voice_contents(items))
    for asset in by_status.get("failed", []):
        lines.append(f"  {asset} failed: {results[asset].get('error', '')}")
    instances = workspace.read_optional_table("instances")
    if success and identities is not None and (identities.height or (instances is not None and instances.height)):
        lines.append(f"  next: {review_step(review_state.review_url(film))}, then `castforge materialize {film}` "
                     "applies the decisions")
    lines.append(f"  log: {log_path}" + ("" if success else " (or run again with -v)"))
    return lines


def review_step(url: str) -> str:
    """The review step as it stands: the URL when something serves it (a running `castforge review` records where,
    resources/review_server.py), else the command that serves it there (session 38: the line named the default
    port while the review ran on another, and named it when nothing served it)."""
    from urllib.parse import urlsplit

    from resources.review_server import answers

    if answers(url):
        return f"review cut-outs and identities at {url} (`castforge review` serves it)"
    port = urlsplit(url).port
    command = "castforge review" + ("" if port in (None, 8765) else f" --port {port}")
    return f"start `{command}` and review cut-outs and identities at {url}"


def dataset_contents(items, decisions, identities) -> str:
    """What the dataset folder holds, for the summary line after its path: items per trigger word, or why it is
    empty (an empty folder given as "the dataset" sends a trainer to a TOML with no subsets and no Parquet file:
    an empty export writes none, since ``datasets.load_dataset`` refuses a 0-row one)."""
    if items is not None and items.height:
        per_trigger = items.group_by("trigger").len().sort(["len", "trigger"], descending=[True, False])
        return f" ({items.height} items: " + ", ".join(f"{t} {n}" for t, n in per_trigger.iter_rows()) + ")"
    if identities is None or not identities.height:
        return (" (empty: no identity was found, so nothing to export; why for each cut-out: the review UI's "
                "instance detail)")
    if decisions is not None and decisions.height:
        skipped = decisions.filter(decisions["decision"] == "skipped").group_by("rule").len().sort("len",
                                                                                                   descending=True)
        rules = ", ".join(f"{rule} {n}" for rule, n in skipped.iter_rows())
        return f" (empty: every candidate was skipped: {rules}; see manifest.json)"
    return " (empty: no identified, captioned instance to export)"


def voice_contents(items) -> str:
    """What the LJSpeech voice folders hold, for the summary line after their path: clips per character and how many
    are transcribed; a clip without a transcript is not in metadata.csv (session 38), so the line says where it is
    and why it has none."""
    from assets.multimodal.core import UNTRANSCRIBED, transcribed

    per_character = items.group_by("character").len().sort(["len", "character"], descending=[True, False])
    clips = f"{items.height} clip" + ("" if items.height == 1 else "s")
    said = f" (LJSpeech: {clips}: " + ", ".join(f"{c} {n}" for c, n in per_character.iter_rows())
    done = int(transcribed(items).sum())
    subtitled = int((items["transcript_source"] == "subtitles").sum()) if "transcript_source" in items.columns else 0
    if subtitled:
        said += f"; {subtitled} transcribed from subtitles"
    if done == items.height:
        return said + "; all transcribed)"
    reasons = sorted({r for r in items.filter(~transcribed(items))["transcript_note"].fill_null("").to_list() if r})
    return (said + f"; {done} transcribed (metadata.csv), {items.height - done} not ({UNTRANSCRIBED}): "
            + ("; ".join(reasons) or "the ASR heard no words") + ")")


INTERRUPTIONS = ("KeyboardInterrupt", "DagsterExecutionInterruptedError")


def run_failure(instance, run_id: str) -> str | None:
    """The first line of the run's RUN_FAILURE event (its reason and error), or None when it has none."""
    from dagster import DagsterEventType

    try:
        records = instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)
    except Exception as error:  # the run storage unreadable: the steps' errors still say why
        return f"(the run's events could not be read: {error})"
    for record in records:
        event = record.dagster_event
        error = getattr(event.event_specific_data, "error", None)
        cause = error.cause if error is not None and error.cause is not None else error
        detail = cause.message.strip().splitlines()[0] if cause is not None and cause.message.strip() else ""
        return " ".join(part for part in ((event.message or "").strip(), detail) if part) or "no reason recorded"
    return None


def failure_lines(results: dict[str, dict[str, Any]], reason: str | None, run_id: str,
                  log_path: Path) -> tuple[list[str], bool]:
    """What `castforge materialize` writes on stderr when its run did not succeed: each failed step with its error's
    first line, else the run's failure reason; and whether the run was interrupted (Ctrl-C, SIGTERM)."""
    failed = {asset: outcome.get("first_line") or outcome.get("error") or "unknown error"
              for asset, outcome in results.items() if outcome.get("status") == "failed"}
    said = " ".join([*failed.values(), reason or ""])
    interrupted = any(word in said for word in INTERRUPTIONS)
    lines = [f"castforge: step {asset} failed: {error}" for asset, error in failed.items()]
    if not failed:
        lines.append(f"castforge: run {run_id} failed with no step failure: {reason or 'no reason recorded'}")
    if interrupted:
        lines.append("castforge: interrupted (Ctrl-C or SIGTERM)")
    lines.append(f"castforge: log: {log_path}")
    return lines, interrupted
