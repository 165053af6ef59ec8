"""Test messages written the way real mail clients write them, byte for byte.

Built by hand rather than with ``email.message.EmailMessage`` where the clients do something the library
would not (encoded words inside quoted parameters, split RFC 2231 continuations, raw 8-bit names), because
those are exactly the messages the intake must survive.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import struct
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
    if not path.is_file():  # say where it was looked for and how to point elsewhere, not a bare FileNotFoundError
        from tests.conftest import unavailable

        unavailable(
            f"shared corpus missing: no {path}; put the `shared` folder beside the checkout, or set "
            "BACKOFFICE_SHARED_DIR to the folder that holds corpus/pdf-attacks"
        )
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
    filename: str | bytes,
    data: bytes,
    charset: str = "cp1251",
    body_charset: str = "utf-8",
    part_charset: str | None = None,
    **kw: object,
) -> bytes:
    """A broken client: the name as raw bytes in the header, no encoding at all (``filename`` as bytes: exactly
    those bytes). ``body_charset``: what the letter's text part declares; ``part_charset``: what the file's own
    part declares (``Content-Type: application/pdf; charset=...``), when it does."""
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
                    "Content-Type: application/pdf" + (f'; charset="{part_charset}"' if part_charset else ""),
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


def tnef(files: dict[str, bytes]) -> bytes:
    """A winmail.dat as Outlook writes it for rich-text mail (MS-OXTNEF): a signature, a key, then attributes,
    each with its level, id, length, data and checksum; every attached file is a rendering block, a title and
    its data."""

    def attribute(level: int, attr: int, data: bytes) -> bytes:
        checksum = sum(data) & 0xFFFF
        return bytes([level]) + struct.pack("<II", attr, len(data)) + data + struct.pack("<H", checksum)

    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attribute(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attribute(1, 0x00069007, struct.pack("<II", 1251, 0))  # attOemCodepage
    for name, data in files.items():
        out += attribute(2, 0x00069002, b"\x01\x00" + b"\xff" * 4 + b"\x00" * 8)  # attAttachRendData
        out += attribute(2, 0x00018010, name.encode("cp1251") + b"\x00")  # attAttachTitle
        out += attribute(2, 0x0006800F, data)  # attAttachData
    return out


def outlook_rich_text(files: dict[str, bytes], **kw: object) -> bytes:
    """Outlook sending "rich text": the files inside winmail.dat (application/ms-tnef), none outside it."""
    return with_attachments(
        [("application/ms-tnef", tnef(files), 'Content-Disposition: attachment; filename="winmail.dat"')], **kw
    )


def uuencoded(name: str, data: bytes) -> str:
    lines = [f"begin 644 {name}"]
    for i in range(0, len(data), 45):
        lines.append(binascii.b2a_uu(data[i : i + 45]).decode().rstrip("\n"))
    return CRLF.join([*lines, "`", "end"])


def uuencode_in_text(name: str, data: bytes, **kw: object) -> bytes:
    """An old client's "uuencode" mode: the file as a begin/end block inside the text of the letter."""
    body = CRLF.join(["Добрий день! Заява нижче.", "", uuencoded(name, data), ""])
    return message(headers(**kw), 'text/plain; charset="utf-8"', body)  # type: ignore[arg-type]


def x_uuencode_part(name: str, data: bytes, **kw: object) -> bytes:
    """A file sent with ``Content-Transfer-Encoding: x-uuencode`` (old Unix and DOS clients, some scanners)."""
    attachment = CRLF.join(
        [
            f'Content-Type: application/pdf; name="{name}"',
            f'Content-Disposition: attachment; filename="{name}"',
            "Content-Transfer-Encoding: x-uuencode",
            "",
            uuencoded(name, data),
        ]
    )
    ctype, body = multipart("mixed", [text_part(), attachment])
    return message(headers(**kw), ctype, body)  # type: ignore[arg-type]


def uuencode_attachment(name: str, data: bytes, **kw: object) -> bytes:
    """A file as a part of its own typed ``application/x-uuencode``, the begin/end block as its 7-bit text."""
    attachment = CRLF.join(
        [
            f'Content-Type: application/x-uuencode; name="{name}.uue"',
            f'Content-Disposition: attachment; filename="{name}.uue"',
            "Content-Transfer-Encoding: 7bit",
            "",
            uuencoded(name, data),
        ]
    )
    ctype, body = multipart("mixed", [text_part(), attachment])
    return message(headers(**kw), ctype, body)  # type: ignore[arg-type]


