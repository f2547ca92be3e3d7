"""`review_decisions`: an observable source asset whose data version per film is the film's review revision."""

from datetime import datetime

from dagster import AssetKey, DagsterInstance
from dagster._core.definitions.observe import observe  # not exported at the top level in dagster 1.13

from assets.review.assets import review_decisions
from assets.review.core import data_version
from resources import review_state as rs
from resources.catalog import Catalog
from resources.store import StorageResource


def _versions(instance) -> dict[str, str]:
    records = instance.fetch_observations(AssetKey("review_decisions"), limit=20).records
    latest: dict[str, str] = {}
    for record in reversed(records):  # newest last
        latest[record.partition_key] = record.asset_observation.tags["dagster/data_version"]
    return latest


def test_observation_versions_follow_the_review_revision(castforge_home):
    catalog = Catalog(castforge_home)
    for film in ("film_a", "film_b"):
        catalog.insert_rows("films", [{"film": film, "source_path": "/x", "content_hash": film, "kind": "images",
                                       "ingested_at": datetime(2026, 1, 1)}])
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("film", ["film_a", "film_b"])
    resources = {"storage": StorageResource(home=str(castforge_home))}
    assert observe([review_decisions], instance=instance, resources=resources).success
    assert _versions(instance) == {"film_a": "review-r0", "film_b": "review-r0"}
    rs.record_decision(catalog, "film_a", "keep", "i1", None)
    rs.record_decision(catalog, "film_a", "rename", "identity_000", "hero")
    assert observe([review_decisions], instance=instance, resources=resources).success
    assert _versions(instance) == {"film_a": data_version(2), "film_b": "review-r0"}


def test_the_cli_reports_a_runless_observation(castforge_home):
    from orchestration.cli_review import report_to_dagster

    instance = DagsterInstance.get()
    instance.add_dynamic_partitions("film", ["film_a"])
    report_to_dagster("film_a", 5)
    assert _versions(instance) == {"film_a": "review-r5"}


def test_an_asset_that_depends_on_the_review_goes_stale_when_the_review_changes(castforge_home):
    from dagster import Definitions, MaterializeResult, asset, materialize
    from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
    from dagster._core.loader import LoadingContextForTest

    from orchestration.cli_review import report_to_dagster
    from orchestration.partitions import film_partitions

    @asset(partitions_def=film_partitions, deps=[review_decisions])
    def reviewed_names() -> MaterializeResult:
        return MaterializeResult()

    instance = DagsterInstance.get()
    instance.add_dynamic_partitions("film", ["film_a"])
    report_to_dagster("film_a", 0)
    assert materialize([review_decisions, reviewed_names], selection=[reviewed_names], partition_key="film_a",
                       instance=instance, resources={"storage": StorageResource()}).success
    graph = Definitions(assets=[review_decisions, reviewed_names],
                        resources={"storage": StorageResource()}).resolve_asset_graph()

    def status() -> StaleStatus:  # what the asset graph in the Dagster UI shows
        resolver = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance))
        return resolver.get_status(AssetKey("reviewed_names"), "film_a")

    assert status() == StaleStatus.FRESH
    report_to_dagster("film_a", 1)
    assert status() == StaleStatus.STALE
