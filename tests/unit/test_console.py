"""The console of `castforge materialize` (one line per step, progress, log file) and user mistakes (exit 2, one
line, close matches, no traceback); a review marks its dependants stale in Dagster from the first decision."""

import io
import logging
from datetime import datetime

import pytest
from dagster import (AssetExecutionContext, AssetKey, DagsterInstance, Definitions, MaterializeResult,
                     define_asset_job)
from dagster import asset as dagster_asset

from orchestration.console import PROGRESS_LOGGER, Console, attach, console_logger, detach
from resources.catalog import Catalog


def _run_toy(console: Console, fail: bool = False, cached: bool = False):
    @dagster_asset
    def toy(context: AssetExecutionContext) -> MaterializeResult:
        logging.getLogger(PROGRESS_LOGGER).info("%s: %d/%d %s", "toy", 2, 2, "items counted")
        context.log.warning("a thing to know")
        context.log.debug("noise for the log file only")
        if fail:
            raise ValueError("the toy broke")
        return MaterializeResult(metadata={"cached": cached, "rows": 7, "kept": 5, "seconds": 1.5})

    defs = Definitions(assets=[toy], jobs=[define_asset_job("j")], loggers={"castforge_console": console_logger})
    handlers = attach(console)
    try:
        return defs.resolve_job_def("j").execute_in_process(
            instance=DagsterInstance.ephemeral(), raise_on_error=False,
            run_config={"loggers": {"castforge_console": {}}})
    finally:
        detach(console, handlers)


def test_one_line_per_step_with_counts_progress_and_the_rest_in_the_log_file(tmp_path):
    out = io.StringIO()
    console = Console(tmp_path / "run.log", stream=out)
    assert _run_toy(console).success
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["toy", "started"]
    assert "2/2 items counted" in lines[1]                   # piped: plain progress lines, no bar
    assert any("warning: a thing to know" in line for line in lines)
    done = [line for line in lines if "done in" in line]
    assert len(done) == 1 and "7 rows (kept 5)" in done[0]   # bookkeeping (seconds, cached) is not a count
    assert "STEP_START" not in out.getvalue() and "noise" not in out.getvalue()
    logged = (tmp_path / "run.log").read_text()
    assert "STEP_START" in logged and "noise for the log file only" in logged


def test_cached_and_failed_steps_say_so(tmp_path):
    out = io.StringIO()
    _run_toy(Console(tmp_path / "a.log", stream=out), cached=True)
    assert "toy                  cached (7 rows" in out.getvalue()
    out = io.StringIO()
    console = Console(tmp_path / "b.log", stream=out)
    assert not _run_toy(console, fail=True).success
    assert "toy                  FAILED: ValueError: the toy broke" in out.getvalue()
    assert console.results["toy"]["status"] == "failed"


@pytest.fixture
def ingested(castforge_home):
    Catalog(castforge_home).insert_rows("films", [{
        "film": "sintel_trailer", "source_path": "x.mp4", "content_hash": "c", "kind": "video",
        "ingested_at": datetime(2026, 11, 30)}])
    return castforge_home


@pytest.mark.parametrize("argv, message", [
    (["materialize", "sintel_trailr"], "film 'sintel_trailr' is not ingested; did you mean 'sintel_trailer'?"),
    (["materialize", "sintel_trailer", "--select", "identities"], "unknown asset 'identities'; did you mean"),
    (["materialize", "sintel_trailer", "--set", "frames.frames_per_shot=abc"],
     "frames.frames_per_shot='abc': Input should be a valid integer"),
    (["materialize", "sintel_trailer", "--set", "frames.jpeg_quality=high"], "frames.jpeg_quality='high'"),
    (["materialize", "sintel_trailer", "--select", "frames", "--set", "instances.margin=3"],
     "asset 'instances' is not in this run (--select frames)"),
    (["materialize", "sintel_trailer", "--set", "identities.min_cluster_sise=3"],
     "unknown key 'min_cluster_sise' (did you mean 'min_cluster_size'?)"),
    (["materialize", "sintel_trailer", "--set", "frames.mode=bogus"], "frames.mode must be one of"),
    (["materialize", "sintel_trailer", "--set", "frames"], "expected ASSET.PARAM=VALUE"),
    (["params", "identites"], "unknown asset 'identites'"),
])
def test_user_mistakes_exit_2_with_one_line_and_no_traceback(ingested, capsys, argv, message):
    from orchestration.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1, err