def binhex_part(**kw: object) -> bytes:
    """A Mac client's BinHex 4.0 attachment (only its start: it is refused, not decoded)."""
    hqx = "(This file must be converted with BinHex 4.0)\r\n\r\n:$f*TEQKPH#jdCA0d,R4iG!\"849K8:\r\n"
    attachment = CRLF.join(
        ['Content-Type: application/mac-binhex40; name="zayava.hqx"',
         'Content-Disposition: attachment; filename="zayava.hqx"', "", hqx]
    )
    ctype, body = multipart("mixed", [text_part(), attachment])
    return message(headers(**kw), ctype, body)  # type: ignore[arg-type]


def wrong_boundary(data: bytes, **kw: object) -> bytes:
    """A multipart whose declared boundary is not the one its parts are separated by (a broken gateway)."""
    _, body = multipart(
        "mixed",
        [text_part(), part(data, "application/pdf", 'Content-Disposition: attachment; filename="zayava.pdf"')],
        boundary="real-boundary-42",
    )
    return message(headers(**kw), 'multipart/mixed; boundary="declared-but-never-used"', body)  # type: ignore[arg-type]


def partial_fragments(
    whole: bytes, count: int, ident: str = "split-42@mail.firma.example.ua", **kw: object
) -> list[bytes]:
    """``whole`` sent as ``count`` message/partial fragments (RFC 2046 5.2.2), split on line boundaries; only
    the last one says the total, as Outlook Express did."""
    lines = whole.splitlines(keepends=True)
    size = -(-len(lines) // count)
    chunks = [b"".join(lines[i : i + size]) for i in range(0, len(lines), size)]
    assert len(chunks) == count
    out = []
    for number, chunk in enumerate(chunks, 1):
        total = f"; total={count}" if number == count else ""
        head = headers(subject=f"Заява (частина {number})", **kw)  # type: ignore[arg-type]
        ctype = f'message/partial; id="{ident}"; number={number}{total}'
        out.append(CRLF.join([*head, f"Content-Type: {ctype}", "", ""]).encode() + chunk)
    return out


def smime_entity(attachments: list[tuple[str, bytes, str]], text: str = "Добрий день! Заява в додатку.") -> bytes:
    """The MIME entity an S/MIME client signs: the letter's text and its files, in canonical CRLF form."""
    parts = [text_part(text)] + [part(d, t, disp) for t, d, disp in attachments]
    if len(parts) == 1:
        return parts[0].encode()
    ctype, body = multipart("mixed", parts, boundary="------------signed-inner-0042")
    return f"Content-Type: {ctype}{CRLF}{CRLF}{body}".encode()


def smime_signed(entity: bytes, signature: bytes, **kw: object) -> bytes:
    """Thunderbird's S/MIME signature: multipart/signed, the entity first, then smime.p7s (RFC 8551)."""
    boundary = "------------ms010203040506070809"
    sig_part = CRLF.join(
        [
            'Content-Type: application/pkcs7-signature; name="smime.p7s"',
            "Content-Transfer-Encoding: base64",
            'Content-Disposition: attachment; filename="smime.p7s"',
            "Content-Description: S/MIME Cryptographic Signature",
            "",
            b64(signature),
        ]
    )
    body = (
        f"This is a cryptographically signed message in MIME format.{CRLF}{CRLF}--{boundary}{CRLF}".encode()
        + entity
        + f"{CRLF}--{boundary}{CRLF}{sig_part}{CRLF}--{boundary}--{CRLF}".encode()
    )
    ctype = (
        f'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="{boundary}"'
    )
    head = CRLF.join([*headers(**kw), f"Content-Type: {ctype}", "", ""]).encode()  # type: ignore[arg-type]
    return head + body


def smime_opaque(signed_data: bytes, **kw: object) -> bytes:
    """Outlook's opaque S/MIME signature: the entity inside the CMS, as application/pkcs7-mime (smime.p7m)."""
    return message(
        headers(**kw),  # type: ignore[arg-type]
        'application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"',
        "",
    ).replace(
        b"\r\n\r\n",
        b'\r\nContent-Disposition: attachment; filename="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + b64(signed_data).encode(),
        1,
    )
