"""Test messages written the way real mail clients write them, byte for byte.

Built by hand rather than with ``email.message.EmailMessage`` where the clients do something the library
would not (encoded words inside quoted parameters, split RFC 2231 continuations, raw 8-bit names), because
those are exactly the messages the intake must survive.
"""

from __future__ import annotations

import base64
import io
import os
import uuid
import zipfile
from pathlib import Path
from urllib.parse import quote

from backoffice.contracts.models import CommercialOffer
from backoffice.documents import forms

CRLF = "\r\n"
SHARED = Path(__file__).resolve().parents[4] / "shared"
CORPUS = Path(os.environ.get("BACKOFFICE_SHARED_DIR", str(SHARED))) / "corpus" / "pdf-attacks"
DATE = "Mon, 02 Mar 2026 09:15:00 +0200"


def tiny_pdf(text: str = "scan") -> bytes:
    """A minimal valid one-page PDF (what a scanner's PDF looks like to the classifier)."""
    body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def jpeg(size: int = 2048) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(size) + b"\xff\xd9"


def filled_form(values: dict[str, str], offer: CommercialOffer = CommercialOffer.UNIVERSAL_SERVICE) -> bytes:
    """The product's own fillable form, filled in as a customer's PDF reader would."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(forms.generate(offer))))
    writer.update_page_form_field_values(writer.pages[0], values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_pdf() -> bytes:
    """A real-world PDF with an embedded signature, read from the shared corpus (never copied into the repo)."""
    path = CORPUS / "pdf_attack_form_form_v2-signed.pdf"
    return path.read_bytes()


def zip_of(files: dict[str, bytes], *, utf8_names: bool = True) -> bytes:
    out = io.BytesIO()
    renames: dict[bytes, bytes] = {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, data) in enumerate(files.items()):
            if not utf8_names:
                # Windows' built-in archiver on a Ukrainian system: OEM (cp866) names, no UTF-8 flag. zipfile
                # only writes ASCII or flagged UTF-8, so a placeholder of the same length is patched afterwards.
                raw = name.encode("cp866")
                placeholder = f"{i:02d}".encode() + b"~" * (len(raw) - 2)
                renames[placeholder] = raw
                name = placeholder.decode()
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 2, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    data = out.getvalue()
    for placeholder, raw in renames.items():
        data = data.replace(placeholder, raw)
    return data


def zip_bomb(unpacked_mb: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, zf.open("scan.pdf", "w") as fh:
        chunk = b"%PDF-1.4\n" + b"\0" * (1024 * 1024 - 9)
        for _ in range(unpacked_mb):
            fh.write(chunk)
            chunk = b"\0" * (1024 * 1024)
    return out.getvalue()


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return CRLF.join(text[i : i + 76] for i in range(0, len(text), 76))


def encoded_word(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def headers(
    *,
    sender: str = "Іван Петренко <ivan@firma.example.ua>",
    to: str = "zayavy@supplier.example.ua",
    subject: str = "Заява-приєднання",
    message_id: str | None = "auto",
    extra: dict[str, str] | None = None,
) -> list[str]:
    name, _, addr = sender.rpartition(" <")
    from_header = f"{encoded_word(name)} <{addr}" if name and not name.isascii() else sender
    lines = [
        f"From: {from_header}",
        f"To: {to}",
        f"Subject: {encoded_word(subject) if not subject.isascii() else subject}",
        f"Date: {DATE}",
        "MIME-Version: 1.0",
    ]
    if message_id == "auto":
        message_id = f"<{uuid.uuid4().hex}@mail.firma.example.ua>"
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    for key, value in (extra or {}).items():
        lines.append(f"{key}: {value}")
    return lines


def part(data: bytes, content_type: str, disposition: str) -> str:
    return CRLF.join([f"Content-Type: {content_type}", disposition, "Content-Transfer-Encoding: base64", "", b64(data)])


def multipart(subtype: str, parts: list[str], boundary: str | None = None) -> tuple[str, str]:
    boundary = boundary or f"----=_NextPart_{uuid.uuid4().hex[:12]}"
    body = CRLF.join(f"--{boundary}{CRLF}{p}" for p in parts) + f"{CRLF}--{boundary}--{CRLF}"
    return f'multipart/{subtype}; boundary="{boundary}"', body


def message(head: list[str], content_type: str, body: str) -> bytes:
    return (CRLF.join([*head, f"Content-Type: {content_type}", "", body])).encode("utf-8", "surrogateescape")


def text_part(text: str = "Добрий день! Надсилаємо заяву.") -> str:
    return CRLF.join(
        ['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64", "", b64(text.encode())]
    )


def with_attachments(attachments: list[tuple[str, bytes, str]], **kw: object) -> bytes:
    """A plain multipart/mixed letter; each attachment is (Content-Type, data, Content-Disposition line)."""
    ctype, body = multipart("mixed", [text_part()] + [part(d, t, disp) for t, d, disp in attachments])
    return message(headers(**kw), ctype, body)  # type: ignore[arg-type]


# -- what particular clients do ------------------------------------------------------------------------------


def outlook(filename: str, data: bytes, **kw: object) -> bytes:
    """Outlook: RFC 2047 inside quoted parameters, in windows-1251, folded; multipart/alternative + related."""
    word = encoded_word(filename, "windows-1251")
    alt_type, alt_body = multipart(
        "alternative",
        [
            text_part(),
            CRLF.join(
                [
                    'Content-Type: text/html; charset="utf-8"',
                    "Content-Transfer-Encoding: base64",
                    "",
                    b64("<p>Добрий день!</p>".encode()),
                ]
            ),
        ],
    )
    attachment = part(
        data,
        f'application/pdf;{CRLF}\tname="{word}"',
        f'Content-Disposition: attachment;{CRLF}\tfilename="{word}"',
    )
    ctype, body = multipart("mixed", [f"Content-Type: {alt_type}{CRLF}{CRLF}{alt_body}", attachment])
    return message(headers(**kw), ctype, body)  # type: ignore[arg-type]


def thunderbird(filename: str, data: bytes, **kw: object) -> bytes:
    """Thunderbird: RFC 2231 with continuations (filename*0*=, filename*1*=) in UTF-8."""
    chars = [quote(ch.encode("utf-8"), safe="") for ch in filename]
    pieces = ["".join(chars[i : i + 12]) for i in range(0, len(chars), 12)]
    params = f";{CRLF} ".join(
        f"filename*{i}*={'UTF-8' + chr(39) * 2 if i == 0 else ''}{piece}" for i, piece in enumerate(pieces)
    )
    attachment = part(data, "application/pdf", f"Content-Disposition: attachment;{CRLF} {params}")
    ctype, body = multipart("mixed", [text_part(), attachment])
    return message(headers(**kw), ctype, body)  # type: ignore[arg-type]


def gmail(filename: str, data: bytes, content_type: str = "application/pdf", **kw: object) -> bytes:
    """Gmail: RFC 2047 in UTF-8 in both name= and filename=, plus an X-Attachment-Id."""
    word = encoded_word(filename)
    attachment = CRLF.join(
        [
            f'Content-Type: {content_type}; name="{word}"',
            f'Content-Disposition: attachment; filename="{word}"',
            "Content-Transfer-Encoding: base64",
            "X-Attachment-Id: f_lx1",
            "",
            b64(data),
        ]
    )
    ctype, body = multipart("mixed", [text_part(), attachment])
    return message(headers(**kw), ctype, body)  # type: ignore[arg-type]


def raw_8bit_name(
    filename: str | bytes, data: bytes, charset: str = "cp1251", body_charset: str = "utf-8", **kw: object
) -> bytes:
    """A broken client: the name as raw bytes in the header, no encoding at all (``filename`` as bytes: exactly
    those bytes). ``body_charset``: what the letter's text part declares."""
    head = headers(**kw)  # type: ignore[arg-type]
    boundary = "b0undary"
    raw_name = filename if isinstance(filename, bytes) else filename.encode(charset)
    body = CRLF.join([f'Content-Type: text/plain; charset="{body_charset}"', "", "Hallo"])
    pieces = [
        (
            CRLF.join(
                [
                    *head,
                    f'Content-Type: multipart/mixed; boundary="{boundary}"',
                    "",
                    f"--{boundary}",
                    body,
                    f"--{boundary}",
                    "Content-Type: application/pdf",
                    'Content-Disposition: attachment; filename="',
                ]
            ).encode("utf-8")
        ),
        raw_name,
        (f'"{CRLF}Content-Transfer-Encoding: base64{CRLF}{CRLF}{b64(data)}{CRLF}--{boundary}--{CRLF}').encode(),
    ]
    return b"".join(pieces)


