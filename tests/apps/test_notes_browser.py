"""The notes client in a real browser (Playwright driving Debian's Chromium) at a phone viewport."""

from __future__ import annotations

import os

import pytest

from .test_notes_app import jpeg

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.process, pytest.mark.timeout(600),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def sign_up(page, site, email):
    page.goto(site)
    page.fill("#email", email)
    page.fill("#password", "passw0rd1")
    page.click("#signup")
    page.wait_for_selector("#notes:not([hidden])")


def add_note(page, text):
    page.fill("#text", text)
    page.click("#add")
    page.wait_for_selector(f"#list li:has-text('{text}')")


def test_phone_client_signs_up_adds_a_note_and_a_photo(notes_app, browser, tmp_path):
    context = browser.new_context(viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_up(page, notes_app.site, "dora@example.com")
    assert page.evaluate("window.innerWidth") == 390
    add_note(page, "pack the tent")
    photo = tmp_path / "tent.jpg"
    photo.write_bytes(jpeg(800, 600))
    page.set_input_files("#list li:has-text('pack the tent') input.photo", str(photo))
    thumb = page.wait_for_selector("#list li:has-text('pack the tent') img.thumb", timeout=60_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb)
    assert thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [160, 120]
    assert "photo 800×600" in page.inner_text("#list li:has-text('pack the tent') .meta")
    layout = page.evaluate("document.documentElement.scrollWidth")
    assert layout <= 390  # nothing overflows the phone's width
    page.screenshot(path=str(tmp_path / "phone.png"))
    context.close()


def test_second_user_is_refused_the_first_users_note(notes_app, browser):
    first = browser.new_context(viewport=PHONE)
    page = first.new_page()
    sign_up(page, notes_app.site, "erin@example.com")
    add_note(page, "erins secret")
    note_id = page.get_attribute("#list li:has-text('erins secret')", "data-id")
    second = browser.new_context(viewport=PHONE)
    other = second.new_page()
    sign_up(other, notes_app.site, "finn@example.com")
    assert other.locator("#list li").count() == 0
    status = other.evaluate("""async (id) => {
        const r = await fetch(config.ApiUrl + '/notes/' + id, {headers: {authorization: session.idToken}});
        return [r.status, await r.text()];
    }""", note_id)
    assert status == [403, '{"message": "Forbidden"}']
    first.close()
    second.close()


def test_live_update_pushed_to_a_second_browser(notes_app, browser):
    one = browser.new_context(viewport=PHONE)
    page = one.new_page()
    sign_up(page, notes_app.site, "gil@example.com")
    page.wait_for_selector("#live.on", timeout=30_000)
    two = browser.new_context(viewport=PHONE)
    same_user = two.new_page()
    same_user.goto(notes_app.site)
    same_user.fill("#email", "gil@example.com")
    same_user.fill("#password", "passw0rd1")
    same_user.click("#signin")
    same_user.wait_for_selector("#notes:not([hidden])")
    add_note(same_user, "pushed over the socket")
    page.wait_for_selector("#list li:has-text('pushed over the socket')", timeout=30_000)
    one.close()
    two.close()
