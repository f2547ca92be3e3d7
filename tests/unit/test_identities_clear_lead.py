"""A faceless look under its identity's appearance floor that clearly belongs to it (issue 12, session 21:
``appearance_clear_lead``): Kenney's persons' back views join their own identity, nothing joins another character,
and a grid portrait's cut-out nearest portrait 9 (a portrait whose loose faces lead there by up to 0.25) stays out.
The rows are the ones the identity step saw on the Kenney and cc0 tune image sets, as the pipeline stored them
(`bench/anime_image_set.py build --characters kenney|cc0 --split tune`, materialised with `castforge materialize`):
MobileNet of each cut-out, its colours and silhouette, the face identities before faceless adoption, and the label
the set's truth gives (tests/data/kenney_tune_identity_rows.npz, cc0_tune_identity_rows.npz)."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from assets.identities.appearance import with_colours
from assets.identities.appearance_adoption import adopt_by_appearance
from assets.identities.core import IdentityParams, normalise

ROOT = Path(__file__).resolve().parents[2]


def anime() -> dict:
    return yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]


def adopted(data: str, clear_lead: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Faceless rows adopted with the anime preset (``appearance_clear_lead`` as given): name -> the character of
    the identity it joined (the label most of its face members carry); and the faceless rows' own labels."""
    stored = np.load(ROOT / "tests/data" / data)
    appearance = normalise(stored["appearance"].astype(np.float32))
    colours = stored["colour"].astype(np.float32)
    labels = stored["face_label"].copy()
    characters = [str(c) for c in stored["character"]]
    owner = {g: max(set(c for c, l in zip(characters, labels) if l == g),
                    key=lambda n: sum(c == n for c, l in zip(characters, labels) if l == g))
             for g in range(labels.max() + 1)}
    params = IdentityParams.from_dict({**anime(), "appearance_clear_lead": clear_lead})
    faceless = list(np.flatnonzero(stored["faceless"]))
    rows = with_colours(appearance, colours, params.appearance_colour_weight)
    adopt_by_appearance(labels, np.zeros(len(labels), np.float32), rows, [{}] * len(owner), params, faceless,
                         [appearance, colours])
    names = [f"{i}:{c}:{k}" for k, (i, c) in enumerate(zip(stored["image"], characters))]
    return ({names[k]: owner[labels[k]] for k in faceless if labels[k] >= 0},
            {names[k]: characters[k] for k in faceless})


def test_a_persons_back_view_joins_its_own_identity():
    joined, own = adopted("kenney_tune_identity_rows.npz", clear_lead=True)
    before, _ = adopted("kenney_tune_identity_rows.npz", clear_lead=False)
    backs = {n for n in joined if "_person_climb0" in n}
    assert {n.split(":")[1] for n in backs} == {"female_person", "male_person"}
    assert not any("_person_climb0" in n for n in before)                 # under their identities' floors
    assert set(joined) - set(before) == backs
    for name, character in joined.items():                                 # nothing joins another character
        assert own[name] in ("", character), (name, character)
    assert not any(own[n] == "robot" for n in joined)                      # the robot has no identity


def test_a_portrait_nearest_an_identity_its_lookalikes_crowd_stays_out():
    joined, own = adopted("cc0_tune_identity_rows.npz", clear_lead=True)
    before, _ = adopted("cc0_tune_identity_rows.npz", clear_lead=False)
    assert joined == before                                                # the cc0 tune set: no change
    portraits = [n for n, c in own.items() if c.startswith("portrait") and c != "portrait_9"]
    assert portraits and not any(n in joined for n in portraits)


def test_the_option_is_off_by_default_and_on_in_the_anime_preset():
    assert IdentityParams().appearance_clear_lead is False and IdentityParams.from_dict(anime()).appearance_clear_lead
