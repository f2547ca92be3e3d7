"""A person reviews a film in Chromium: keys on the instance grid, rename / split / merge / move / undo on the
identities view, a stale second tab; then the catalog, the Dagster observation and a re-materialised
`identity_clusters` show the review."""

import os
from pathlib import Path

import polars as pl
import pytest
from dagster import AssetKey, DagsterInstance

from resources import review_state as rs
from resources.catalog import Catalog
from resources.storage import FilmWorkspace

from review_film import CLUSTER_CONFIG, FILM, materialise

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def _source_of(home: Path) -> dict[str, str]:
    """instance_id -> the photo's folder (the person), from the frames table, for the cut-outs with a face (a photo
    may also give a faceless or a blurry cut-out, which says nothing about the person)."""
    workspace = FilmWorkspace(FILM, home)
    frames = workspace.read_table("frames").select("frame_id", pl.col("source").alias("photo"))
    faced = workspace.read_table("faces").select("instance_id").unique()
    table = workspace.read_table("filtered_instances").join(frames, on="frame_id").join(faced, on="instance_id")
    return {row["instance_id"]: row["photo"].split("/")[0] for row in table.iter_rows(named=True)}


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("CASTFORGE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _saved(page, revision: int) -> None:
    """Wait until the change is saved and the view shows the state of that revision."""
    page.wait_for_function(f"document.getElementById('status').textContent.includes('revision {revision})')")
    page.wait_for_selector(f"[data-revision='{revision}']", state="attached")


def test_a_person_reviews_instances_with_the_keyboard(review_home, review_server, browser):
    catalog = Catalog(review_home)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{review_server}/films/{FILM}/instances")
    page.wait_for_selector("#grid .item img")
    items = page.locator("#grid .item")
    count = FilmWorkspace(FILM, review_home).read_table("filtered_instances").height  # 9 photos: 9 or 10 cut-outs
    assert count >= 9 and items.count() == count
    ids = [items.nth(i).get_attribute("data-id") for i in range(count)]
    page.keyboard.press("k")  # keep the first, focus moves on
    _saved(page, 1)
    page.keyboard.press("d")  # discard the second
    _saved(page, 2)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("3")  # tag the fourth as background
    _saved(page, 3)
    assert rs.instance_review(catalog, FILM) == {ids[0]: {"kept": True, "category": None},
                                                 ids[1]: {"kept": False, "category": None},
                                                 ids[3]: {"kept": None, "category": "background"}}
    page.keyboard.press("Control+z")
    _saved(page, 4)
    assert ids[3] not in rs.instance_review(catalog, FILM)
    # batch: click the 5th, shift-click the 7th, discard all three with one key, then undo the batch with the button
    items.nth(4).click()
    items.nth(6).click(modifiers=["Shift"])
    assert page.locator("#selection-count").text_content() == "3 selected"
    page.keyboard.press("d")
    _saved(page, 5)
    assert {i for i, s in rs.instance_review(catalog, FILM).items() if s["kept"] is False} == {ids[1], *ids[4:7]}
    assert page.locator("#grid .item.discarded").count() == 4
    assert f"2 / {count}" not in page.locator("#progress-text").text_content()
    _screenshot(page, "instances")
    page.click("#undo")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Undone (revision 6)')")
    page.wait_for_selector("[data-revision='6']", state="attached")
    assert {i for i, s in rs.instance_review(catalog, FILM).items() if s["kept"] is False} == {ids[1]}
    assert f"2 / {count} reviewed" in page.locator("#progress-text").text_content()
    page.click("#redo")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Redone (revision 7)')")
    page.wait_for_selector("[data-revision='7']", state="attached")
    assert len([s for s in rs.instance_review(catalog, FILM).values() if s["kept"] is False]) == 4
    # fast typing: three keeps pressed without waiting are saved in order, none lost to a conflict
    items.nth(4).click()
    for _ in range(3):
        page.keyboard.press("k")
    _saved(page, 10)
    assert "Not saved" not in page.locator("#status").text_content()
    review = rs.instance_review(catalog, FILM)
    assert [review[i]["kept"] for i in ids[4:7]] == [True, True, True]
    assert page.locator("#grid .item.kept").count() == 4

    # re-materialising filtered_instances applies the review: a person's verdict wins over the filter's
    materialise(["filtered_instances"])
    table = FilmWorkspace(FILM, review_home).read_table("filtered_instances")
    kept = dict(zip(table["instance_id"], table["kept"]))
    decided_by = dict(zip(table["instance_id"], table["decided_by"]))
    assert [kept[i] for i in ids[:7]] == [True, False, True, True, True, True, True]
    assert [decided_by[i] for i in ids[:8]] == ["review", "review", "auto", "auto", "review", "review", "review", "auto"]


def test_a_person_names_splits_merges_and_moves_identities(review_home, review_server, browser):
    catalog = Catalog(review_home)
    person = _source_of(review_home)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{review_server}/films/{FILM}/identities")
    page.wait_for_selector(".identity")
    sections = page.locator("section.identity")
    before = {sections.nth(i).get_attribute("data-identity") for i in range(sections.count())}
    assert len(before) >= 3

    # alex has one photo: clustering leaves him in noise or adopts him into another identity, where he is the
    # item farthest from the prototype (shown first); either way he is split out into an identity of his own
    alex = next(i for i, p in person.items() if p == "alex_lacamoire")
    holder = page.locator(f"section.identity:has(figure.member[data-id='{alex}'])")
    if holder.get_attribute("data-identity") != "noise":  # noise has no prototype to be far from
        assert holder.locator("figure.member").first.get_attribute("data-id") == alex
    # the click goes to the element itself (a page still settling under load can move it between Playwright's aim
    # and its click), and the split waits until the page has the selection
    holder.locator(f"figure.member[data-id='{alex}']").dispatch_event("click")
    page.wait_for_function("document.getElementById('selection-count').textContent === '1 selected'")
    page.once("dialog", lambda dialog: dialog.accept(""))  # split asks for a name: named below instead
    page.click("#split")
    _saved(page, 1)
    split_section = page.locator("section.identity:has(figure.member[data-id='%s'])" % alex)
    split_identity = split_section.get_attribute("data-identity")
    assert split_identity not in before and split_section.locator("figure.member").count() == 1
    split_section.locator("input.name").fill("alex_lacamoire")
    split_section.locator("button.rename").click()
    _saved(page, 2)

    kit_photos = [i for i, p in person.items() if p == "kit_harington"]
    kit_identity = page.locator(f"section.identity:has(figure.member[data-id='{kit_photos[0]}'])").get_attribute(
        "data-identity")
    kit = page.locator(f"section.identity[data-identity='{kit_identity}']")
    kit.locator("input.name").fill("<img src=x onerror=alert(1)> kit & co")
    kit.locator("input.name").press("Enter")
    _saved(page, 3)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # a wrong merge, taken back with Ctrl+Z
    rose = [i for i, p in person.items() if p == "rose_leslie"]
    obama = [i for i, p in person.items() if p == "obama"]
    rose_identity = page.locator(f"section.identity:has(figure.member[data-id='{rose[0]}'])").get_attribute("data-identity")
    obama_identity = page.locator(f"section.identity:has(figure.member[data-id='{obama[0]}'])").get_attribute("data-identity")
    rose_section = page.locator(f"section.identity[data-identity='{rose_identity}']")
    rose_section.locator("select.merge-target").select_option(obama_identity)
    rose_section.locator("button.merge").click()
    _saved(page, 4)
    assert page.locator(f"section.identity[data-identity='{rose_identity}']").count() == 0
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("Control+z")
    _saved(page, 5)
    page.wait_for_selector(f"section.identity[data-identity='{rose_identity}']")

    # move one rose photo to obama's identity, then back (both moves stay in the history)
    page.locator(f"figure.member[data-id='{rose[1]}']").click()
    page.select_option("#move-target", obama_identity)
    page.click("#move")
    _saved(page, 6)
    assert page.locator(f"section.identity[data-identity='{obama_identity}'] figure.member[data-id='{rose[1]}']").count() == 1
    page.locator(f"figure.member[data-id='{rose[1]}']").click()
    page.select_option("#move-target", rose_identity)
    page.click("#move")
    _saved(page, 7)
    _screenshot(page, "identities")

    # a second tab still showing revision 7 loses to a change made in the first tab, with a reason
    stale = browser.new_page()
    stale.goto(f"{review_server}/films/{FILM}/identities")
    stale.wait_for_selector(".identity")
    page.locator(f"section.identity[data-identity='{obama_identity}'] input.name").fill("barack_obama")
    page.locator(f"section.identity[data-identity='{obama_identity}'] button.rename").click()
    _saved(page, 8)
    stale.locator(f"section.identity[data-identity='{obama_identity}'] input.name").fill("someone_else")
    stale.locator(f"section.identity[data-identity='{obama_identity}'] button.rename").click()
    stale.wait_for_function("document.getElementById('status').textContent.includes('another tab')")
    stale.wait_for_function(  # and it reloaded the current state
        f"document.querySelector(\"section[data-identity='{obama_identity}'] input.name\").value === 'barack_obama'")

    # user-given names are shown as text, never run
    page.goto(f"{review_server}/films/{FILM}")
    assert "<img src=x onerror=alert(1)> kit & co" in page.locator("ul.idlist").text_content()
    assert page.locator("ul.idlist img").count() == 0 and dialogs == []
    _screenshot(page, "overview")
    page.goto(f"{review_server}/")
    _screenshot(page, "films")

    review = rs.identity_review(catalog, FILM)
    assert review.names == {split_identity: "alex_lacamoire", kit_identity: "<img src=x onerror=alert(1)> kit & co",
                            obama_identity: "barack_obama"}
    assert review.merges == [] and [m[0] for m in review.moves] == [rose[1], rose[1]]
    assert rs.review_revision(catalog, FILM) == 8

    # the server told Dagster: review_decisions' data version for this film is the review revision
    observation = DagsterInstance.get().fetch_observations(AssetKey("review_decisions"), limit=1).records[0]
    assert observation.partition_key == FILM
    assert observation.asset_observation.tags["dagster/data_version"] == "review-r8"

    # re-materialising identity_clusters picks the review up
    materialise(["identity_clusters"], run_config=CLUSTER_CONFIG)
    workspace = FilmWorkspace(FILM, review_home)
    assignments = workspace.read_table("instance_identities")
    identity = dict(zip(assignments["instance_id"], assignments["identity"]))
    source = dict(zip(assignments["instance_id"], assignments["source"]))
    assert identity[alex] == split_identity and source[alex] == "review"
    assert identity[rose[1]] == identity[rose[0]] == rose_identity
    assert {identity[i] for i in kit_photos} == {kit_identity}
    names = dict(zip(*workspace.read_table("identities").select("identity", "name").to_dict(as_series=False).values()))
    assert names[split_identity] == "alex_lacamoire" and names[obama_identity] == "barack_obama"
    assert names[kit_identity] == "<img src=x onerror=alert(1)> kit & co"


def test_a_person_pages_through_an_identity_and_splits_an_item_loaded_later(review_home, review_server, browser):
    """?first=1&page=1 makes the knn film's identities page like a film's big ones: one item shown, the rest fetched
    on "show more" / "show all" in the far-from-prototype-first order; an item loaded late is selected and split."""
    import httpx

    catalog = Catalog(review_home)
    api = f"{review_server}/api/films/{FILM}"
    two = httpx.get(f"{api}/identities").json()["identities"][:2]  # the photos make identities of 2: merge two
    assert httpx.post(f"{api}/decisions", json={"expected_revision": 0, "decisions": [
        {"kind": "merge", "item_id": two[1]["identity"], "to_value": two[0]["identity"]}]}).status_code == 200
    biggest = httpx.get(f"{api}/identities", params={"members": 1000}).json()["identities"][0]
    assert biggest["identity"] == two[0]["identity"] and biggest["size"] >= 4
    order = [m["instance_id"] for m in biggest["members"]]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{review_server}/films/{FILM}/identities?first=1&page=1")  # paging like a big film's identities
    section = page.locator(f"section.identity[data-identity='{biggest['identity']}']")
    section.wait_for()
    members = section.locator("figure.member")
    assert members.count() == 1 and members.first.get_attribute("data-id") == order[0]
    assert section.locator("button.show-more").text_content() == "Show 1 more"
    section.locator("button.show-more").click()
    page.wait_for_selector(f"section.identity[data-identity='{biggest['identity']}'][data-shown='2']", state="attached")
    section.locator("button.show-all").click()
    page.wait_for_selector(f"section.identity[data-identity='{biggest['identity']}'][data-shown='{len(order)}']",
                           state="attached")
    assert [members.nth(i).get_attribute("data-id") for i in range(members.count())] == order
    assert section.locator("button.show-more").count() == 0
    _screenshot(page, "identities_paged")

    # the last item (loaded by "show all") and the second (by "show more") are split into a new identity
    section.locator(f"figure.member[data-id='{order[-1]}']").click()
    section.locator(f"figure.member[data-id='{order[1]}']").click()
    assert page.locator("#selection-count").text_content() == "2 selected"
    page.once("dialog", lambda dialog: dialog.accept("second_look"))  # split asks for the new identity's name
    page.click("#split")
    _saved(page, 3)  # the split (revision 2) and the name given (3)
    [split] = rs.identity_review(catalog, FILM).splits
    assert split[0] == biggest["identity"] and sorted(split[2]) == sorted([order[-1], order[1]])
    assert rs.identity_review(catalog, FILM).names == {split[1]: "second_look"}
    fresh = page.locator(f"section.identity[data-identity='{split[1]}']")
    assert fresh.locator("span.size").text_content() == "2 items"  # one shown (first=1), one behind "show more"
    assert fresh.locator("figure.member").count() == 1 and fresh.locator("button.show-more").count() == 1
    # what the person had opened stays open after the change: every remaining item of the identity is shown
    rest = [i for i in order if i not in (order[-1], order[1])]
    page.wait_for_selector(f"section.identity[data-identity='{biggest['identity']}'][data-shown='{len(rest)}']",
                           state="attached")
    assert sorted(members.nth(i).get_attribute("data-id") for i in range(members.count())) == sorted(rest)