def forwarded(inner: bytes, **kw: object) -> bytes:
    """A colleague's letter forwarded as an attachment (message/rfc822), inside nested multiparts."""
    inner_text = inner.decode("utf-8", "surrogateescape")
    rfc822 = CRLF.join(
        ["Content-Type: message/rfc822", 'Content-Disposition: attachment; filename="forwarded.eml"', "", inner_text]
    )
    related_type, related_body = multipart("related", [text_part("Пересилаю заяву від директора.")])
    ctype, body = multipart("mixed", [f"Content-Type: {related_type}{CRLF}{CRLF}{related_body}", rfc822])
    return message(headers(**kw), ctype, body)  # type: ignore[arg-type]


def auto_reply(**kw: object) -> bytes:
    extra = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    return message(
        headers(subject="Автоматична відповідь: Заява отримана", extra=extra, **kw),  # type: ignore[arg-type]
        'text/plain; charset="utf-8"',
        "Я у відпустці до 10 березня.",
    )


def bounce(**kw: object) -> bytes:
    report_type, report_body = multipart(
        "report",
        [text_part("Delivery failed"), "Content-Type: message/delivery-status\r\n\r\nAction: failed\r\n"],
    )
    report_type += "; report-type=delivery-status"
    return message(
        headers(
            sender="Mail Delivery System <MAILER-DAEMON@mx.example.ua>",
            subject="Undelivered Mail Returned to Sender",
            **kw,
        ),  # type: ignore[arg-type]
        report_type,
        report_body,
    )


