"""Importing the supplier's contract export: the encodings and separators billing systems produce, bad rows
reported by line without stopping the good ones, and a second import that changes nothing."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.cli import main
from backoffice.contracts.importer import import_bytes
from backoffice.contracts.models import CommercialOffer, Contract
from backoffice.validation.identifiers import IdentifierKind

ACTOR = Actor.system("test")
HEADER_EN = (
    "identifier,contract_number,consumer_name,commercial_offer,signatory_name,signatory_tax_number,contact_email\n"
)
GOOD_EN = (
    "32855961,КП-1/001,ТОВ «Степова»,universal_service,Шевченко Олена Петрівна,1759013776,office@stepova.ua\n"
    "1759013776,КП-1/002,ФОП Іваненко І.І.,free_price,Іваненко Іван Іванович,1759013776,ivanenko@example.com\n"
)
HEADER_UA = (
    "ЄДРПОУ/РНОКПП;Номер договору;Найменування споживача;Комерційна пропозиція;Підписант;РНОКПП підписанта;Email\n"
)
GOOD_UA = "32855961;КП-2/010;ТОВ «Ґрунт і Ї»;Вільна ціна;Ткаченко Сергій;1759013776;office@grunt.ua\n"


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Contract)) or 0


def test_good_file(session: Session) -> None:
    report = import_bytes(session, (HEADER_EN + GOOD_EN).encode(), ACTOR)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (2, 0, 0, [])
    company = session.scalars(select(Contract).where(Contract.number == "КП-1/001")).one()
    assert company.identifier_kind == IdentifierKind.EDRPOU
    assert company.consumer_name == "ТОВ «Степова»"
    assert company.signatory_tax_number == "1759013776"
    person = session.scalars(select(Contract).where(Contract.number == "КП-1/002")).one()
    assert person.identifier_kind == IdentifierKind.RNOKPP
    assert person.commercial_offer == CommercialOffer.FREE_PRICE


def test_utf8_with_bom_and_ukrainian_headers(session: Session) -> None:
    report = import_bytes(session, b"\xef\xbb\xbf" + (HEADER_UA + GOOD_UA).encode(), ACTOR)
    assert report.encoding == "utf-8-sig"
    assert report.created == 1 and not report.rejected
    contract = session.scalars(select(Contract)).one()
    assert contract.consumer_name == "ТОВ «Ґрунт і Ї»"
    assert contract.commercial_offer == CommercialOffer.FREE_PRICE


def test_windows_1251(session: Session) -> None:
    report = import_bytes(session, (HEADER_UA + GOOD_UA).encode("cp1251"), ACTOR)
    assert report.encoding == "cp1251"
    assert report.created == 1 and not report.rejected
    assert session.scalars(select(Contract)).one().consumer_name == "ТОВ «Ґрунт і Ї»"


def test_bad_rows_are_reported_by_line_and_good_rows_still_load(session: Session) -> None:
    body = (
        HEADER_EN
        + "32855961,A-1,Good One,universal_service,,,\n"  # line 2: good
        + "32855962,A-2,Bad checksum,universal_service,,,\n"  # line 3
        + "1234567,A-3,Too short,universal_service,,,\n"  # line 4
        + "32855961,A-4,Unknown offer,cheap_power,,,\n"  # line 5
        + "32855961,,No number,free_price,,,\n"  # line 6
        + "32855961,A-7,Bad email,free_price,,,not-an-email\n"  # line 7
        + "\n"
        + "32855961,A-9,Good Two,free_price,,,\n"  # line 9: good
    )
    report = import_bytes(session, body.encode(), ACTOR)
    assert report.created == 2
    rejected = dict(report.rejected)
    assert sorted(rejected) == [3, 4, 5, 6, 7]
    assert "check digit" in rejected[3]
    assert "8 digits" in rejected[4]
    assert "cheap_power" in rejected[5]
    assert "contract number" in rejected[6]
    assert "not-an-email" in rejected[7]
    assert {c.number for c in session.scalars(select(Contract))} == {"A-1", "A-9"}


def test_reimport_is_idempotent_and_updates_changed_rows(session: Session) -> None:
    data = (HEADER_EN + GOOD_EN).encode()
    import_bytes(session, data, ACTOR)
    again = import_bytes(session, data, ACTOR)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _count(session) == 2
    changed = data.replace(b"office@stepova.ua", b"new@stepova.ua")
    third = import_bytes(session, changed, ACTOR)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert session.scalars(select(Contract).where(Contract.number == "КП-1/001")).one().contact_email == (
        "new@stepova.ua"
    )


def test_cli_import_reports_rejected_rows_and_exits_non_zero(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "contracts.csv"
    path.write_bytes((HEADER_EN + GOOD_EN + "99999999,X-1,Bad,free_price,,,\n").encode("utf-8"))
    result = app.test_cli_runner().invoke(main, ["contracts", "import", str(path)])
    assert result.exit_code == 1
    assert "2 created" in result.output and "1 rejected" in result.output
    assert "line 4" in result.output
    result = app.test_cli_runner().invoke(main, ["contracts", "import", str(path), "--json"])
    assert '"unchanged": 2' in result.output
