"""Steps the browser tests share."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from tests.factories import PASSWORD


def log_in(page, base_url: str, email: str, totp_secret: str | None = None) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if totp_secret:
        counter = int(time.time()) // 30
        page.get_by_label("Code").fill(format_hotp_value(hotp_value(totp_secret, counter)))
        page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