def read_receipt(**kw: object) -> bytes:
    """A disposition notification (RFC 8098), as Outlook sends when the reader agrees to "send a receipt"."""
    report_type, report_body = multipart(
        "report",
        [
            text_part("Ваше повідомлення прочитано."),
            "Content-Type: message/disposition-notification\r\n\r\n"
            "Final-Recipient: rfc822;zayavy@supplier.example.ua\r\n"
            "Disposition: manual-action/MDN-sent-manually; displayed\r\n",
        ],
    )
    return message(
        headers(subject="Прочитано: Заява-приєднання", **kw),  # type: ignore[arg-type]
        report_type + "; report-type=disposition-notification",
        report_body,
    )


def eai(data: bytes, **kw: object) -> bytes:
    """An internationalised sender (RFC 6532): the address itself in raw UTF-8, no encoding anywhere."""
    return with_attachments(
        [("application/pdf", data, 'Content-Disposition: attachment; filename="scan.pdf"')],
        sender="Jörg Döe <jdöe@mächine.example>",
        **kw,
    )


def raw_headers(extra: bytes, data: bytes) -> bytes:
    """A letter with raw bytes spliced into its header block (what broken gateways pass on)."""
    letter = with_attachments([("application/pdf", data, 'Content-Disposition: attachment; filename="scan.pdf"')])
    return letter.replace(b"MIME-Version: 1.0", b"MIME-Version: 1.0\r\n" + extra, 1)


def yahoo_cut_name(filename: str, data: bytes, cut_bytes: int = 40, **kw: object) -> bytes:
    """Yahoo's webmail: a long UTF-8 name cut to a number of bytes, mid-character, inside an encoded word."""
    raw = filename.encode("utf-8")[:cut_bytes]
    word = f"=?utf-8?B?{base64.b64encode(raw).decode()}?="
    attachment = part(data, f'application/pdf; name="{word}"', f'Content-Disposition: attachment; filename="{word}"')
    ctype, body = multipart("mixed", [text_part(), attachment])
    return message(headers(**kw), ctype, body)  # type: ignore[arg-type]
