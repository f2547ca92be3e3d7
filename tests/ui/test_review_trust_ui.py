"""In Chromium: the review shows its effect. Instance cards carry their identity and track, an item opens large with
its key frame, arrow keys move in four directions, "?" lists the keys; after a re-run, changes to a reviewed
identity are listed and accepted or undone, and decisions not yet in the dataset are named; undo says what it undid;
the "same character?" queue answers with one key."""

import polars as pl
import pytest

from resources import review_state as rs
from resources.catalog import Catalog
from resources.storage import FilmWorkspace

from review_film import CLUSTER_CONFIG, FILM, materialise
from test_review_ui import _screenshot

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def test_cards_large_view_keys_and_help(review_home, review_server, browser):
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(f"{review_server}/films/{FILM}/instances")
    page.wait_for_selector("figure.item")
    ii = FilmWorkspace(FILM, review_home).read_table("instance_identities")
    first = page.locator("figure.item").first
    expected = ii.filter(pl.col("instance_id") == first.get_attribute("data-id"))
    who = first.locator(".who").text_content()
    assert expected["identity"][0] in who and expected["track_id"][0] in who      # identity and track on the card
    options = page.locator("#identity-filter option")
    assert options.count() == 1 + ii.filter(pl.col("identity") != "noise")["identity"].n_unique() + (
        1 if (ii["identity"] == "noise").any() else 0)
    # four directions: right, then down a row and back up
    page.keyboard.press("ArrowRight")
    assert page.locator("figure.item.focus").get_attribute("data-index") == "1"
    per_row = page.evaluate("""() => { const c = [...document.querySelectorAll('figure.item')];
                                       return c.filter(n => n.offsetTop === c[0].offsetTop).length; }""")
    page.keyboard.press("ArrowDown")
    assert page.locator("figure.item.focus").get_attribute("data-index") == str(min(1 + per_row, ii.height - 1))
    page.keyboard.press("ArrowUp")
    assert page.locator("figure.item.focus").get_attribute("data-index") == "1"
    # open large: the cut-out and its key frame with the instance's box
    page.keyboard.press("o")
    page.wait_for_selector("dialog#large[open] .frame-box img")
    page.wait_for_selector("dialog#large[open] .frame-box .box", state="attached")
    assert "key frame" in page.locator("dialog#large").text_content()
    _screenshot(page, "instance_large")
    page.keyboard.press("Escape")
    assert page.locator("dialog#large[open]").count() == 0
    page.keyboard.press("?")
    assert page.locator("dialog#keys-help[open]").count() == 1
    assert "open large" in page.locator("dialog#keys-help").text_content()
    page.keyboard.press("Escape")
    # filter by identity
    page.select_option("#identity-filter", index=1)
    chosen = page.locator("#identity-filter").input_value()
    assert page.locator("figure.item").count() == ii.filter(pl.col("identity") == chosen).height


def test_changes_after_a_re_run_are_listed_and_handled(review_home, review_server, browser):
    catalog = Catalog(review_home)
    workspace = FilmWorkspace(FILM, review_home)
    ii = workspace.read_table("instance_identities")
    biggest = ii.filter(pl.col("identity") != "noise").group_by("identity").len().sort("len")["identity"][-1]
    members = ii.filter(pl.col("identity") == biggest)["instance_id"].to_list()
    rs.record_decision(catalog, FILM, "rename", biggest, "Lead")
    # a re-run with other settings; then what it changed is made explicit by moving one of the lead's items out
    # of her identity behind the review's back (as a re-run with different settings would)
    materialise(["identity_clusters"], run_config=CLUSTER_CONFIG)
    rerun = workspace.read_table("instance_identities")
    moved = members[0]
    rerun = rerun.with_columns(  # both the reviewed and the automatic identity (the view re-applies the review)
        pl.when(pl.col("instance_id") == moved).then(pl.lit("noise")).otherwise(pl.col(c)).alias(c)
        for c in ("identity", "auto_identity") if c in rerun.columns)
    workspace.write_table("instance_identities", rerun)
    workspace.write_table("identity_changes", pl.DataFrame({
        "instance_id": [moved], "from_identity": [biggest], "to_identity": ["noise"], "revision": [1],
        "run_id": ["test"], "why": ["re-run placed it by face"]}))
    rs.record_decision(catalog, FILM, "keep", members[-1], None)     # made after the run: not in the dataset yet
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{review_server}/films/{FILM}/identities")
    page.wait_for_selector("#effects h2")
    # the lead's track strip: a click selects every item of that track
    lead = page.locator(f"section.identity[data-identity='{biggest}']")
    first_track = lead.locator("button.track").first
    track_id = first_track.get_attribute("data-track")
    first_track.click()
    in_track = rerun.filter(pl.col("track_id") == track_id, pl.col("identity") == biggest).height
    assert page.locator("#selection-count").text_content() == f"{in_track} selected"
    page.click("#clear-selection")
    effects = page.locator("#effects").text_content()
    assert "Since your last review: 1 item(s) moved" in effects and "Lead → noise" in effects
    assert "not in the dataset yet" in effects and "identity_clusters" in effects
    _screenshot(page, "identities_changes")
    page.click("#effects button.undo-change")
    page.wait_for_selector("#effects li.change:has-text('undone')")
    moves = rs.identity_review(catalog, FILM).moves
    assert (moved, "noise", biggest) in moves                         # the undo is a move back: pinned
    page.keyboard.press("Control+z")
    page.wait_for_function("document.getElementById('status').textContent.includes('took back move')")
    page.wait_for_selector("#effects button.accept")
    page.click("#effects button.accept")
    page.wait_for_function("!document.querySelector('#effects li.change')")
    assert (moved, "noise") in rs.identity_review(catalog, FILM).accepted
