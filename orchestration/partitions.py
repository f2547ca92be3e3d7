from dagster import DynamicPartitionsDefinition

film_partitions = DynamicPartitionsDefinition(name="film")
