"""No remote off-switch, as a visitor sees it: read-only pages show their actions off with
the reason; with an operator token set, an action waits for it."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import assert_clean, wait_until

pytestmark = pytest.mark.browser

READ_ONLY_NOTE = "Read-only: actions that change the running system are off here."


def disabled(duo, selector: str) -> list[bool]:
    return duo.driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(b => b.disabled)", selector
    )


def test_read_only_pages_show_their_actions_off_and_say_why(start, settings):
    duo = start(settings.model_copy(update={"read_only": True}), "/trace")
    duo.wait_for_text_to_equal(".action-note", READ_ONLY_NOTE, timeout=10)
    assert disabled(duo, "#trace-block, #trace-jobs, #trace-cancel") == [True, True, True]
    assert disabled(duo, "#trace-export") == [False]  # reading is not an action
    assert not duo.find_element("#operator-token").is_displayed()
    duo.find_element("a[href='/lab']").click()
    duo.wait_for_text_to_equal(".action-note", READ_ONLY_NOTE, timeout=10)
    assert disabled(duo, "#lab-run") == [True]
    duo.find_element("a[href='/demos']").click()
    duo.wait_for_text_to_equal(".action-note", READ_ONLY_NOTE, timeout=10)
    assert set(disabled(duo, ".demo-card button")) == {True}
    duo.find_element("a[href='/sources']").click()
    duo.wait_for_text_to_equal(".action-note", READ_ONLY_NOTE, timeout=10)
    assert disabled(duo, "#sources-save, #sources-test, #sources-toggle, #sources-remove") == [True] * 4
    assert disabled(duo, "#sources-edit, #sources-new") == [False, False]  # reading the form is not an action
    assert_clean(duo)


def test_with_a_token_set_a_source_is_saved_only_with_it(start, settings):
    duo = start(settings.model_copy(update={"operator_token": SecretStr("s3cret-token")}), "/sources")
    name = duo.find_element('[id=\'{"option":"name","type":"sources-option"}\']')
    name.send_keys("home")
    duo.find_element("#sources-save").click()
    duo.wait_for_contains_text("#sources-message", "needs the operator token", timeout=10)
    assert not settings.sources_path.exists()  # nothing written
    duo.find_element("#operator-token").send_keys("s3cret-token")
    duo.find_element("#sources-save").click()
    duo.wait_for_contains_text("#sources-message", "home saved", timeout=10)
    assert "home" in settings.sources_path.read_text()
    assert_clean(duo)


def test_with_a_token_set_an_action_is_refused_until_the_token_is_given(start, settings, collector):
    duo = start(settings.model_copy(update={"operator_token": SecretStr("s3cret-token")}), "/trace")
    token = duo.find_element("#operator-token")
    assert token.is_displayed() and token.get_attribute("type") == "password"
    duo.find_element("#trace-block").click()
    duo.wait_for_contains_text("#trace-message", "needs the operator token", timeout=10)
    token.send_keys("wrong")
    duo.find_element("#trace-block").click()
    wait_until(lambda: "needs the operator token" in duo.find_element("#trace-message").text, 5, "a refusal")
    token.send_keys(Keys.CONTROL, "a", Keys.DELETE)  # clear() bypasses React's change event
    token.send_keys("s3cret-token")
    duo.find_element("#trace-block").click()
    duo.wait_for_contains_text("#trace-message", "watch for the red bar", timeout=10)
    assert "s3cret-token" not in duo.driver.page_source.replace(token.get_attribute("value") or "", "")
    assert_clean(duo)
