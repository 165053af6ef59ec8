"""``backoffice signatures verify``: check a signed file from the command line.

Exit codes are part of the interface (scripts and the intake job rely on them):
0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE or no signature, 3 usage or
I/O error.  click's own usage errors exit 2 by default, which would collide with
INDETERMINATE, so the group and its commands re-label them as 3.

The only Flask touch is optional: without ``--trust-root`` the trust roots come
from ``current_app.config["SETTINGS"].signatures`` when an app context exists.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from signatures import FileReport, VerificationPolicy

# The verifier (pyHanko and what it loads: half a second and about 26 MB) is imported by these commands when they
# run, not with this module: every ``backoffice`` command registers this group, and most never verify anything.

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_INDETERMINATE = 2
EXIT_USAGE = 3


class _UsageError(click.UsageError):
    exit_code = EXIT_USAGE


class _UsageExit3:
    """Mixin: any click usage error leaves with exit code 3."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)  # type: ignore[misc, no-any-return]
        except click.UsageError as exc:
            raise _UsageError(exc.format_message(), exc.ctx) from exc


class _Command(_UsageExit3, click.Command):
    pass


class _Group(_UsageExit3, click.Group):
    command_class = _Command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise _UsageError(exc.format_message(), exc.ctx) from exc


def _paths(flag: str, dest: str, help: str, *, dir_okay: bool = False) -> Callable[[Any], Any]:
    """An option naming files (or folders) that may be given more than once."""
    return click.option(flag, dest, multiple=True, type=click.Path(dir_okay=dir_okay, path_type=Path), help=help)


signatures_cli = _Group(
    "signatures",
    help="Перевірка кваліфікованих електронних підписів (КЕП) у документах.",
)


def exit_code_for(report: FileReport) -> int:
    """Map a report to the documented exit code."""
    from signatures import Indication

    if not report.has_signature:
        return EXIT_INDETERMINATE
    if report.passed:
        return EXIT_PASSED
    if report.indication is Indication.TOTAL_FAILED:
        return EXIT_FAILED
    return EXIT_INDETERMINATE


def _settings_section() -> Any | None:
    """The ``[signatures]`` settings of the running app, if there is one."""
    try:
        from flask import current_app, has_app_context
        from flask.cli import ScriptInfo
    except ImportError:  # pragma: no cover - flask is a project dependency
        return None
    if has_app_context():
        settings = current_app.config.get("SETTINGS")
        return getattr(settings, "signatures", None) if settings is not None else None
    # Under the `backoffice` FlaskGroup the app may not be pushed yet.
    ctx = click.get_current_context(silent=True)
    info = ctx.find_object(ScriptInfo) if ctx is not None else None
    if info is None:
        return None
    try:
        app = info.load_app()
    except Exception:
        return None
    settings = app.config.get("SETTINGS")
    return getattr(settings, "signatures", None) if settings is not None else None


def _policy(
    trust_roots: tuple[str, ...],
    crls: tuple[str, ...],
    ocsps: tuple[str, ...],
    revocation_mode: str | None,
    at: datetime | None,
) -> VerificationPolicy:
    from signatures import VerificationPolicy

    overrides: dict[str, Any] = {}
    if revocation_mode:
        overrides["revocation_mode"] = revocation_mode
    if at is not None:
        overrides["validation_time"] = at if at.tzinfo else at.astimezone()
    if trust_roots:
        return VerificationPolicy.from_paths(trust_roots, crls=crls, ocsp_responses=ocsps, **overrides)
    section = _settings_section()
    base = VerificationPolicy.from_settings(section) if section is not None else VerificationPolicy()
    extra = VerificationPolicy.from_paths((), crls=crls, ocsp_responses=ocsps)
    kwargs: dict[str, Any] = {
        "trust_roots": base.trust_roots,
        "revocation_mode": base.revocation_mode,
        "allow_online_fetch": base.allow_online_fetch,
        "max_file_bytes": base.max_file_bytes,
        "max_pages": base.max_pages,
        "timeout_seconds": base.timeout_seconds,
        "crls": extra.crls,
        "ocsp_responses": extra.ocsp_responses,
    }
    kwargs.update(overrides)
    return VerificationPolicy(**kwargs)


