"""The `film` partitions: one dynamic partition per ingested film (shared by assets, sensors and orchestration)."""

from dagster import DynamicPartitionsDefinition

film_partitions = DynamicPartitionsDefinition(name="film")