def test_set_accepts_old_section_names_and_every_parameter(ingested):
    from orchestration.cli import plan_run

    _, names, checked = plan_run("sintel_trailer", "identity_clusters",
                                 {"identities": {"min_cluster_size": 4}, "frames": {"jpeg_quality": 90}})
    assert checked == {"identity_clusters": {"min_cluster_size": 4}, "frames": {"jpeg_quality": 90}}
    assert names[0] == "frames" and names[-1] == "identity_clusters"   # graph order, missing ancestors included


def test_a_review_marks_its_dependants_stale_in_dagster_from_the_first_decision(ingested):
    from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
    from dagster._core.loader import LoadingContextForTest

    from assets.review.assets import review_decisions
    from orchestration.cli import observe_review
    from orchestration.cli_review import report_to_dagster
    from resources import review_state

    @dagster_asset(deps=[AssetKey("review_decisions")], partitions_def=review_decisions.partitions_def)
    def applies_review() -> None:
        return None

    instance = DagsterInstance.get()
    instance.add_dynamic_partitions("film", ["sintel_trailer"])
    from resources.store import StorageResource

    defs = Definitions(assets=[review_decisions, applies_review], resources={"storage": StorageResource()})
    observe_review(instance, "sintel_trailer")  # what materialize_film does before every run
    job = Definitions(assets=[review_decisions, applies_review], jobs=[define_asset_job("j", [applies_review])],
                      resources={"storage": StorageResource()})
    assert job.resolve_job_def("j").execute_in_process(instance=instance, partition_key="sintel_trailer").success

    def status():
        resolver = CachingStaleStatusResolver(instance, defs.resolve_asset_graph(), LoadingContextForTest(instance))
        return resolver.get_status(AssetKey("applies_review"), "sintel_trailer")

    assert status() == StaleStatus.FRESH
    review_state.record_decision(Catalog(ingested), "sintel_trailer", "discard", "instance-1", True)
    report_to_dagster("sintel_trailer", review_state.review_revision(Catalog(ingested), "sintel_trailer"))
    assert status() == StaleStatus.STALE   # the first decision already shows


@pytest.mark.parametrize("severity, verdict", [("WARN", "warning (the run goes on)"), ("ERROR", "FAILED (error)")])
def test_a_check_that_does_not_pass_reads_as_a_warning_or_a_failure_by_its_severity(tmp_path, severity, verdict):
    from dagster import AssetCheckResult, AssetCheckSeverity, asset_check

    @dagster_asset
    def toy() -> MaterializeResult:
        return MaterializeResult(metadata={"rows": 3})

    @asset_check(asset=toy, name="coverage", blocking=False)
    def toy_coverage() -> AssetCheckResult:
        return AssetCheckResult(passed=False, severity=getattr(AssetCheckSeverity, severity),
                                metadata={"no_face_ratio": 0.6})

    out = io.StringIO()
    console = Console(tmp_path / "run.log", stream=out)
    defs = Definitions(assets=[toy], asset_checks=[toy_coverage], jobs=[define_asset_job("j")],
                       loggers={"castforge_console": console_logger})
    handlers = attach(console)
    try:
        defs.resolve_job_def("j").execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False,
                                                     run_config={"loggers": {"castforge_console": {}}})
    finally:
        detach(console, handlers)
    lines = [line for line in out.getvalue().splitlines() if "check coverage" in line]
    assert lines == [f"  toy                  check coverage {verdict}: no_face_ratio 0.6"], out.getvalue()
