"""The two accession forms as fillable PDFs the product generates itself, and reading their fields back.

Why generate them: the field names are then ours and stable, so when a customer fills the form on a computer
(and signs it with a qualified signature, or prints and stamps it), the intake reads the data straight from
the fields instead of an operator typing it from the picture. A scan has no fields; then the operator types.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path

from babel.support import NullTranslations, Translations

from backoffice.contracts.models import CommercialOffer
from backoffice.errors import BackofficeError
from workflows.i18n import N_

#: The form's field names (the contract between the published forms and the intake), with their labels.
FIELDS: tuple[tuple[str, str], ...] = (
    ("consumer_name", N_("Consumer (name of the company or full name of the person)")),
    ("identifier", N_("EDRPOU code (8 digits) or RNOKPP taxpayer number (10 digits)")),
    ("email", N_("Email for the registration code")),
    ("phones", N_("Phone number(s)")),
    ("code_word", N_("Code word")),
    ("contact_name", N_("Contact person (full name)")),
    ("contract_number", N_("Supply contract number")),
)
#: A read-only field telling which form was filled (set by the product, not the customer).
OFFER_FIELD = "commercial_offer"
TITLES = {
    CommercialOffer.UNIVERSAL_SERVICE: N_("Accession application: universal service"),
    CommercialOffer.FREE_PRICE: N_("Accession application: free price"),
}
FONT = "DejaVuSans"
# Form fields may only name one of the 14 standard PDF fonts; viewers substitute a font with Cyrillic when the
# customer types (the form asks them to regenerate appearances), and the intake reads the values, not glyphs.
FIELD_FONT = "Helvetica"
FONT_FILE = "DejaVuSans.ttf"


class FontMissing(BackofficeError, RuntimeError):
    """The form needs a font with Cyrillic letters (Debian: fonts-dejavu-core)."""


def filename(offer: CommercialOffer, language: str) -> str:
    return f"accession-{offer.value.replace('_', '-')}-{language}.pdf"


def generate(offer: CommercialOffer, *, language: str = "uk", supplier: str = "") -> bytes:
    """The fillable accession form for ``offer``: a page of labelled text fields, ready to publish."""
    from reportlab.lib.colors import black, white
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_font()
    _ = _gettext(language)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(_(TITLES[offer]))
    pdf.setAuthor(supplier)
    width, height = A4
    margin = 50
    y = height - 70
    pdf.setFont(FONT, 15)
    pdf.drawString(margin, y, _(TITLES[offer]))
    if supplier:
        y -= 22
        pdf.setFont(FONT, 10)
        pdf.drawString(margin, y, supplier)
    y -= 24
    pdf.setFont(FONT, 9)
    for line in _wrap(
        _(
            "I join the terms of the online service of the supplier and ask to create an account. "
            "Fill in every field, sign (a qualified electronic signature, or by hand with the stamp) and "
            "send the form to the supplier."
        ),
        95,
    ):
        pdf.drawString(margin, y, line)
        y -= 12
    form = pdf.acroForm
    y -= 14
    for name, label in FIELDS:
        pdf.setFont(FONT, 10)
        pdf.drawString(margin, y, _(label))
        y -= 26
        form.textfield(
            name=name,
            tooltip=_(label),
            x=margin,
            y=y,
            width=width - 2 * margin,
            height=20,
            fontName=FIELD_FONT,
            fontSize=11,
            borderColor=black,
            fillColor=white,
            textColor=black,
            forceBorder=True,
            maxlen=300,
        )
        y -= 22
    form.textfield(
        name=OFFER_FIELD,
        value=offer.value,
        x=margin,
        y=40,
        width=160,
        height=12,
        fontName=FIELD_FONT,
        fontSize=6,
        borderWidth=0,
        fieldFlags="readOnly",
        tooltip=_("Form identifier"),
    )
    y -= 20
    pdf.setFont(FONT, 10)
    pdf.drawString(margin, y, _("Date") + ": ____________        " + _("Signature") + ": ____________________")
    y -= 16
    pdf.drawString(margin, y, _("Stamp (for a company)"))
    pdf.showPage()
    form.needAppearances = "true"
    pdf.save()
    return buffer.getvalue()


def read_fields(path: Path) -> dict[str, str] | None:
    """The values of our form fields in a received PDF, or None when it has none of them (a scan).

    A hostile or broken PDF gives None too: reading fields is a convenience, never a reason to lose a message.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(str(path), strict=False)
            fields = reader.get_fields() or {}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        return None
    names = {name for name, _ in FIELDS} | {OFFER_FIELD}
    values: dict[str, str] = {}
    for name, field in fields.items():
        if name not in names:
            continue
        value = field.get("/V") if isinstance(field, Mapping) else None
        if value is None:
            continue
        text = " ".join(str(value).split())
        if text:
            values[name] = text
    if not any(name in values for name, _ in FIELDS):
        return None
    return values


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    try:
        pdfmetrics.registerFont(TTFont(FONT, FONT_FILE))
    except TTFError as exc:
        raise FontMissing(f"{FONT_FILE} not found: install the DejaVu fonts (fonts-dejavu-core)") from exc


def _gettext(language: str) -> object:
    from backoffice.i18n import TRANSLATIONS

    translations: NullTranslations = Translations.load(str(TRANSLATIONS), [language], domain="messages")
    return translations.gettext


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if len(current) + len(word) + 1 > width and current:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines
