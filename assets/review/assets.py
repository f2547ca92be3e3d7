from dagster import DataVersion, DataVersionsByPartition, MetadataValue, observable_source_asset

from assets.review.core import data_version
from orchestration.partitions import film_partitions
from resources import review_state
from resources.store import StorageResource


@observable_source_asset(partitions_def=film_partitions, group_name="review",
                         description="Review decisions per film (catalog table `decisions`); the data version is "
                                     "the film's review revision, so stages that apply the review show as stale.")
def review_decisions(context, storage: StorageResource) -> DataVersionsByPartition:
    """Review decisions per film; the data version is the film's review revision."""
    catalog = storage.catalog()
    films = catalog.films()["film"].to_list()
    known = set(context.instance.get_dynamic_partitions(film_partitions.name))
    versions = {film: DataVersion(data_version(review_state.review_revision(catalog, film)))
                for film in films if film in known}
    context.log.info(f"review revisions: {versions}; review UI: {review_state.review_url()}")
    context.add_output_metadata({"review_ui": MetadataValue.url(review_state.review_url())})
    return DataVersionsByPartition(versions)
