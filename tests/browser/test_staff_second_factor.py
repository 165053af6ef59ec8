"""A member of staff whose administrator requires a second factor enrols with the phone's camera, in real
Chromium: the QR code on the page, as the browser draws it, reads back as the key shown beside it."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from flask import Flask
from sqlalchemy.orm import Session

from backoffice.staff.models import Operator
from backoffice.web import limiter
from tests import factories
from workflows.roles import Role

pytestmark = pytest.mark.browser


def _read_qr(png: bytes) -> str:
    """What a phone's camera reads from the screenshot (zxing-cpp, the decoder many scanner apps are built on)."""
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"expected one QR code on the page, found {len(found)}"
    return str(found[0].text)


def test_enrolment_by_qr_code_then_the_code_logs_in(
    live_server: str, browser_page: Any, make: factories.Factory, session: Session, app: Flask
) -> None:
    with app.app_context():
        limiter.reset()
    operator = make.operator(Role.OPERATOR, login="operator.kr")
    operator.totp_required = True  # the administrator's choice
    session.commit()
    page = browser_page
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Логін").fill("operator.kr")
    page.get_by_label("Пароль").fill(factories.PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    page.wait_for_url(re.compile(r"/staff/login/code"))

    qr = page.get_by_role("img", name="QR-код для застосунку-автентифікатора")
    uri = _read_qr(qr.screenshot())
    key = page.get_by_test_id("totp-secret").inner_text()
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parse_qs(parts.query)["secret"] == [key]
    assert "operator.kr" in parts.path

    page.get_by_label("Код із застосунку-автентифікатора").fill(pyotp.parse_uri(uri).now())
    page.get_by_role("button", name="Підтвердити").click()
    page.wait_for_url(re.compile(r"/admin/applications/"))
    session.expire_all()
    assert session.get(Operator, operator.id).totp_secret == key  # type: ignore[union-attr]
