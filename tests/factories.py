"""Rows for tests, made through the product's own services so they are valid by the same rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from stdnum.ua import edrpou

from backoffice.actors import Actor
from backoffice.applications import services
from backoffice.applications.models import Application, CallOutcome, Channel, Document, DocumentKind
from backoffice.settings import Settings
from backoffice.staff import services as staff
from backoffice.staff.models import Operator, ServiceCenter
from workflows.accession import AccessionState
from workflows.roles import Role

PASSWORD = "correct horse battery"
CODE_WORD = "Кобзар"

#: Triggers (with the role that fires them) that bring a new email application to each state.
PATHS: dict[AccessionState, list[str]] = {
    AccessionState.RECEIVED: [],
    AccessionState.AWAITING_SIGNATURE_CHECK: ["submit_for_check"],
    AccessionState.SIGNATURE_REJECTED: ["submit_for_check", "reject_signature"],
    AccessionState.AWAITING_CONFIRMATION_CALL: ["submit_for_check", "accept_signature"],
    AccessionState.CALL_RETRY_SCHEDULED: ["submit_for_check", "accept_signature", "call_unanswered"],
    AccessionState.CONFIRMED: ["submit_for_check", "accept_signature", "confirm"],
    AccessionState.CODE_ISSUED: ["submit_for_check", "accept_signature", "confirm", "issue_code"],
    AccessionState.CODE_EXPIRED: [
        "submit_for_check",
        "accept_signature",
        "confirm",
        "issue_code",
        "expire_code",
    ],
    AccessionState.COMPLETED: ["submit_for_check", "accept_signature", "confirm", "issue_code", "complete"],
    AccessionState.REJECTED: ["submit_for_check", "reject"],
    AccessionState.WITHDRAWN: ["withdraw"],
}
CONTEXT: dict[str, dict[str, Any]] = {
    "confirm": {"code_word_matched": True},
    "complete": {"code_accepted": True},
}


def valid_edrpou(n: int) -> str:
    body = f"{3000000 + n:07d}"
    return body + edrpou.calc_check_digit(body)


@dataclass
class Factory:
    session: Session
    settings: Settings
    _n: int = field(default=0)

    def _next(self) -> int:
        self._n += 1
        return self._n

    def center(self, code: str | None = None) -> ServiceCenter:
        n = self._next()
        return staff.create_center(self.session, Actor.system("test"), code=code or f"C{n}", name=f"ЦОС {n}")

    def operator(
        self, role: Role = Role.OPERATOR, center: ServiceCenter | None = None, login: str | None = None
    ) -> Operator:
        n = self._next()
        if role == Role.OPERATOR and center is None:
            center = self.center()
        return staff.create_operator(
            self.session,
            Actor.system("test"),
            login=login or f"{role.value}{n}",
            full_name=f"Працівник {n}",
            role=role,
            password=PASSWORD,
            center=center,
        )

    def raw(self, **overrides: Any) -> dict[str, Any]:
        n = self._next()
        return {
            "consumer_name": f"ТОВ «Тест {n}»",
            "identifier": valid_edrpou(n),
            "email": f"customer{n}@example.com",
            "phones": "067 123 45 67",
            "code_word": CODE_WORD,
            "contact_name": "Іваненко Іван Іванович",
            "commercial_offer": "universal_service",
            **overrides,
        }

    def application(
        self,
        state: AccessionState = AccessionState.RECEIVED,
        *,
        center: ServiceCenter | None = None,
        channel: Channel = Channel.EMAIL_SCAN,
        **raw: Any,
    ) -> Application:
        center = center or self.center()
        app, _ = services.create(
            self.session,
            Actor.system("intake"),
            channel=channel,
            raw=self.raw(**raw),
            center_id=center.id,
            settings=self.settings,
        )
        self.session.add(
            Document(
                application=app,
                kind=DocumentKind.SCAN,
                filename="scan.pdf",
                sha256="0" * 64,
                storage_path="",
                size=0,
            )
        )
        self.session.flush()
        self.advance(app, PATHS[state])
        return app

    def advance(self, app: Application, triggers: list[str]) -> None:
        supervisor = Actor(Role.SUPERVISOR, "test-supervisor")
        for trigger in triggers:
            row = services.ACCESSION.transition(trigger)
            assert row is not None
            role = next(r for r in (Role.SUPERVISOR, Role.SYSTEM, Role.CUSTOMER) if r in row.roles)
            actor = supervisor if role == Role.SUPERVISOR else Actor(role, f"test-{role.value}")
            if trigger == "call_unanswered":
                services.log_call(
                    self.session, app, actor, outcome=CallOutcome.NO_ANSWER, settings=self.settings
                )
                continue
            services.fire(
                self.session,
                app,
                trigger,
                actor,
                reason="test reason",
                context=CONTEXT.get(trigger),
                settings=self.settings,
            )
