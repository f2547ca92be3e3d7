"""What `castforge materialize` shows a person: one line per step (started, finished with its counts, cached or
failed), progress inside long steps, and a closing summary; everything else (Dagster's DEBUG event lines, library
warnings) goes to a log file, echoed with ``-v``.

Dagster hands every run event to the run's loggers; ``console_logger`` is the run's only logger, so the console
sees each step event as it happens and decides what a person reads.
"""

import logging
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from dagster import Field, logger

PROGRESS_LOGGER = "castforge.progress"   # stages report progress here (resources/lineage.py StageRun.progress)
# metadata that is bookkeeping, not a count a person wants on the step's line
NOT_COUNTS = {"rows", "seconds", "fingerprint", "cached", "review_revision", "decoded_frames", "embedding_dim"}
MAX_COUNTS = 4
# castforge's own errors are written for a person: Dagster's "module.Class: message" shows them as "Class: message"
OWN_ERROR_MODULE = re.compile(r"^resources\.errors\.(?=\w+: )")
PIPED_EVERY_S = 10.0   # progress lines when the output is not a terminal


class Console:
    """Receives log records (Dagster's, with their event, and castforge's own) and prints what matters."""

    def __init__(self, log_path: Path, stream: TextIO | None = None, verbose: bool = False):
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self.file = log_path.open("a", encoding="utf-8")
        self.results: dict[str, dict[str, Any]] = {}     # asset -> {"status", "rows", "counts", "seconds"}
        self.started: dict[str, float] = {}
        self._progress_open = False
        self._piped_at: dict[str, float] = {}
        self.saved_stderr: int | None = None   # the terminal's stderr while native library output goes to the log
        self.check_steps: set[str] = set()   # steps that only evaluate an asset check: their verdict is the line

    # -- output ----------------------------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if self._progress_open:  # finish the progress bar's line first
            self.stream.write("\n")
            self._progress_open = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def record(self, record: logging.LogRecord) -> None:
        line = f"{datetime.fromtimestamp(record.created):%H:%M:%S} {record.levelname:<7} {record.name}: " \
               f"{record.getMessage()}"
        self.file.write(line + "\n")
        if record.exc_info:
            self.file.write(logging.Formatter().formatException(record.exc_info) + "\n")
        self.file.flush()
        if self.verbose and hasattr(record, "dagster_meta"):  # other records reach the screen through the root
            sys.stderr.write(line + "\n")
        if record.name == PROGRESS_LOGGER:
            self._progress(record)
            return
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        if event is not None:
            self._event(event)
        elif record.levelno >= logging.WARNING and not self.verbose and record.name.startswith(("castforge", "dagster")):
            meta = getattr(record, "dagster_meta", None) or {}
            message = str(meta.get("orig_message") or record.getMessage())
            self.say(f"  {meta.get('step_key') or '':<20} warning: {message.splitlines()[0][:200]}")

    def _progress(self, record: logging.LogRecord) -> None:
        asset, done, total, what = record.args if isinstance(record.args, tuple) else (None, 0, 0, "")
        elapsed = max(time.monotonic() - self.started.get(asset, time.monotonic()), 1e-6)
        rate = done / elapsed
        eta = f", ETA {round((total - done) / rate)} s" if rate > 0 and total else ""
        text = f"{done}/{total} {what} ({rate:.1f}/s{eta})"
        if self.tty:
            width = 24
            filled = int(width * done / total) if total else 0
            self.stream.write(f"\r  {asset:<20} [{'#' * filled}{'.' * (width - filled)}] {text}\033[K")
            self.stream.flush()
            self._progress_open = done < total
            if done >= total:
                self.stream.write("\n")
        elif done >= total or time.monotonic() - self._piped_at.get(asset, 0.0) >= PIPED_EVERY_S:
            self._piped_at[asset] = time.monotonic()   # piped: a plain line now and then, and the last one
            self.say(f"  {asset:<20} {text}")

    def _event(self, event: Any) -> None:
        kind = event.event_type_value
        asset = event.step_key or ""
        if kind == "STEP_START":
            self.started[asset] = time.monotonic()
            if asset not in self.check_steps:
                self.say(f"  {asset:<20} started")
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            asset = materialization.asset_key.to_user_string()
            metadata = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
            counts = {k: v for k, v in metadata.items()
                      if isinstance(v, int) and not isinstance(v, bool) and k not in NOT_COUNTS}
            note = metadata.get("note")   # why a step made what it made (e.g. a video with no audio track)
            self.results[asset] = {"status": "cached" if metadata.get("cached") else "done",
                                   "rows": metadata.get("rows"), "counts": counts,
                                   "note": note.strip() if isinstance(note, str) else ""}
        elif kind == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            severity = getattr(check.severity, "value", str(check.severity)).lower()
            # a check of WARN severity that does not pass is a warning, not a failure: the run goes on and its
            # results stand (session 36: `face_coverage FAILED (warn)` on every 2D film read as a failed run)
            verdict = ("passed" if check.passed else "warning (the run goes on)" if severity == "warn"
                       else f"FAILED ({severity})")
            values = ", ".join(f"{k} {getattr(v, 'value', v)}" for k, v in list(check.metadata.items())[:3])
            target = check.asset_key.to_user_string()
            self.say(f"  {target:<20} check {check.check_name} {verdict}" + (f": {values}" if values else ""))
        elif kind == "STEP_SUCCESS":
            result = self.results.get(asset)
            seconds = time.monotonic() - self.started.get(asset, time.monotonic())
            if result is None:  # a step that materialises nothing (an asset check): its verdict was said
                if asset not in self.check_steps:
                    self.say(f"  {asset:<20} done in {seconds:.1f} s")
            elif result["status"] == "cached":
                self.say(f"  {asset:<20} cached ({result['rows']} rows, inputs and parameters unchanged)")
            else:
                shown = ", ".join(f"{k} {v}" for k, v in list(result["counts"].items())[:MAX_COUNTS])
                self.say(f"  {asset:<20} done in {seconds:.1f} s: {result['rows']} rows"
                         + (f" ({shown})" if shown else "") + (f"; {result['note']}" if result["note"] else ""))
        elif kind == "STEP_FAILURE":
            error = event.step_failure_data.error
            cause = error.cause if error is not None and error.cause is not None else error
            said = (cause.message if cause is not None else "unknown error").strip()
            message = OWN_ERROR_MODULE.sub("", said).splitlines()
            self.results[asset] = {"status": "failed", "error": message[-1] if message else "",
                                   "first_line": message[0] if message else "unknown error"}
            self.say(f"  {asset:<20} FAILED: {message[-1] if message else ''}")
        elif kind == "STEP_SKIPPED":
            self.results[asset] = {"status": "skipped"}
            self.say(f"  {asset:<20} skipped (an upstream step failed)")

    def close(self) -> None:
        self.file.close()


