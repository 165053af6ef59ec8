"""Flow B fixtures: settings with Flow B switched on, valid identifiers of each kind, a registered person."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.letters.models import OutboxMessage
from backoffice.passwords import hash_secret
from backoffice.selfreg import consent, services
from backoffice.selfreg.models import PersonKind, SelfRegistration
from backoffice.settings import Settings
from backoffice.web import limiter
from tests.conftest import app_on

PASSWORD = "correct horse battery"
#: One argon2 hash for every registration made by the tests (hashing costs ~50 ms each).
PASSWORD_HASH = hash_secret(PASSWORD)


def snils_check(body: str) -> str:
    """The published SNILS rule, written again here so the test does not trust the code under test."""
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    while total > 101:
        total %= 101
    return "00" if total in (100, 101) else f"{total:02d}"


def valid_snils(n: int) -> str:
    body = f"{2000000 + n * 7919:09d}"
    return body + snils_check(body)


def valid_ogrn(n: int) -> str:
    body = f"1{n + 100000:011d}"
    return body + str(int(body) % 11 % 10)


def valid_ogrnip(n: int) -> str:
    """An OGRNIP: the check digit is the last digit of the first 14 digits mod 13 (remainders 10–12 included)."""
    body = f"3{n + 1000000:013d}"
    return body + str(int(body) % 13 % 10)


IDENTIFIERS = {
    PersonKind.INDIVIDUAL: valid_snils,
    PersonKind.SOLE_PROPRIETOR: valid_ogrnip,
    PersonKind.LEGAL_ENTITY: valid_ogrn,
}


@pytest.fixture
def flow_settings(settings: Settings) -> Settings:
    return settings.replace(flows={"self_registration": True})


@pytest.fixture
def flow_app(flow_settings: Settings, db: Database) -> Iterator[Flask]:
    """The app with Flow B on. CSRF is off for these page tests (the browser tests post real tokens)."""
    app = app_on(flow_settings, db)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        limiter.reset()
    app.extensions["backoffice.db"].dispose()


@pytest.fixture
def consent_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of consent texts the test may publish new versions into."""
    folder = tmp_path / "consent"
    folder.mkdir()
    for source in consent.DIRECTORY.glob("v1.*.md"):
        (folder / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(consent, "DIRECTORY", folder)
    yield folder


class People:
    """Registrations made through the service, each with a fresh identifier of its kind."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session, self.settings, self.n = session, settings, 0

    def submission(self, kind: PersonKind = PersonKind.INDIVIDUAL, **overrides: object) -> services.Submission:
        self.n += 1
        values: dict[str, object] = {
            "kind": kind.value,
            "identifier": IDENTIFIERS[kind](self.n),
            "name": "Иванов Иван Иванович" if kind != PersonKind.LEGAL_ENTITY else "ООО «Ромашка»",
            "email": f"person{self.n}@example.com",
            "password": PASSWORD,
            "consent": True,
            "language": "ru",
        }
        values.update(overrides)
        return services.Submission(**values)  # type: ignore[arg-type]

    def register(
        self, kind: PersonKind = PersonKind.INDIVIDUAL, ip: str = "192.0.2.10", **overrides: object
    ) -> SelfRegistration:
        data = self.submission(kind, **overrides)
        return services.register(
            self.session,
            self.settings,
            services.clean(data),
            password_hash=PASSWORD_HASH,
            language=data.language,
            origin=services.Origin(ip, "pytest"),
        )

    def confirmed(self, kind: PersonKind = PersonKind.INDIVIDUAL, **overrides: object) -> SelfRegistration:
        """Registered, and the link of its confirmation letter (the newest) followed: a login that works."""
        reg = self.register(kind, **overrides)
        newest = select(OutboxMessage).where(OutboxMessage.kind == "self_registration_confirm")
        letter = self.session.scalars(newest.order_by(OutboxMessage.id.desc())).first()
        assert letter is not None, "no confirmation letter was written"
        token = str(letter.context["link"]).rsplit("/", 1)[-1]
        services.confirm_email(self.session, self.settings, token, services.Origin("192.0.2.11"))
        return reg


@pytest.fixture
def people(session: Session, flow_settings: Settings) -> People:
    return People(session, flow_settings)
