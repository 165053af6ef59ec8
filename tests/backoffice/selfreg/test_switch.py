"""Flow B exists only where it is switched on: its pages, its back-office view and its jobs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from backoffice.database import Database
from backoffice.scheduler import runner
from backoffice.settings import Settings
from tests.conftest import app_on

FLOW_B_PAGES = (
    "/signup",
    "/signup?kind=individual",
    "/signup/sent",
    "/signup/consent",
    "/signup/confirm/some-token",
    "/signup/resend",
    "/signup/claim",
    "/signup/invited/some-token",
    "/signup/closed",
    "/account/consent",
    "/account/consent/withdraw",
)
FLOW_B_JOBS = {"selfreg_reminders", "selfreg_removals"}


@pytest.fixture
def off_app(settings: Settings, db: Database) -> Iterator[Flask]:
    assert settings.flows.self_registration is False  # the shipped default
    app = app_on(settings, db)
    app.config.update(TESTING=True)
    yield app
    app.extensions["backoffice.db"].dispose()


def test_switched_off_its_pages_do_not_exist(off_app: Flask) -> None:
    client = off_app.test_client()
    for path in FLOW_B_PAGES:
        assert client.get(path).status_code == 404, path
        assert client.post(path).status_code in {404, 405}, path
    assert not [rule for rule in off_app.url_map.iter_rules() if rule.endpoint.startswith("selfreg")]
    assert "selfreg" not in off_app.blueprints
    assert 'id="selfreg-register"' not in client.get("/account/login").get_data(as_text=True)


def test_switched_off_the_back_office_has_no_self_registrations(off_app: Flask) -> None:
    assert off_app.test_client().get("/admin/self-registrations/").status_code == 404
    assert off_app.test_client().get("/admin/ownership-claims/").status_code == 404
    endpoints = {rule.endpoint for rule in off_app.url_map.iter_rules()}
    assert {"selfreg_admin.index", "selfreg_claims.index"}.isdisjoint(endpoints)


def test_switched_off_there_are_no_flow_b_jobs(settings: Settings) -> None:
    assert FLOW_B_JOBS.isdisjoint(spec.id for spec in runner.specs(settings))


def test_switched_on_everything_is_there(flow_app: Flask, flow_settings: Settings) -> None:
    client = flow_app.test_client()
    assert client.get("/signup").status_code == 200
    assert client.get("/signup/consent").status_code == 200
    assert client.get("/admin/self-registrations/").status_code == 302  # exists; asks staff to log in
    assert {spec.id for spec in runner.specs(flow_settings)} >= FLOW_B_JOBS
