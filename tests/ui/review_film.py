"""The browser tests' film: the knn_examples/train photos (real faces of 5 people) taken through the real chain,
frames -> instances -> filtered_instances -> face_embeddings -> identity_clusters (~45 s here)."""

FILM = "knn_train"
CHAIN = ["instances", "filtered_instances", "face_embeddings", "identity_clusters"]
# 9 photos of 5 people: clusters of two photos are real identities here (the defaults expect a film's worth)
CLUSTER_CONFIG = {"ops": {"identity_clusters": {"config": {"min_cluster_size": 2, "min_samples": 1}}}}


def materialise(names: list[str], film: str = FILM, run_config: dict | None = None):
    from dagster import DagsterInstance, materialize

    from orchestration.definitions import build_definitions
    from orchestration.selection import keys

    defs = build_definitions()
    result = materialize(list(defs.assets), selection=keys(names), partition_key=film,
                         instance=DagsterInstance.get(), resources=defs.resources, raise_on_error=False,
                         run_config=run_config or {})
    assert result.success, [e.message for e in result.all_events if e.is_step_failure]
    return result


