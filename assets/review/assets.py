from dagster import (AssetKey, AssetObservation, DagsterInstance, DataVersion, DataVersionsByPartition, MetadataValue,
                     observable_source_asset)

from assets.review.core import data_version, data_version_tags
from resources.partitions import film_partitions
from resources import review_state
from resources.store import StorageResource


@observable_source_asset(partitions_def=film_partitions, group_name="review")
def review_decisions(context, storage: StorageResource) -> DataVersionsByPartition:
    """Review decisions per film (catalog table `decisions`); data version = the film's review revision.

    Assets that apply the review list it in ``deps`` and so show as stale once a review changes. `castforge review`
    reports a new observation on every change; observing this asset (Dagster UI: "Observe sources") does the same.
    """
    catalog = storage.catalog()
    films = catalog.films()["film"].to_list()
    known = set(context.instance.get_dynamic_partitions(film_partitions.name))
    versions = {film: DataVersion(data_version(review_state.review_revision(catalog, film)))
                for film in films if film in known}
    context.log.info(f"review revisions: {versions}; review UI: {review_state.review_url()}")
    context.add_output_metadata({"review_ui": MetadataValue.url(review_state.review_url())})
    return DataVersionsByPartition(versions)


def observe_review_revision(instance: DagsterInstance, film: str, revision: int) -> None:
    """Record the film's review revision as an observation of `review_decisions`. Done before a film's runs (its
    ingest, `castforge materialize`), the assets that apply the review record which revision they used, so the
    asset graph shows them stale from the first decision on (not only from the second)."""
    instance.report_runless_asset_event(AssetObservation(
        asset_key=AssetKey("review_decisions"), partition=film, tags=data_version_tags(revision),
        metadata={"review_revision": revision}))
