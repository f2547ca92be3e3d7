"""In Chromium, the whole round trip: a person keeps, moves, splits, merges and renames; then the re-run the UI
offers (its `castforge materialize ...` line, run as shown) puts every decision into the catalog, the identity
folders, the reference sets and the export, and the UI no longer lists anything as not in the dataset."""

import re
import shlex
from collections import Counter

import polars as pl
import pytest
import yaml

from resources import review_state as rs
from resources.catalog import Catalog
from resources.storage import FilmWorkspace

from review_film import CLUSTER_CONFIG, FILM
from test_review_ui import _saved, _source_of

pytestmark = [pytest.mark.ui, pytest.mark.slow]

DATASET = ["identity_references", "character_datasets"]  # what the film has built from its identities


def _castforge(command: str) -> int:
    """Runs a `castforge ...` command line in this process (the test's home and Dagster instance)."""
    from orchestration.cli import main

    words = shlex.split(command)
    assert words[0] == "castforge", command
    return main(words[1:])


@pytest.mark.timeout(900)
def test_every_decision_reaches_the_dataset_after_the_offered_re_run(review_home, review_server, browser):
    catalog = Catalog(review_home)
    workspace = FilmWorkspace(FILM, review_home)
    # each person's identity as the fixture's clustering made it (two photos of a person make one), its items
    person = _source_of(review_home)
    placed = dict(workspace.read_table("instance_identities").select("instance_id", "identity").iter_rows())
    who = {name: Counter(placed.get(i) for i, p in person.items() if p == name and placed.get(i) not in (None, "noise"))
           for name in set(person.values())}
    kit, obama, biden, rose = (who[n].most_common(1)[0][0] for n in ("kit_harington", "obama", "biden", "rose_leslie"))
    assert len({kit, obama, biden, rose}) == 4, "the fixture's clustering finds the four people with two photos"
    members = {k: sorted(i for i, identity in placed.items() if identity == k) for k in (kit, obama, biden, rose)}
    alex = next(i for i, p in person.items() if p == "alex_lacamoire" and i in placed)  # one photo: no identity
    # the film's own settings, as a user keeps them: the clustering the fixture ran (two photos make a person)
    films = review_home / "configs" / "films"
    films.mkdir(parents=True)
    (films / f"{FILM}.yaml").write_text(yaml.safe_dump({"identity_clusters": CLUSTER_CONFIG["ops"][
        "identity_clusters"]["config"]}))
    assert _castforge(f"castforge materialize {FILM} --select {','.join(DATASET)}") == 0  # the export before review

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    # keep: alex (one photo, no identity of his own) is kept with the K key on the instance grid
    page.goto(f"{review_server}/films/{FILM}/instances")
    page.wait_for_selector("#grid .item img")
    index = page.locator(f"#grid .item[data-id='{alex}']").get_attribute("data-index")
    page.evaluate(f"setFocus({index})")
    page.keyboard.press("k")
    _saved(page, 1)

    page.goto(f"{review_server}/films/{FILM}/identities")
    page.wait_for_selector("section.identity")
    # move: one photo of Rose into Kit's identity
    moved = members[rose][-1]
    page.locator(f"figure.member[data-id='{moved}']").click()
    page.select_option("#move-target", kit)
    page.click("#move")
    _saved(page, 2)
    # split: Obama's second photo becomes an identity of its own, named when asked
    split_out = members[obama][-1]
    page.locator(f"figure.member[data-id='{split_out}']").click()
    page.once("dialog", lambda dialog: dialog.accept("obama 2012"))
    page.click("#split")
    _saved(page, 4)  # the split (3) and its name (4)
    split = page.locator(f"section.identity:has(figure.member[data-id='{split_out}'])").get_attribute("data-identity")
    assert split not in (kit, obama, biden, rose)
    # merge: Biden's identity into Obama's
    section = page.locator(f"section.identity[data-identity='{biden}']")
    section.locator("select.merge-target").select_option(obama)
    section.locator("button.merge").click()
    _saved(page, 5)
    # rename: Obama's and Kit's identities
    for identity, name, revision in ((obama, "Barack Obama", 6), (kit, "kit_harington", 7)):
        page.locator(f"section.identity[data-identity='{identity}'] input.name").fill(name)
        page.locator(f"section.identity[data-identity='{identity}'] input.name").press("Enter")
        _saved(page, revision)

    # the UI says the decisions are not in the dataset yet and offers the command that puts them there
    pending = page.locator("#effects p.pending")
    assert "7 decision(s) are not in the dataset yet" in pending.text_content()
    command = pending.locator("code").text_content()
    assert command.startswith(f"castforge materialize {FILM} --select ")
    assert set(command.split("--select ")[1].split(",")) == set(DATASET)
    assert _castforge(command) == 0

    names = {obama: "Barack Obama", kit: "kit_harington", split: "obama 2012"}
    # the catalog (DuckDB views over the film's tables)
    identity = dict(catalog.query("SELECT instance_id, identity FROM instance_identities").iter_rows())
    assert identity[moved] == kit and identity[split_out] == split
    assert {identity[i] for i in members[biden]} == {obama}
    assert identity[alex] not in ("noise", None)                                  # kept: never silently noise
    shown = dict(catalog.query("SELECT identity, name FROM identities").iter_rows())
    assert {k: shown.get(k) for k in names} == names and biden not in shown
    filtered = catalog.query("SELECT instance_id, kept, decided_by FROM filtered_instances").filter(
        pl.col("instance_id") == alex)
    assert filtered.row(0) == (alex, True, "review")
    assert rs.review_revision(catalog, FILM) == 7
    # the identity folders: one per identity id, the cut-outs where the review put them
    folders = workspace.artefact_dir("identities")
    assert (folders / kit / f"{moved}.png").exists() and (folders / split / f"{split_out}.png").exists()
    assert {p.name for p in (folders / obama).glob("*.png")} >= {f"{i}.png" for i in members[biden]}
    assert not (folders / biden).exists() and (folders / identity[alex] / f"{alex}.png").exists()
    # the reference sets: one folder per identity, named as the export names it (the reviewed name, slugged)
    references = workspace.read_table("reference_images")
    by_identity = {k: set(g["name"]) for (k,), g in references.group_by("identity")}
    assert {k: by_identity.get(k) for k in names} == {k: {v} for k, v in names.items()}
    assert biden not in by_identity
    root = workspace.artefact_dir("references")
    assert {"barack_obama", "kit_harington", "obama_2012"} <= {p.name for p in root.iterdir() if p.is_dir()}
    assert all(p.startswith(f"films/{FILM}/references/barack_obama/")
               for p in references.filter(pl.col("identity") == obama)["path"])
    # the export: trigger words and folders from the names, every reviewed item where the review put it
    items = workspace.read_table("dataset_items")
    trigger = {row["instance_id"]: (row["identity"], row["trigger"], row["label"])
               for row in items.iter_rows(named=True)}
    assert trigger[moved] == (kit, "kit_harington", "kit_harington")
    assert trigger[split_out] == (split, "obama 2012", "obama_2012")
    assert {trigger[i] for i in members[biden] + members[obama][:-1]} == {(obama, "Barack Obama", "barack_obama")}
    assert alex in trigger                                                         # kept: in the dataset
    for instance_id, path in zip(items["instance_id"], items["image_path"]):     # kohya folders: <repeats>_<label>
        assert (review_home / path).exists() and re.search(f"/datasets/kohya/[0-9]+_{trigger[instance_id][2]}/", path)

    # and the review UI: nothing pending, the names shown
    page.goto(f"{review_server}/films/{FILM}/identities")
    page.wait_for_selector("section.identity")
    assert page.locator("#effects p.pending").count() == 0
    assert page.locator(f"section.identity[data-identity='{obama}'] input.name").input_value() == "Barack Obama"
