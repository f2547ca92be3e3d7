"""A folder of episodes is a series (resources/series.py): each video in it a film, keyed without release tags or
the series' own name, each naming the series as its identities' franchise in the home's configs/films/, so the
episodes share identities. An episode that cannot be used is refused with its reason and the others go on. Before,
such a folder was probed as an image folder and refused ("holds no images"). Made here with ffmpeg from Penny & Chip."""

from pathlib import Path

import pytest

from resources.catalog import Catalog
from resources.errors import CastforgeError
from resources.film_settings import film_settings
from resources.series import episode_film, ingest_series, is_series
from tests.made_media import PENNY_AND_CHIP, needs_ffmpeg, run_ffmpeg

pytestmark = needs_ffmpeg


@pytest.mark.parametrize("name, film", [
    ("Season 1/[Fans] Penny Show - 01.mp4", "penny_show_season_1_01"),
    ("[SubsPlease] Penny Show - 12 (1080p) [ABCD1234].mkv", "penny_show_12"),
    ("ep03.mkv", "penny_show_ep03"),
    ("[Group].mkv", "penny_show_group"),
])
def test_an_episode_s_film_key(name, film):
    folder = Path("/films/Penny Show")
    assert episode_film("penny_show", folder, folder / name) == film


@pytest.fixture
def series(shared, tmp_path) -> Path:
    folder = tmp_path / "Penny Show"
    (folder / "Season 1").mkdir(parents=True)
    for k, start in ((1, "0"), (2, "60")):
        run_ffmpeg("-ss", start, "-t", "20", "-i", str(shared / PENNY_AND_CHIP), "-c", "copy",
                   str(folder / "Season 1" / f"[Fans] Penny Show - {k:02d}.mp4"))
    whole = (folder / "Season 1" / "[Fans] Penny Show - 02.mp4").read_bytes()
    (folder / "Season 1" / "[Fans] Penny Show - 03.mp4").write_bytes(whole[:20000])  # a half-copied episode
    (folder / "notes.txt").write_text("not an episode")
    run_ffmpeg("-ss", "5", "-i", str(shared / PENNY_AND_CHIP), "-frames:v", "1", str(folder / "poster.jpg"))
    return folder


def test_a_folder_of_episodes_is_a_series_of_films_sharing_identities(series, castforge_home):
    assert is_series(series) and not is_series(series / "notes.txt")
    catalog = Catalog(castforge_home)
    outcome = ingest_series(catalog, series)
    assert outcome.films == outcome.created == ["penny_show_season_1_01", "penny_show_season_1_02"]
    assert [(e.name, why[:12]) for e, why in outcome.refused] == [("[Fans] Penny Show - 03.mp4", "is truncated")]
    assert "2 episode(s) (2 new)" in outcome.message and "refused: Season 1/[Fans] Penny Show - 03.mp4" in outcome.message
    assert outcome.message.endswith("; 1 image(s) beside the episodes left out (ingest their folder on its own)")
    for film in outcome.films:
        assert catalog.film(film)["kind"] == "video"
        assert film_settings(film)["identity_clusters"]["franchise"] == "penny_show"
    again = ingest_series(catalog, series)
    assert again.films == outcome.films and again.created == []


def test_a_user_s_own_settings_for_an_episode_are_kept(series, castforge_home):
    mine = castforge_home / "configs" / "films" / "penny_show_season_1_01.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text("preset: anime\n")
    ingest_series(Catalog(castforge_home), series)
    assert mine.read_text() == "preset: anime\n"


def test_a_series_with_no_usable_episode_says_why(series, castforge_home):
    for episode in (series / "Season 1").glob("*0[12].mp4"):
        episode.unlink()
    with pytest.raises(CastforgeError, match="no episode of the series could be ingested: .*03.mp4: is truncated"):
        ingest_series(Catalog(castforge_home), series)
