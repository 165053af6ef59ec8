"""Demo data: a realistic queue for a first look, built through the same services and write path as real work.

Loaded only into an empty database (``backoffice run --demo``), so it never mixes with real data.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.ua import edrpou, rntrc

from backoffice.actors import Actor
from backoffice.applications import services
from backoffice.applications.models import Application, CallOutcome, Channel, Document, DocumentKind
from backoffice.contracts.models import CommercialOffer, Contract
from backoffice.documents import forms
from backoffice.documents.storage import Stored, open_storage
from backoffice.settings import Settings
from backoffice.staff import services as staff
from backoffice.types import utcnow
from backoffice.validation.identifiers import IdentifierKind
from workflows.roles import Role

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed to the user, demo only
CREDENTIALS_NOTE = (
    "Demo data loaded. Staff logins (password for all: " + DEMO_PASSWORD + "):\n"
    "  admin (administrator), supervisor (all centers), operator.kr and operator.ol (operators)"
)

CENTERS = [
    ("KR", "ЦОС Кропивницький", "Кропивницький", "вул. Велика Перспективна, 15", "+380522000001"),
    ("OL", "ЦОС Олександрія", "Олександрія", "просп. Соборний, 4", "+380523500002"),
    ("SV", "ЦОС Світловодськ", "Світловодськ", "вул. Героїв України, 20", "+380523600003"),
]
#: The demo's staff: login, name, role and the index of their center in CENTERS (None: no center of their own).
STAFF = [
    ("admin", "Адміністратор Системи", Role.ADMIN, None),
    ("supervisor", "Гончаренко Марія Іванівна", Role.SUPERVISOR, None),
    ("operator.kr", "Лисенко Олег Миколайович", Role.OPERATOR, 0),
    ("operator.ol", "Захарченко Світлана Петрівна", Role.OPERATOR, 1),
]
COMPANIES = [
    "ТОВ «Агрофірма Степова»",
    "ПП «Інгул-Хліб»",
    "ТОВ «Елеватор Центральний»",
    "ПрАТ «Кіровоградолія»",
    "ТОВ «Будмайстер-К»",
    "ТОВ «Світловодський металообробний»",
    "КП «Міськводоканал»",
    "ТОВ «Аптека Здоров'я»",
    "ФГ «Зелений Гай»",
    "ТОВ «Олександрійський хлібокомбінат»",
    "ПП «Автосервіс Дніпро»",
    "ТОВ «Гранд Маркет»",
    "ТОВ «Фабрика меблів Дуб»",
    "ПАТ «Гідросила Сервіс»",
    "ТОВ «Пекарня Колосок»",
    "ТОВ «Логістик Центр»",
    "ТОВ «Кафе Затишок»",
    "ПП «Друкарня Поліграф»",
    "ТОВ «Тепличний комбінат»",
    "ТОВ «Медичний центр Родина»",
]
PEOPLE = [
    "Шевченко Олена Петрівна",
    "Коваленко Андрій Іванович",
    "Бондаренко Ірина Миколаївна",
    "Ткаченко Сергій Васильович",
    "Кравченко Наталія Олександрівна",
    "Олійник Тарас Богданович",
    "Мельник Оксана Юріївна",
    "Поліщук Віктор Степанович",
    "Савченко Людмила Григорівна",
    "Руденко Дмитро Андрійович",
]
# How many demo applications end in each state, and the triggers that lead there from "received".
SCENARIOS: list[tuple[int, list[str]]] = [
    (8, []),
    (9, ["submit_for_check"]),
    (3, ["submit_for_check", "reject_signature"]),
    (9, ["submit_for_check", "accept_signature"]),
    (4, ["submit_for_check", "accept_signature", "call_unanswered"]),
    (4, ["submit_for_check", "accept_signature", "confirm"]),
    (6, ["submit_for_check", "accept_signature", "confirm", "issue_code"]),
    (2, ["submit_for_check", "accept_signature", "confirm", "issue_code", "expire_code"]),
    (2, ["submit_for_check", "accept_signature", "reject"]),
    (3, ["submit_for_check", "withdraw"]),
]


def _edrpou(rng: random.Random) -> str:
    body = f"{rng.randrange(10**6, 10**7):07d}"
    return body + edrpou.calc_check_digit(body)


def _rnokpp(rng: random.Random) -> str:
    body = f"{rng.randrange(10**8, 10**9):09d}"
    return body + rntrc.calc_check_digit(body)


def _phone(rng: random.Random) -> str:
    return f"+38067{rng.randrange(10**6, 10**7):07d}"


def load(session: Session, settings: Settings, *, seed: int = 2026) -> bool:
    """Fill an empty database; returns False (and changes nothing) when there is data already."""
    if session.scalar(select(func.count()).select_from(Application)) or session.scalar(
        select(func.count()).select_from(Contract)
    ):
        return False
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    system = Actor.system("demo")
    centers = [
        staff.create_center(session, system, code=c, name=n, city=ci, address=a, phone=p)
        for c, n, ci, a, p in CENTERS
    ]
    _admin, supervisor, *operators = (
        staff.create_operator(
            session,
            system,
            login=login,
            full_name=name,
            role=role,
            password=DEMO_PASSWORD,
            center=None if center is None else centers[center],
        )
        for login, name, role, center in STAFF
    )

    contracts = []
    for i, name in enumerate(COMPANIES * 2):
        natural = i % 7 == 6
        contracts.append(
            Contract(
                number=f"КП-{2024 + i % 3}/{1000 + i}",
                identifier=_rnokpp(rng) if natural else _edrpou(rng),
                identifier_kind=IdentifierKind.RNOKPP if natural else IdentifierKind.EDRPOU,
                consumer_name=("ФОП " + PEOPLE[i % len(PEOPLE)])
                if natural
                else name + ("" if i < 20 else " (філія)"),
                commercial_offer=CommercialOffer.UNIVERSAL_SERVICE if i % 3 else CommercialOffer.FREE_PRICE,
                signatory_name=PEOPLE[(i + 3) % len(PEOPLE)],
                signatory_tax_number=_rnokpp(rng),
                contact_email=f"office{i}@example.com",
            )
        )
    session.add_all(contracts)
    session.flush()

    # Every demo application carries a real (blank) accession form, so previews and the verifier have a file.
    storage = open_storage(settings, session)
    supplier = settings.site.supplier_name
    forms_by_offer: dict[CommercialOffer, Stored] = {}
    now = utcnow()
    n = 0
    for count, triggers in SCENARIOS:
        for _ in range(count):
            contract = contracts[n % len(contracts)] if n % 9 != 8 else None  # some have no contract on file
            center = centers[n % len(centers)]
            # A qualified signature is accepted only on the verifier's report, and the demo's forms carry no real
            # signature: only the applications still waiting for the check arrived that way.
            qualified = n % 4 == 0 and "accept_signature" not in triggers
            channel = Channel.EMAIL_QUALIFIED if qualified else Channel.EMAIL_SCAN
            # Most arrived in the last two days; every fifth has waited longer and is overdue.
            received = now - timedelta(hours=rng.randrange(1, 24 * 2) if n % 5 else rng.randrange(24 * 3, 24 * 20))
            raw = {
                "consumer_name": contract.consumer_name if contract else COMPANIES[n % len(COMPANIES)],
                "identifier": contract.identifier if contract else _edrpou(rng),
                "email": f"office{n}@example.com",
                "phones": _phone(rng) + (f", {_phone(rng)}" if n % 3 == 0 else ""),
                "code_word": f"демо{n}",
                "contact_name": PEOPLE[n % len(PEOPLE)],
                "commercial_offer": (
                    contract.commercial_offer if contract else CommercialOffer.FREE_PRICE
                ).value,
            }
            app, _ = services.create(
                session,
                Actor.system("intake"),
                channel=channel,
                raw=raw,
                center_id=center.id,
                received_at=received,
                settings=settings,
            )
            offer = CommercialOffer(raw["commercial_offer"])
            form = forms_by_offer.get(offer) or storage.put_bytes(forms.generate(offer, supplier=supplier))
            forms_by_offer[offer] = form
            session.add(
                Document(
                    application=app,
                    kind=DocumentKind.SIGNED_PDF if qualified else DocumentKind.SCAN,
                    filename="заява-приєднання.pdf" if qualified else "скан-заяви.pdf",
                    content_type="application/pdf",
                    size=form.size,
                    sha256=form.sha256,
                    storage_path=form.path,
                )
            )
            session.flush()
            # The third center has no operator of its own: the supervisor works its queue.
            worker = {0: operators[0], 1: operators[1]}.get(centers.index(center), supervisor)
            if triggers and n % 2:
                services.claim(session, app, Actor.of(worker))
            _play(session, app, triggers, Actor.of(worker), raw["code_word"], settings)
            n += 1
    return True


def _play(
    session: Session, app: Application, triggers: list[str], actor: Actor, code_word: str, settings: Settings
) -> None:
    for trigger in triggers:
        if trigger == "confirm":
            services.log_call(
                session,
                app,
                actor,
                outcome=CallOutcome.CONFIRMED,
                spoken_code_word=code_word.upper(),
                note="",
                settings=settings,
            )
        elif trigger == "call_unanswered":
            services.log_call(session, app, actor, outcome=CallOutcome.NO_ANSWER, settings=settings)
        elif trigger == "expire_code":
            services.fire(session, app, trigger, Actor.system("scheduler"), settings=settings)
        else:
            reason = {
                "reject_signature": "Скан нечитабельний: повторіть, будь ласка, з печаткою",
                "reject": "Споживач відмовився від реєстрації під час дзвінка",
                "withdraw": "Споживач відкликав заяву",
            }.get(trigger, "")
            services.fire(session, app, trigger, actor, reason=reason, settings=settings)
