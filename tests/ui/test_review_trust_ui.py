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
    per_row = page.evaluate("""() => { const c = [...document.querySelectorAll('figure.item')];  // placed by transforms
                                       const top = n => n.getBoundingClientRect().top;
                                       return c.filter(n => top(n) === top(c[0])).length; }""")
    assert per_row == page.evaluate("vgrid.columns")
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


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector`` (keyboard only, as a person would)."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_queue_and_changes_list_with_the_keyboard_only(review_home, review_server, browser):
    import httpx

    catalog = Catalog(review_home)
    workspace = FilmWorkspace(FILM, review_home)
    ii = workspace.read_table("instance_identities")
    sizes = ii.filter(pl.col("identity") != "noise").group_by("identity").len().sort("identity")
    pairs = [ii.filter(pl.col("identity") == i)["instance_id"].sort().to_list() for i in sizes["identity"][:2]]
    api = f"{review_server}/api/films/{FILM}"
    # two identities each lose one photo to an identity of its own: two "same character?" pairs (same faces)
    for revision, (identity, members) in enumerate(zip(sizes["identity"][:2], pairs)):
        assert httpx.post(f"{api}/decisions", json={"expected_revision": revision, "decisions": [
            {"kind": "split", "item_id": identity, "to_value": "new", "payload": {"instance_ids": members[-1:]}}]}
        ).status_code == 200
    # and a re-run moved two items of a reviewed identity: two changes to answer
    workspace.write_table("identity_changes", pl.DataFrame({
        "instance_id": [pairs[0][0], pairs[1][0]], "from_identity": ["noise", "noise"],
        "to_identity": list(sizes["identity"][:2]), "revision": [2, 2], "run_id": ["test"] * 2,
        "why": ["re-run placed it by face"] * 2}))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{review_server}/films/{FILM}/identities")
    page.wait_for_selector("#suggestions .suggestion.current")
    queue = page.evaluate("view.queue.map(s => [s.a, s.b].sort().join('|'))")
    assert len(queue) >= 2

    # the changes list: Tab to the first Accept, Enter; the focus goes on to the next change's Accept
    _tab_to(page, "#effects li.change button.accept")
    first = page.evaluate("document.activeElement.closest('li').dataset.id")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-revision='3']", state="attached")
    page.wait_for_function(f"document.activeElement.matches('#effects li.change button.accept') && "
                           f"document.activeElement.closest('li').dataset.id !== '{first}'")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-revision='4']", state="attached")
    assert page.locator("#effects li.change").count() == 0
    assert {i for i, _ in rs.identity_review(catalog, FILM).accepted} == {pairs[0][0], pairs[1][0]}

    # the queue: Y merges the marked pair, once, even when pressed twice while it is saved; N drops the next
    marked = page.locator("#suggestions .suggestion.current")
    merged = sorted([marked.get_attribute("data-a"), marked.get_attribute("data-b")])
    page.keyboard.press("y")
    page.keyboard.press("y")
    page.wait_for_selector("[data-revision='5']", state="attached")
    page.wait_for_timeout(500)
    assert rs.review_revision(catalog, FILM) == 5
    review = rs.identity_review(catalog, FILM)
    assert [sorted(m) for m in review.merges] == [merged]
    after = page.evaluate("view.queue.map(s => [s.a, s.b].sort().join('|'))")
    assert "|".join(merged) not in after and len(after) >= 1
    page.keyboard.press("n")
    page.wait_for_function(f"view.queue.length === {len(after) - 1}")
    assert rs.review_revision(catalog, FILM) == 5                       # "not the same" records no decision

    # an item selected with the keyboard: Tab to it, Space
    _tab_to(page, "figure.member")
    page.keyboard.press("Space")
    assert page.locator("#selection-count").text_content() == "1 selected"
    assert page.locator("figure.member.selected").count() == 1
    page.keyboard.press("Enter")
    assert page.locator("#selection-count").text_content() == ""
