"""Where castforge keeps things: CASTFORGE_HOME, the Dagster instance, model folders, config folders."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def castforge_home() -> Path:
    """``CASTFORGE_HOME``, by default ``.castforge/`` at the repository root."""
    return Path(os.environ.get("CASTFORGE_HOME") or REPO_ROOT / ".castforge").expanduser().resolve()


def dagster_home() -> Path:
    """``DAGSTER_HOME``, by default ``$CASTFORGE_HOME/dagster``."""
    return Path(os.environ.get("DAGSTER_HOME") or castforge_home() / "dagster").expanduser().resolve()


def model_dirs() -> list[Path]:
    """Folders searched for model weights: ``CASTFORGE_MODELS`` (``os.pathsep``-separated), then
    ``$CASTFORGE_HOME/models``."""
    raw = os.environ.get("CASTFORGE_MODELS", "")
    dirs = [Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip()]
    dirs.append(castforge_home() / "models")
    return dirs


def find_model(*relative_candidates: str) -> Path | None:
    """The first existing file or folder named by any candidate path under any model folder."""
    for base in model_dirs():
        for rel in relative_candidates:
            candidate = base / rel
            if candidate.exists():
                return candidate
    return None


def config_dirs() -> list[Path]:
    """Folders holding YAML configuration: the repository's ``configs/`` then ``$CASTFORGE_HOME/configs``
    (a user's own per-film files win over the shipped ones)."""
    return [REPO_ROOT / "configs", castforge_home() / "configs"]


def shared_dir() -> Path | None:
    """The shared media/model folder (``CASTFORGE_SHARED`` or ``../shared`` beside the repository), if present."""
    raw = os.environ.get("CASTFORGE_SHARED")
    candidate = Path(raw) if raw else REPO_ROOT.parent / "shared"
    return candidate.resolve() if candidate.is_dir() else None


DAGSTER_YAML_HEADER = "# Written by castforge."
DAGSTER_YAML = (
    DAGSTER_YAML_HEADER + " GPU assets share the 'gpu' pool: one model instance per run at a time.\n"
    "concurrency:\n  pools:\n    default_limit: 1\n"
    "# A run whose worker died is failed and its pool slots freed (runs launched by the webserver/daemon;\n"
    "# `castforge materialize` also fails dead runs of its own kind when it starts, see `castforge runs`).\n"
    "run_monitoring:\n  enabled: true\n  start_timeout_seconds: 180\n  cancel_timeout_seconds: 180\n"
    "  max_resume_run_attempts: 0\n  poll_interval_seconds: 60\n  free_slots_after_run_end_seconds: 30\n"
    "telemetry:\n  enabled: false\n"
)


def ensure_dagster_home() -> Path:
    """Point ``DAGSTER_HOME`` at castforge's default when unset, and give it castforge's dagster.yaml (a file
    castforge wrote earlier is brought up to date; one written by someone else is left alone)."""
    home = dagster_home()
    os.environ.setdefault("DAGSTER_HOME", str(home))
    home.mkdir(parents=True, exist_ok=True)
    dagster_yaml = home / "dagster.yaml"
    current = dagster_yaml.read_text() if dagster_yaml.exists() else None
    if current is None or (current.startswith(DAGSTER_YAML_HEADER) and current != DAGSTER_YAML):
        tmp = dagster_yaml.with_name(f".dagster.yaml.{os.getpid()}.tmp")
        tmp.write_text(DAGSTER_YAML)
        os.replace(tmp, dagster_yaml)
    return home
