"""The fillable accession forms the product publishes, and what the intake reads back from them."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from backoffice.cli.intake import intake_cli
from backoffice.documents import forms
from tests.backoffice.intake import corpus


def test_the_forms_command_writes_both_fillable_forms(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(intake_cli, ["forms", "-o", str(tmp_path / "forms")])

    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "forms").iterdir())
    assert written == ["accession-free-price-uk.pdf", "accession-universal-service-uk.pdf"]
    from pypdf import PdfReader

    for name in written:
        fields = PdfReader(tmp_path / "forms" / name).get_fields() or {}
        assert {n for n, _ in forms.FIELDS} <= set(fields)
        # An empty form is not data: the intake treats it like a scan.
        assert forms.read_fields(tmp_path / "forms" / name) is None


def test_a_filled_form_reads_back_what_the_customer_typed(tmp_path: Path) -> None:
    values = {
        "consumer_name": "ТОВ «Сонце»",
        "identifier": "32855961",
        "phones": "+380 67 123 45 67",
        "code_word": "Мрія",
        "contact_name": "Шевченко Тарас",
        "email": "a@b.ua",
        "contract_number": "Д-17",
    }
    path = tmp_path / "filled.pdf"
    path.write_bytes(corpus.filled_form(values))

    read = forms.read_fields(path)

    assert read == {**values, "commercial_offer": "universal_service"}


def test_a_broken_pdf_gives_no_fields_instead_of_an_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n/AcroForm 1 0 R\n" + b"\x00" * 100)
    assert forms.read_fields(path) is None
