"""Per-item reuse inside a stage that runs again: an item whose inputs did not change keeps its last result.

A stage is cached or recomputed as a whole (resources/lineage.py): one discarded cut-out changes the content of
``filtered_instances`` and so the input key of every stage that reads it. A stage whose items are independent (the faces of one key
frame, the pose of one cut-out) names each item's inputs here: the item's key hashes the stage's code version and
effective parameters and backends (``StageRun.config_hash``: a settings change recomputes every item) with the
item's own content (file bytes, boxes, never a time stamp). The keys go into the stage record (``item_keys``); the
next run of the stage takes the last run's rows of an item whose key is unchanged and computes only the others, so
its tables equal a full recompute's. No Dagster.
"""

from typing import Any

from resources.lineage import StageRun, file_digest, stable_hash  # file_digest: an item's file contents
from resources.storage import FilmWorkspace

ITEM_KEYS = "item_keys"      # stage record field: item id -> key of what the item's rows were made from
ITEM_SCOPE = "item_scope"    # stage record field: asset, code version and parameters the keys were made under


class ItemReuse:
    """The last run's item keys of ``stage`` (read before the stage commits); ``key`` records this run's key of an
    item and ``reusable`` says whether the last run made the item from the same inputs. ``record()`` goes into
    ``stage.commit(..., **reuse.record())``."""

    def __init__(self, workspace: FilmWorkspace, stage: StageRun):
        self.scope = stable_hash([stage.asset, stage.code_version, stage.config_hash])
        record = workspace.read_stage_record(stage.asset) or {}
        same_scope = record.get(ITEM_SCOPE) == self.scope and workspace.has_table(stage.asset)
        self.previous: dict[str, str] = dict(record.get(ITEM_KEYS) or {}) if same_scope else {}
        self.keys: dict[str, str] = {}

    def key(self, item: str, *inputs: Any) -> str:
        """Records and returns the key of ``item`` made from ``inputs`` (JSON-able values; file contents as
        :func:`file_digest`)."""
        self.keys[item] = stable_hash([self.scope, inputs])
        return self.keys[item]

    def reusable(self, item: str) -> bool:
        """Whether the last run made ``item`` from the inputs its key (``key``, called first) names."""
        return item in self.keys and self.previous.get(item) == self.keys[item]

    def record(self) -> dict[str, Any]:
        return {ITEM_SCOPE: self.scope, ITEM_KEYS: dict(sorted(self.keys.items()))}
