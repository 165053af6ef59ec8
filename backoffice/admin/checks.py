"""What the operator should notice on an application page: the stored data re-checked with today's rules.

Intake keeps data that fails a check (the operator resolves it), so the page re-runs the same validators the
forms use rather than trusting that stored data is clean.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from backoffice.applications.duplicates import Duplicates
from backoffice.applications.models import Application
from backoffice.validation import contact, identifiers
from backoffice.validation.problems import Invalid


@dataclass(frozen=True)
class Warning:
    field: str
    text: str
    serious: bool = True


def warnings(app: Application, duplicates: Duplicates | None) -> list[Warning]:
    """``duplicates``: what else exists for the application's identifier (``applications.duplicates.find``)."""
    out: list[Warning] = []
    if duplicates and duplicates.open_numbers:
        numbers = ", ".join(duplicates.open_numbers)
        text = _("This customer has another open application: %(numbers)s", numbers=numbers)
        out.append(Warning("duplicate", text))
    if duplicates and duplicates.registered:
        out.append(Warning("duplicate", _("This customer has registered before and has a login already")))
    if app.center_id is None:
        text = _("Not routed to a service center yet: whoever takes it routes it to theirs")
        out.append(Warning("center", text, serious=False))
    if app.identifier:
        try:
            identifiers.ukrainian_identifier(app.identifier)
        except Invalid as exc:
            out.extend(Warning("identifier", p.text()) for p in exc.problems)
    else:
        out.append(Warning("identifier", _("EDRPOU or RNOKPP is missing")))
    contract = app.contract
    if contract is None:
        out.append(Warning("contract", _("No supply contract with this EDRPOU/RNOKPP was found")))
    else:
        if app.commercial_offer is not None and contract.commercial_offer != app.commercial_offer:
            out.append(
                Warning(
                    "commercial_offer",
                    _("The contract %(number)s is for another commercial offer", number=contract.number),
                    serious=False,
                )
            )
        if _plain(contract.consumer_name) != _plain(app.consumer_name):
            out.append(
                Warning(
                    "consumer_name",
                    _("The contract is in the name of %(name)s", name=contract.consumer_name),
                    serious=False,
                )
            )
    for number in app.phones or []:
        try:
            _e164, phone_warnings = contact.phone(number)
        except Invalid as exc:
            out.extend(Warning("phones", p.text()) for p in exc.problems)
            continue
        out.extend(Warning("phones", p.text(), serious=False) for p in phone_warnings)
    if not app.phones:
        out.append(Warning("phones", _("No phone number to call")))
    if not app.email:
        out.append(Warning("email", _("No email to send the code to")))
    elif app.email_from_envelope:
        text = _("The email was taken from the sender's address, not from the form: confirm it on the call")
        out.append(Warning("email", text, serious=False))
    if not app.code_word_hash:
        out.append(Warning("code_word", _("No code word: the data cannot be confirmed by phone")))
    return out


def _plain(name: str) -> str:
    return " ".join("".join(ch for ch in name.casefold() if ch.isalnum() or ch.isspace()).split())
