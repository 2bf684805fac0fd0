"""Setting a project up as people do, in Chromium, without Django admin.

A superuser lets Maya create projects (on the project list); Maya creates "Gadgets" with its
labels, uploads a file with a label the project lacks and, asked, imports it as one of the
project's; then on Settings she renames, recolours and reorders labels, merges two (after a
preview), removes an unused one at once and a used one after a preview. Each step is one htmx
request: the test marks the window and checks the mark survives (no reload). What she sees at
the end is checked on the document page; axe-core checks the new forms, the label question and
the previews as they show. Screenshots: test-artifacts/setup-*.png.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import screenshot
from tests.browser.test_accessibility import AXE, RUN

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "setup-pass-123"
# Company is not one of the project's labels; Maya imports it as Library.
UPLOAD = (
    "Acme\tB-Company\nbuilt\tO\nTorch\tB-Library\non\tO\nGPUs\tB-Device\n.\tO\n\n"
    "Ada\tB-Person\nLovelace\tI-Person\nused\tO\nKeras\tB-Library\n.\tO\n"
)


@pytest.fixture
def people(django_user_model, transactional_db) -> None:
    django_user_model.objects.create_superuser("sue", password=PASSWORD)
    django_user_model.objects.create_user("maya", password=PASSWORD)


def person(browser, live_server, username: str):
    """A browser of one's own, logged in through the login form."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/projects/")
    return page


def mark(page) -> None:
    page.evaluate("window.notReloaded = true")


def still_marked(page) -> None:
    assert page.evaluate("window.notReloaded === true"), "the page was reloaded"


def accessible(page) -> None:
    """axe-core (vendored) finds no critical or serious violation in the page as it is now."""
    page.add_script_tag(url=AXE)
    assert page.evaluate(RUN) == []


def labels_row(page, label: str):
    return page.locator(f"tr[data-label='{label}']")


def labels_notice(page):
    return page.locator("section.label-admin .notice").first


def grant(sue) -> None:
    mark(sue)
    creators = sue.locator("#creators")
    creators.get_by_label("Username").fill("maya")
    creators.get_by_role("button", name="Allow to create projects").click()
    expect(creators.get_by_role("status")).to_have_text("maya may create projects now.")
    expect(creators.locator("ul.creators")).to_contain_text("maya")
    still_marked(sue)
    accessible(sue)
    screenshot(sue, "setup-1-granted")


def create_project(maya) -> None:
    form = maya.locator("#new-project")
    expect(form).to_contain_text("New project")
    accessible(maya)
    form.get_by_label("Name").fill("Gadgets")
    form.get_by_label("Tag scheme").select_option(label="IOB2 / BIO")
    form.get_by_label("Labels").fill("Device\nLibrary\nPerson\nMisc")
    form.get_by_role("button", name="Create the project").click()
    maya.wait_for_url("**/projects/*/")
    chips = maya.locator("section .labels .span .label")
    expect(chips).to_have_text(["Device", "Library", "Person", "Misc"])
    screenshot(maya, "setup-2-created")


def upload_and_map(maya, tmp_path) -> None:
    path = tmp_path / "gadgets.conll"
    path.write_text(UPLOAD, encoding="utf-8")
    mark(maya)
    maya.set_input_files("input[name=files]", str(path))
    maya.get_by_role("button", name="Import", exact=True).click()
    prompt = maya.locator("fieldset.label-prompt")
    expect(prompt).to_contain_text("This upload has labels the project does not have")
    expect(prompt.locator("th")).to_have_text(["Company"])
    expect(maya.locator("#project-body, main")).not_to_contain_text("Imported 1 document")
    accessible(maya)
    screenshot(maya, "setup-3-asked")
    prompt.get_by_label("What to do with Company").select_option(label="Library")
    prompt.get_by_role("button", name="Import with these choices").click()
    done = maya.locator(".notice.ok")
    expect(done).to_contain_text("Imported 1 document, 2 sentences, 11 tokens.")
    expect(done).to_contain_text("Company imported as Library.")
    expect(maya.locator("section .labels .span .label")).to_have_text(
        ["Device", "Library", "Person", "Misc"]
    )
    still_marked(maya)


