"""The caption prefix says what the style measure can tell about a film, and a user's own prefix wins. Session 36
(h14): Penny & Chip, a western cartoon, was captioned `anime style, 2d animation, cel shading` because `preset: auto`
measured it drawn and the anime preset's prefix claimed anime; the measure tells drawn from rendered, not anime from
a western cartoon, so the drawn prefix is `2d animation, cel shading` (session 38, h27)."""

import json
from pathlib import Path

import yaml

PC = "media/video/2d/penny_and_chip_26shots_480p.mp4"
SINTEL = "media/video/sintel_trailer_480x204.mp4"


def test_a_measured_film_gets_a_prefix_that_claims_only_the_measured_style(castforge_home: Path, shared: Path):
    from resources.catalog import Catalog
    from resources.film_settings import stage_params
    from resources.ingest import ingest_source
    from resources.style import style_record_path

    catalog = Catalog(castforge_home)
    ingest_source(catalog, shared / PC, "pc")
    ingest_source(catalog, shared / SINTEL, "sintel")
    drawn, rendered = stage_params("pc", "captions")["prefix"], stage_params("sintel", "captions")["prefix"]
    assert json.loads(style_record_path("pc").read_text())["preset"] == "anime"
    assert json.loads(style_record_path("sintel").read_text())["preset"] == "3d"
    assert drawn == "2d animation, cel shading"          # was "anime style, 2d animation, cel shading"
    assert rendered == "a 3d animated character, smooth shading"   # was "..., pixar style, ..." on a Blender film
    for prefix in (drawn, rendered):
        assert not {"anime", "pixar", "disney"} & set(prefix.replace(",", " ").split())

    # the user's own prefix wins over the measured preset's: the film's config, then a run's --set over both
    films = castforge_home / "configs/films"
    films.mkdir(parents=True)
    (films / "pc.yaml").write_text(yaml.safe_dump({"captions": {"prefix": "anime style, 2d animation, cel shading"}}))
    assert stage_params("pc", "captions")["prefix"] == "anime style, 2d animation, cel shading"
    assert stage_params("pc", "captions", {"prefix": "western cartoon, 2d animation"})["prefix"] == (
        "western cartoon, 2d animation")
    # an explicit preset with the film's own prefix: still the film's
    (films / "pc.yaml").write_text(yaml.safe_dump({"preset": "3d", "captions": {"prefix": "my film"}}))
    assert stage_params("pc", "captions")["prefix"] == "my film"