def _human(report: FileReport) -> str:
    integrity = report.integrity.value if report.integrity else "—"
    lines = [
        f"Файл: {report.filename}  ({report.format}, {report.size} байт)",
        f"Результат: {report.indication.value}"
        + (f" / {report.sub_indication}" if report.sub_indication else "")
        + f"; цілісність: {integrity}",
        report.message,
    ]
    for i, sig in enumerate(report.signatures, start=1):
        who = sig.signer
        ident = (
            f"{who.name or '?'}; РНОКПП {who.tax_number or '—'}; ЄДРПОУ {who.edrpou or '—'}"
            f"{'; печатка' if who.is_seal else ''}{'; кваліфікований' if who.qualified else ''}"
            if who
            else "підписувач невідомий"
        )
        when = sig.best_signing_time.isoformat() if sig.best_signing_time else "—"
        lines.append(
            f"  [{i}] {sig.kind} {sig.field_name or ''} {sig.format} {sig.algorithm or ''}: "
            f"{sig.indication.value}/{sig.sub_indication or '-'}, {sig.integrity.value}"
        )
        lines.append(f"      {ident}; час підпису: {when}")
        if sig.message_code != report.message_code:
            lines.append(f"      {sig.message}")
    if report.manual_review:
        lines.append("Потрібна ручна перевірка оператором.")
    return "\n".join(lines)


@signatures_cli.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--signature",
    "signature",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Detached signature (.p7s) over FILE.",
)
@_paths("--trust-root", "trust_roots", "Trusted CA certificate, bundle or directory (repeatable).", dir_okay=True)
@_paths("--crl", "crls", "Offline CRL (repeatable).")
@_paths("--ocsp", "ocsps", "Offline OCSP response, DER (repeatable).")
@click.option(
    "--revocation-mode",
    type=click.Choice(["hard-fail", "soft-fail"]),
    default=None,
    help="Override the revocation mode (default: settings, else hard-fail).",
)
@click.option(
    "--at",
    "at",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Validate as of this time instead of now.",
)
@click.option("--edrpou", default=None, help="Expected EDRPOU of the applicant company.")
@click.option("--signatory-tax-number", default=None, help="Tax number of the contract signatory.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report.")
def verify_command(
    file: Path,
    signature: Path | None,
    trust_roots: tuple[Path, ...],
    crls: tuple[Path, ...],
    ocsps: tuple[Path, ...],
    revocation_mode: str | None,
    at: datetime | None,
    edrpou: str | None,
    signatory_tax_number: str | None,
    as_json: bool,
) -> None:
    """Verify the signatures in FILE and print a summary (or --json)."""
    from signatures import ExpectedSigner, PolicyError, verify

    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        document = file.read_bytes()
        detached = signature.read_bytes() if signature is not None else None
        policy = _policy(
            tuple(str(p) for p in trust_roots),
            tuple(str(p) for p in crls),
            tuple(str(p) for p in ocsps),
            revocation_mode,
            at,
        )
    except (OSError, PolicyError) as exc:
        click.echo(f"Помилка: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from exc
    expected = (
        ExpectedSigner(edrpou=edrpou, signatory_tax_number=signatory_tax_number)
        if edrpou or signatory_tax_number
        else None
    )
    report = verify(document, detached_signature=detached, filename=file.name, policy=policy, expected=expected)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(_human(report))
    raise SystemExit(exit_code_for(report))


trust_cli = _Group("trust", help="Довірені сертифікати надавачів (ЦЗО): імпорт у сховище з налаштувань.")
signatures_cli.add_command(trust_cli)


@trust_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Trust-store folder (default: [signatures] trust_roots of the settings).",
)
def trust_import_command(file: Path, into: Path | None) -> None:
    """Import the CA certificates of FILE (a .p7b bundle or the trusted-list XML from czo.gov.ua)."""
    from signatures import PolicyError
    from signatures.trustlist import import_certificates, read_trust_material

    folder = into
    if folder is None:
        section = _settings_section()
        configured = getattr(section, "trust_roots", None) if section is not None else None
        folder = Path(configured) if configured else None
    if folder is None or (folder.exists() and not folder.is_dir()):
        click.echo("Помилка: [signatures] trust_roots має бути теку (або вкажіть --into).", err=True)
        raise SystemExit(EXIT_USAGE)
    try:
        certificates = read_trust_material(file)
        added = import_certificates(certificates, folder)
    except (OSError, PolicyError) as exc:
        click.echo(f"Помилка: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from exc
    click.echo(f"Сертифікатів у файлі: {len(certificates)}; додано нових: {len(added)}; сховище: {folder}")