class _ConsoleHandler(logging.Handler):
    def __init__(self, console: Console):
        super().__init__(logging.DEBUG)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.record(record)
        except Exception:  # the console must never fail a run
            self.handleError(record)


ACTIVE: list[Console] = []  # the console of the current in-process run (one at a time per process)


@logger(config_schema={"log_level": Field(str, is_required=False, default_value="DEBUG")},
        description="castforge's console: one line per step, progress, the rest to the run's log file")
def console_logger(init_context) -> logging.Logger:
    run_logger = logging.Logger("castforge.run", level=init_context.logger_config["log_level"])
    if ACTIVE:
        run_logger.addHandler(_ConsoleHandler(ACTIVE[-1]))
    return run_logger


def say_on_stderr(text: str) -> None:
    """``text`` on the terminal's stderr, also while a run's console sends the process's stderr to its log file."""
    saved = next((c.saved_stderr for c in reversed(ACTIVE) if c.saved_stderr is not None), None)
    if saved is None:
        print(text, file=sys.stderr, flush=True)
    else:
        os.write(saved, (text + "\n").encode())


def attach(console: Console) -> list[logging.Handler]:
    """Route castforge's progress records, Python warnings and library logging to ``console`` (file; -v echoes).
    Without -v, what native libraries write straight to the process's stderr (TFLite, ONNX Runtime, ffmpeg
    notices) goes to the log file as well."""
    ACTIVE.append(console)
    if not console.verbose:
        sys.stderr.flush()
        console.saved_stderr = os.dup(2)
        os.dup2(console.file.fileno(), 2)
    logging.captureWarnings(True)
    handler = _ConsoleHandler(console)
    progress = logging.getLogger(PROGRESS_LOGGER)
    progress.setLevel(logging.INFO)
    progress.propagate = False
    progress.addHandler(handler)
    root_handler = _ConsoleHandler(console)
    root_handler.setLevel(logging.INFO)
    logging.getLogger().addHandler(root_handler)
    return [handler, root_handler]


def detach(console: Console, handlers: list[logging.Handler]) -> None:
    if console.saved_stderr is not None:
        sys.stderr.flush()
        os.dup2(console.saved_stderr, 2)
        os.close(console.saved_stderr)
        console.saved_stderr = None
    logging.getLogger(PROGRESS_LOGGER).removeHandler(handlers[0])
    logging.getLogger().removeHandler(handlers[1])
    logging.captureWarnings(False)
    if console in ACTIVE:
        ACTIVE.remove(console)
    console.close()
