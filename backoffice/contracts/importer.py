"""Loading the supplier's export of supply contracts.

Billing systems in Ukraine export CSV from Excel: Windows-1251 or UTF-8 (with or without BOM), comma or
semicolon, headers in English or Ukrainian. Every row is checked on its own: a bad row is reported with its line
number and reason and never stops the good ones, and importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.trail import record
from backoffice.contracts.models import CommercialOffer, Contract
from backoffice.errors import BackofficeError
from backoffice.staff.models import ServiceCenter
from backoffice.validation import contact, identifiers
from backoffice.validation.problems import Invalid

#: Accepted header names (compared case-insensitively, spaces and punctuation ignored) per field.
HEADERS: dict[str, tuple[str, ...]] = {
    "identifier": (
        "identifier",
        "edrpou",
        "rnokpp",
        "єдрпоу",
        "кодєдрпоу",
        "єдрпоурнокпп",
        "кодєдрпоурнокпп",
    ),
    "number": ("contractnumber", "number", "номердоговору", "договір", "договір№"),
    "consumer_name": ("consumername", "name", "найменування", "найменуванняспоживача", "споживач"),
    "commercial_offer": ("commercialoffer", "offer", "комерційнапропозиція"),
    "signatory_name": ("signatoryname", "signatory", "підписант", "піб підписанта", "підписантпіб"),
    "signatory_tax_number": ("signatorytaxnumber", "signatoryrnokpp", "рнокппідписанта", "рнокпппідписанта"),
    "contact_email": ("contactemail", "email", "електроннапошта", "email"),
    # The code of the service center that serves the customer (``backoffice operators``' centers): emailed
    # applications of this customer are routed there.
    "center": ("center", "centercode", "servicecenter", "сервіснийцентр", "центр", "кодцентру"),
}
REQUIRED = ("identifier", "number", "consumer_name", "commercial_offer")
OFFERS = {
    "universal_service": CommercialOffer.UNIVERSAL_SERVICE,
    "універсальнапослуга": CommercialOffer.UNIVERSAL_SERVICE,
    "universalservice": CommercialOffer.UNIVERSAL_SERVICE,
    "free_price": CommercialOffer.FREE_PRICE,
    "вільнаціна": CommercialOffer.FREE_PRICE,
    "freeprice": CommercialOffer.FREE_PRICE,
}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    encoding: str = ""
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "encoding": self.encoding,
            "rejected": [{"line": line, "reason": reason} for line, reason in self.rejected],
        }


class ImportFileError(BackofficeError):
    """The file as a whole cannot be read (no header, missing required columns)."""


def _key(header: str) -> str:
    return "".join(ch for ch in header.casefold() if ch.isalnum())


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (BOM or not) when it decodes, else Windows-1251, which decodes any byte string."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251"), "cp1251"


def import_file(session: Session, path: Path, actor: Actor) -> ImportReport:
    return import_bytes(session, path.read_bytes(), actor)


def import_bytes(session: Session, data: bytes, actor: Actor) -> ImportReport:
    text, encoding = decode(data)
    report = ImportReport(encoding=encoding)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise ImportFileError("the file is empty")
    columns: dict[str, int] = {}
    aliases = {_key(alias): name for name, names in HEADERS.items() for alias in names}
    for index, title in enumerate(header):
        name = aliases.get(_key(title))
        if name and name not in columns:
            columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ImportFileError(f"missing columns: {', '.join(missing)} (header: {', '.join(header)})")

    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for name, i in columns.items()}
        try:
            clean = _clean_row(values)
            if "center" in columns:
                clean["center_id"] = _center(session, values["center"])
        except Invalid as exc:
            report.rejected.append((line, str(exc)))
            continue
        except ValueError as exc:
            report.rejected.append((line, str(exc)))
            continue
        with session.begin_nested():
            _upsert(session, clean, actor, report)
    session.flush()
    return report


def _center(session: Session, code: str) -> int | None:
    if not code:
        return None
    center_id = session.scalar(select(ServiceCenter.id).where(ServiceCenter.code == code))
    if center_id is None:
        raise ValueError(f"unknown service center {code!r}")
    return center_id


def _clean_row(values: dict[str, str]) -> dict[str, Any]:
    number, kind = identifiers.ukrainian_identifier(values["identifier"])
    if not values.get("number"):
        raise ValueError("contract number is empty")
    if not values.get("consumer_name"):
        raise ValueError("consumer name is empty")
    offer = OFFERS.get(_key(values["commercial_offer"])) or OFFERS.get(
        values["commercial_offer"].strip().lower()
    )
    if offer is None:
        raise ValueError(f"unknown commercial offer {values['commercial_offer']!r}")
    signatory_tax = values.get("signatory_tax_number", "")
    if signatory_tax:
        signatory_tax = identifiers.rnokpp(signatory_tax, "signatory_tax_number")
    email = values.get("contact_email", "")
    if email:
        email = contact.email(email, "contact_email")
    return {
        "number": values["number"],
        "identifier": number,
        "identifier_kind": kind,
        "consumer_name": " ".join(values["consumer_name"].split()),
        "commercial_offer": offer,
        "signatory_name": " ".join(values.get("signatory_name", "").split()),
        "signatory_tax_number": signatory_tax,
        "contact_email": email,
    }


def _upsert(session: Session, clean: dict[str, Any], actor: Actor, report: ImportReport) -> None:
    contract = session.scalars(select(Contract).where(Contract.number == clean["number"])).first()
    if contract is None:
        contract = Contract(**clean)
        session.add(contract)
        session.flush()
        record(
            session,
            actor,
            "contract",
            contract.id,
            "import_create",
            changes={"number": [None, contract.number]},
        )
        report.created += 1
        return
    changes = {}
    for name, value in clean.items():
        old = getattr(contract, name)
        if old != value:
            changes[name] = [getattr(old, "value", old), getattr(value, "value", value)]
            setattr(contract, name, value)
    if changes:
        session.flush()
        record(session, actor, "contract", contract.id, "import_update", changes=changes)
        report.updated += 1
    else:
        report.unchanged += 1
