"""The ``storage`` resource: where films live (CASTFORGE_HOME) and the catalog beside them."""

from pathlib import Path

from dagster import ConfigurableResource

from resources.catalog import Catalog
from resources.paths import castforge_home
from resources.storage import FilmWorkspace


class StorageResource(ConfigurableResource):
    """Film workspaces and the DuckDB catalog under ``home`` (default: CASTFORGE_HOME)."""

    home: str | None = None

    def home_path(self) -> Path:
        return Path(self.home).expanduser().resolve() if self.home else castforge_home()

    def workspace(self, film: str) -> FilmWorkspace:
        return FilmWorkspace(film, self.home_path())

    def catalog(self) -> Catalog:
        return Catalog(self.home_path())


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    return {"storage": StorageResource()}
