"""Which scripts a page may run: our files always; an inline script or tag only with the nonce its own page handed
out. A page that handed out none (the customer's pages) allows our files alone."""

from __future__ import annotations

import re

from flask import Flask

from tests.backoffice.admin.conftest import Staff, log_in


def _scripts(policy: str) -> str:
    return next(p.strip() for p in policy.split(";") if p.strip().startswith("script-src"))


def test_a_staff_page_allows_the_nonce_its_scripts_carry_and_no_other(app: Flask, staff: Staff) -> None:
    client = log_in(app.test_client(), staff.operator_a.login)
    first = client.get("/admin/applications/")
    second = client.get("/admin/applications/")
    carried = set(re.findall(r'nonce="([^"]+)"', first.get_data(as_text=True)))
    assert len(carried) == 1, carried  # every script tag of the page carries the same nonce
    (nonce,) = carried
    assert _scripts(first.headers["Content-Security-Policy"]) == f"script-src 'self' 'nonce-{nonce}'"
    assert nonce not in second.headers["Content-Security-Policy"]  # a new one each page


def test_a_page_that_hands_out_no_nonce_allows_our_files_alone(app: Flask) -> None:
    for path in ("/company", "/staff/login"):
        page = app.test_client().get(path)
        assert page.status_code == 200
        assert "nonce" not in page.get_data(as_text=True)
        assert _scripts(page.headers["Content-Security-Policy"]) == "script-src 'self'", path