def change_labels(maya) -> None:
    maya.get_by_role("link", name="Settings").click()
    maya.wait_for_url("**/settings/")
    mark(maya)
    # Rename (spans follow), recolour, reorder.
    labels_row(maya, "Person").get_by_label("New name for Person").fill("Human")
    labels_row(maya, "Person").get_by_role("button", name="Rename").click()
    expect(labels_notice(maya)).to_have_text("Renamed Person to Human (1 span renamed).")
    labels_row(maya, "Device").get_by_label("Colour of Device").select_option(label="violet")
    labels_row(maya, "Device").get_by_role("button", name="Set").click()
    expect(labels_row(maya, "Device").locator(".span")).to_have_class("span l20")
    labels_row(maya, "Human").get_by_role("button", name="Move Human up").click()
    expect(maya.locator("tr[data-label] .label")).to_have_text(
        ["Device", "Human", "Library", "Misc"]
    )
    expect(labels_row(maya, "Human").locator("kbd")).to_have_text("2")
    # Merge Library into Device: a preview first, nothing changed until confirmed.
    labels_row(maya, "Library").get_by_label("Merge Library into").select_option("Device")
    labels_row(maya, "Library").get_by_role("button", name="Preview merge").click()
    preview = maya.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Merging Library into Device relabels 3 spans in 2 sentences")
    expect(preview.locator(".change").first).to_contain_text("Acme B-Library B-Device")
    accessible(maya)
    screenshot(maya, "setup-4-merge-preview")
    preview.get_by_role("button", name="Merge Library into Device").click()
    expect(labels_notice(maya)).to_have_text("Merged Library into Device: 3 spans relabelled.")
    expect(maya.locator("tr[data-label] .label")).to_have_text(["Device", "Human", "Misc"])
    # Misc was never used: it goes at once. Human is used: first the spans it removes.
    labels_row(maya, "Misc").get_by_role("button", name="Remove Misc").click()
    expect(labels_notice(maya)).to_have_text("Removed Misc (no span used it).")
    labels_row(maya, "Human").get_by_role("button", name="Remove Human").click()
    preview = maya.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Removing Human removes 1 span in 1 sentence")
    expect(preview.locator(".change").first).to_contain_text("Ada B-Human O")
    accessible(maya)
    screenshot(maya, "setup-5-remove-preview")
    preview.get_by_role("button", name="Remove Human and its spans").click()
    expect(labels_notice(maya)).to_have_text("Removed Human and its 1 span.")
    expect(maya.locator("tr[data-label] .label")).to_have_text(["Device"])
    still_marked(maya)
    screenshot(maya, "setup-6-labels")


def test_a_superuser_lets_maya_set_up_a_project_without_admin(
    browser, live_server, people, tmp_path
) -> None:
    sue = person(browser, live_server, "sue")
    maya = person(browser, live_server, "maya")
    expect(maya.locator("main")).not_to_contain_text("New project")
    grant(sue)
    maya.reload()  # she opens the list again after being told
    create_project(maya)
    upload_and_map(maya, tmp_path)
    change_labels(maya)

    # The document as a reviewer reads it: every span that was Library or Company is Device,
    # in the chosen colour; Ada Lovelace is no entity any more.
    maya.get_by_role("link", name="Documents").or_(
        maya.get_by_role("link", name="Gadgets")
    ).first.click()
    maya.get_by_role("link", name="gadgets.conll").click()
    spans = maya.locator("#sentences .span")
    expect(spans).to_have_count(4)
    expect(spans.locator(".label")).to_have_text(["Device"] * 4)
    for i in range(4):
        expect(spans.nth(i)).to_have_class("span l20")
    expect(maya.locator("#sentences")).not_to_contain_text("Human")
    screenshot(maya, "setup-7-document")
