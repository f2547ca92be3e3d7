"""The `film_pipeline` job the drop-folder sensor launches: every asset for one film."""

from dagster import AssetSelection, define_asset_job

from resources.partitions import film_partitions

film_pipeline_job = define_asset_job(
    "film_pipeline",
    selection=AssetSelection.all(),
    partitions_def=film_partitions,
    description="Every asset for one film (what the drop-folder sensor launches).",
)
