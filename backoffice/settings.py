"""Settings: one TOML file, environment overrides, validated once and frozen.

A mistyped key in a settings file is the kind of error that otherwise shows up weeks later as "letters never
left", so every key is declared here as a typed dataclass field and anything else stops start-up with a message
that names the key and the file.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import secrets
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from backoffice.errors import BackofficeError

ENV_PREFIX = "BACKOFFICE_"
#: Environment variables with the prefix that are not settings keys.
ENV_NOT_SETTINGS = frozenset({"BACKOFFICE_CONFIG", "BACKOFFICE_SHARED_DIR", "BACKOFFICE_SECRET_KEY_PREVIOUS"})
ENV_NOT_SETTINGS_PREFIXES = ("BACKOFFICE_TEST_",)
#: Keys that may only come from the environment, never from the file.
SECRETS = {
    "secret_key": "BACKOFFICE_SECRET_KEY",
    "code_key": "BACKOFFICE_CODE_KEY",
    "server.metrics_token": "BACKOFFICE_METRICS_TOKEN",
    "smtp.password": "BACKOFFICE_SMTP_PASSWORD",
    "imap.password": "BACKOFFICE_IMAP_PASSWORD",
}
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config.toml"
LANGUAGES = ("uk", "ru", "en")


class SettingsError(BackofficeError):
    """The settings cannot be used; the message says which key in which file and why."""


def _at_least(section: str, values: object, minimum: int, *keys: str) -> None:
    """Each of ``keys`` of ``[section]`` (attributes of ``values``) is ``minimum`` or more: a count, an interval
    or a period that must not be zero."""
    for key in keys:
        if getattr(values, key) < minimum:
            raise SettingsError(f"[{section}] {key} must be at least {minimum}")


@dataclass(frozen=True)
class SiteSettings:
    base_url: str = "http://127.0.0.1:5000"
    default_language: str = "uk"
    instance_dir: Path = Path("instance")
    supplier_name: str = "Supplier"
    dso_url: str = "https://example.org/dso"
    support_email: str = "support@example.org"
    support_phone: str = ""
    rate_limit_storage_uri: str = "memory://"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""
    echo: bool = False


@dataclass(frozen=True)
class StorageSettings:
    backend: str = "folder"
    documents_dir: Path | None = None
    chunk_kb: int = 256

    def __post_init__(self) -> None:
        if not 4 <= self.chunk_kb <= 65536:
            raise SettingsError("[storage] chunk_kb must be between 4 and 65536")


@dataclass(frozen=True)
class MailSettings:
    transport: str = "folder"
    folder: Path | None = None
    sender: str = "noreply@example.org"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 587
    security: str = "starttls"
    username: str = ""
    timeout_seconds: int = 30
    ca_file: Path | None = None
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class IntakeSettings:
    source: str = "maildir"
    maildir: Path | None = None
    processed_folder: str = "Processed"
    max_message_mb: int = 40
    max_attachments: int = 20
    max_unpacked_mb: int = 100
    max_nesting: int = 3
    poll_interval_seconds: int = 60
    database_retry_max_seconds: int = 60
    #: Processes that share a large batch of messages (PostgreSQL only; see intake/lanes.py).
    workers: int = 2

    def __post_init__(self) -> None:
        _at_least("intake", self, 1, "database_retry_max_seconds", "workers")


@dataclass(frozen=True)
class ImapSettings:
    host: str = "127.0.0.1"
    port: int = 993
    security: str = "tls"
    ca_file: Path | None = None
    username: str = ""
    folder: str = "INBOX"
    timeout_seconds: int = 60
    idle_seconds: int = 300
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class WorkflowSettings:
    registration_code_ttl_days: int = 14
    review_deadline_hours: int = 48
    call_retry_hours: int = 4
    call_attempts_before_letter: int = 3
    auto_accept_verified_signatures: bool = True


@dataclass(frozen=True)
class SignatureSettings:
    trust_roots: Path | None = None
    crl_dir: Path | None = None
    revocation_mode: str = "hard-fail"
    allow_online_fetch: bool = False
    max_file_mb: int = 50
    max_pages: int = 500
    timeout_seconds: int = 60


@dataclass(frozen=True)
class StaffSettings:
    session_idle_minutes: int = 30
    failed_logins_per_account: int = 5
    failed_logins_per_address: int = 30
    failed_login_window_minutes: int = 15


@dataclass(frozen=True)
class FlowSettings:
    accession: bool = True
    self_registration: bool = False


#: The cabinet's sections of seed 001 that a deployment may turn on, in the document's order (the profile is
#: always there).
CABINET_SECTIONS = ("services", "meters", "connection_applications", "appeals", "requests", "documents")
#: The documents a customer may ask e-copies of, unless the settings name fewer.
DOCUMENT_TYPES = ("contract", "invoice", "reconciliation_statement", "act")


@dataclass(frozen=True)
class CabinetSettings:
    """Which sections each flow's cabinet shows, and how long staff have to answer what customers ask there
    (seed 001; issue 19). Flow A keeps the meters section as its notice that readings go to the distribution
    system operator, so it is off there by default; Flow B has them all."""

    accession_sections: tuple[str, ...] = ("services", "appeals", "requests", "documents")
    self_registration_sections: tuple[str, ...] = CABINET_SECTIONS
    document_types: tuple[str, ...] = DOCUMENT_TYPES
    #: Days to answer, from arrival, per kind of request (the law on citizens' appeals gives a month; a request
    #: for information five working days).
    appeal_days: int = 30
    information_days: int = 5
    document_days: int = 5
    connection_days: int = 15
    meter_days: int = 10
    reading_check_days: int = 3
    #: Hours before a deadline at which staff are reminded of it (once per request).
    remind_before_hours: int = 24
    #: Days a request may wait for the customer's reply before the scheduler closes it, telling the customer.
    close_waiting_after_days: int = 14
    #: The days of the month (inclusive) on which the customer may submit meter readings; a day past the month's
    #: last (31) means up to the month's end.
    readings_from_day: int = 20
    readings_to_day: int = 31
    #: A consumption more than this many times the average of the previous periods asks the customer to confirm,
    #: and a confirmed one waits for staff's check.
    implausible_jump_factor: float = 3.0

    def __post_init__(self) -> None:
        for name in ("accession_sections", "self_registration_sections", "document_types"):
            value = getattr(self, name)
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise SettingsError(f"[cabinet] {name} must be a list of strings, not {value!r}")
            object.__setattr__(self, name, tuple(value))
        for name in ("accession_sections", "self_registration_sections"):
            unknown = set(getattr(self, name)) - set(CABINET_SECTIONS)
            if unknown:
                raise SettingsError(
                    f"[cabinet] {name}: no section {', '.join(sorted(unknown))}; known: {', '.join(CABINET_SECTIONS)}"
                )
        unknown = set(self.document_types) - set(DOCUMENT_TYPES)
        if unknown or not self.document_types:
            raise SettingsError(f"[cabinet] document_types must be some of {', '.join(DOCUMENT_TYPES)}")
        _at_least("cabinet", self, 1, "appeal_days", "information_days", "document_days", "connection_days",
                  "meter_days", "reading_check_days", "close_waiting_after_days")
        for name in ("readings_from_day", "readings_to_day"):
            day = getattr(self, name)
            if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 31:
                raise SettingsError(f"[cabinet] {name} must be a day of the month, 1 to 31, not {day!r}")
        if self.readings_from_day > self.readings_to_day:
            raise SettingsError("[cabinet] readings_from_day must not come after readings_to_day")
        factor = self.implausible_jump_factor
        if not isinstance(factor, int | float) or isinstance(factor, bool) or factor <= 1:
            raise SettingsError(f"[cabinet] implausible_jump_factor must be a number above 1, not {factor!r}")
        object.__setattr__(self, "implausible_jump_factor", float(factor))

    @property
    def any_sections(self) -> tuple[str, ...]:
        """Every section either flow's cabinet turns on: its pages and the staff's queue exist for these."""
        both = set(self.accession_sections) | set(self.self_registration_sections)
        return tuple(k for k in CABINET_SECTIONS if k in both)

    def sections_of(self, self_registered: bool) -> tuple[str, ...]:
        """The sections of one flow's cabinet: a Flow B person's, or a Flow A customer's."""
        return self.self_registration_sections if self_registered else self.accession_sections


@dataclass(frozen=True)
class SelfRegistrationSettings:
    confirmation_link_hours: int = 72
    reminder_after_hours: int = 24
    remove_unconfirmed_after_days: int = 7
    jobs_interval_seconds: int = 300
    #: Flow B serves a country of its own (its identifiers are SNILS, OGRNIP, OGRN): its pages speak this language
    #: unless the person picks another, whatever Flow A's ``[site] default_language``.
    language: str = "ru"
    #: The country (ISO 3166 code) whose phone numbers Flow B's customers write nationally.
    country: str = "RU"
    #: The distribution system operator's site for Flow B's customers; empty: the cabinet names none.
    dso_url: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]{2}", self.country):
            raise SettingsError(f"[self_registration] country must be a two-letter country code, not {self.country!r}")
        _at_least("self_registration", self, 1, "confirmation_link_hours", "jobs_interval_seconds")
        if self.remove_unconfirmed_after_days * 24 < self.confirmation_link_hours:
            raise SettingsError(
                "[self_registration] remove_unconfirmed_after_days must not end before a confirmation link does "
                f"({self.confirmation_link_hours} hours)"
            )
        if self.reminder_after_hours >= self.remove_unconfirmed_after_days * 24:
            raise SettingsError(
                "[self_registration] reminder_after_hours must come before the removal "
                "(remove_unconfirmed_after_days)"
            )


@dataclass(frozen=True)
class LetterSettings:
    max_attempts: int = 8
    backoff_seconds: int = 60
    backoff_max_seconds: int = 21600
    batch_size: int = 100
    claim_seconds: int = 60

    def __post_init__(self) -> None:
        # Renewed every third of it: a shorter lease would be renewed all the time.
        _at_least("letters", self, 3, "claim_seconds")


@dataclass(frozen=True)
class SchedulerSettings:
    run_with_web: bool = True
    timezone: str = "Europe/Kyiv"
    deliver_interval_seconds: int = 30
    intake_enabled: bool = True
    intake_interval_seconds: int = 60
    codes_interval_seconds: int = 300
    calls_interval_seconds: int = 300
    code_reminder_days: int = 3
    code_expiring_hours: int = 48
    digest_time: str = "08:00"
    digest_recipients: str = ""
    retention_days: int = 365
    retention_time: str = "03:30"

    def __post_init__(self) -> None:
        for key in ("digest_time", "retention_time"):
            try:
                parse_time(getattr(self, key))
            except ValueError:
                raise SettingsError(f"[scheduler] {key} must be a time as HH:MM, not {getattr(self, key)!r}") from None
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"[scheduler] timezone: unknown time zone {self.timezone!r}") from None
        for address in recipients(self.digest_recipients):
            if "@" not in address:
                raise SettingsError(f"[scheduler] digest_recipients: {address!r} is not an email address")
        _at_least(
            "scheduler", self, 1,
            "deliver_interval_seconds", "intake_interval_seconds", "codes_interval_seconds", "calls_interval_seconds",
        )


_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_time(value: str) -> time:
    """A daily job's "HH:MM"; ValueError for anything else."""
    match = _HHMM.match(value)
    if match is None:
        raise ValueError(value)
    return time(int(match.group(1)), int(match.group(2)))


def recipients(value: str) -> list[str]:
    """A comma-separated list of addresses, blanks left out."""
    return [part.strip() for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class ServerSettings:
    bind: str = "127.0.0.1:8000"
    workers: int = 2
    threads: int = 4
    timeout_seconds: int = 60
    graceful_timeout_seconds: int = 30
    keepalive_seconds: int = 5
    access_log: str = "-"
    trusted_proxies: int = 0
    monitoring_networks: str = "127.0.0.0/8, ::1/128"
    #: /readyz says "not ready" when the scheduler's last heartbeat is older than this (0: not checked).
    scheduler_stale_seconds: int = 300
    #: ... or when the intake's last successful poll, or the oldest message waiting to be processed, is older.
    intake_stale_seconds: int = 900
    metrics_token: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        try:
            self.networks()
        except ValueError as exc:
            raise SettingsError(f"[server] monitoring_networks: {exc}") from None
        _at_least("server", self, 1, "workers")

    def networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The monitoring allow-list, parsed (a bare address is a network of one)."""
        return tuple(ipaddress.ip_network(n.strip()) for n in self.monitoring_networks.split(",") if n.strip())


@dataclass(frozen=True)
class LoggingSettings:
    level: str = "INFO"
    format: str = "json"


@dataclass(frozen=True)
class Settings:
    """Everything the product reads from its settings file and environment."""

    site: SiteSettings = field(default_factory=SiteSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    imap: ImapSettings = field(default_factory=ImapSettings)
    workflow: WorkflowSettings = field(default_factory=WorkflowSettings)
    signatures: SignatureSettings = field(default_factory=SignatureSettings)
    flows: FlowSettings = field(default_factory=FlowSettings)
    cabinet: CabinetSettings = field(default_factory=CabinetSettings)
    self_registration: SelfRegistrationSettings = field(default_factory=SelfRegistrationSettings)
    staff: StaffSettings = field(default_factory=StaffSettings)
    letters: LetterSettings = field(default_factory=LetterSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    secret_key: str = field(default="", repr=False)
    #: Earlier session keys still accepted while a rotation's window lasts (BACKOFFICE_SECRET_KEY_PREVIOUS).
    secret_key_fallbacks: tuple[str, ...] = field(default=(), repr=False)
    #: Keys the registration codes, apart from the session key, so rotating one leaves the other's codes valid.
    code_key: str = field(default="", repr=False)
    source: str = "<defaults>"
    #: The keys ("section.key") given by the file, the environment or an override rather than left at their
    #: defaults: a command may fill in what was left unset (``backoffice run`` makes ``site.base_url`` its own
    #: address) but never overrides what an administrator wrote.
    explicit: frozenset[str] = frozenset()

    # Derived paths: one place decides where an empty setting points.
    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.site.instance_dir / 'backoffice.sqlite3'}"

    @property
    def is_embedded(self) -> bool:
        """The single-machine default: SQLite and a plain-http address. Anything else is a real deployment."""
        return not self.database.url.startswith("postgresql") and not self.site.base_url.startswith("https://")

    @property
    def documents_dir(self) -> Path:
        return self.storage.documents_dir or self.site.instance_dir / "documents"

    @property
    def outbox_dir(self) -> Path:
        return self.mail.folder or self.site.instance_dir / "outbox"

    @property
    def maildir(self) -> Path:
        return self.intake.maildir or self.site.instance_dir / "maildir"

    def replace(self, **sections: Mapping[str, Any]) -> Settings:
        """A copy with some keys changed, validated like the file (tests use this)."""
        built = _build(_merge(_as_dict(self), sections), source=self.source)
        return dataclasses.replace(built, explicit=self.explicit | _keys_of(sections))


_NOT_SECTIONS = {"secret_key", "secret_key_fallbacks", "code_key", "source", "explicit"}
_SECTIONS: dict[str, type] = {
    f.name: typing.get_type_hints(Settings)[f.name]
    for f in dataclasses.fields(Settings)
    if f.name not in _NOT_SECTIONS
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "site.default_language": LANGUAGES,
    "self_registration.language": LANGUAGES,
    "mail.transport": ("folder", "smtp"),
    "smtp.security": ("starttls", "tls", "none"),
    "intake.source": ("maildir", "imap"),
    "imap.security": ("tls", "starttls", "none"),
    "signatures.revocation_mode": ("hard-fail", "soft-fail"),
    "storage.backend": ("folder", "database"),
    "logging.level": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "logging.format": ("json", "text"),
}


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Read the settings file, apply environment variables and explicit overrides, validate, freeze."""
    environ = os.environ if environ is None else environ
    file = Path(path or environ.get("BACKOFFICE_CONFIG") or DEFAULT_FILE).resolve()
    try:
        with file.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"{file}: the settings file does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{file}: not valid TOML: {exc}") from None

    data: dict[str, Any] = {}
    for section, values in raw.items():
        if section not in _SECTIONS:
            raise SettingsError(f"{file}: unknown section [{section}]; known: {', '.join(sorted(_SECTIONS))}")
        if not isinstance(values, dict):
            raise SettingsError(f"{file}: '{section}' must be a section ([{section}]), not a value")
        for key in values:
            secret_env = SECRETS.get(f"{section}.{key}")
            if secret_env:
                raise SettingsError(f"{file}: [{section}] {key} is a secret; set it in {secret_env} instead")
        data[section] = dict(values)

    _apply_environment(data, environ)
    if overrides:
        data = _merge(data, overrides)
    settings = _build(data, source=str(file), base_dir=file.parent)
    return dataclasses.replace(settings, explicit=_keys_of(data), **_secrets(settings, environ, file))


def _keys_of(sections: Mapping[str, Any]) -> frozenset[str]:
    """"section.key" of every key given in ``sections`` (a value that is itself a section's table)."""
    return frozenset(
        f"{section}.{key}" for section, values in sections.items() if isinstance(values, Mapping) for key in values
    )


def _secrets(settings: Settings, environ: Mapping[str, str], file: Path) -> dict[str, Any]:
    """The session key, its predecessors and the code key.

    The embedded default generates its keys once into the instance folder so that ``scripts/start`` needs no
    set-up. A real deployment (PostgreSQL, or an https address) must be given them: a key generated on one web
    host would not be known on the next, and sessions and codes would break at random.
    """
    secret = environ.get("BACKOFFICE_SECRET_KEY", "")
    code_key = environ.get("BACKOFFICE_CODE_KEY", "")
    if not settings.is_embedded:
        missing = [n for n, v in (("BACKOFFICE_SECRET_KEY", secret), ("BACKOFFICE_CODE_KEY", code_key)) if not v]
        if missing:
            raise SettingsError(
                f"{file}: {' and '.join(missing)} must be set: this is not the embedded default "
                "(the database is not SQLite, or base_url is https), so no key is generated"
            )
    for name, value in (("BACKOFFICE_SECRET_KEY", secret), ("BACKOFFICE_CODE_KEY", code_key)):
        if value and len(value) < 32:
            raise SettingsError(f"environment: {name} is too short; use at least 32 random characters")
    previous = tuple(k for k in environ.get("BACKOFFICE_SECRET_KEY_PREVIOUS", "").split() if k)
    return {
        "secret_key": secret or _instance_secret(settings.site.instance_dir, "secret_key"),
        "code_key": code_key or _instance_secret(settings.site.instance_dir, "code_key"),
        "secret_key_fallbacks": previous,
    }


def _apply_environment(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_SETTINGS or name in SECRETS.values():
            continue
        if name.startswith(ENV_NOT_SETTINGS_PREFIXES):
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        for section, cls in _SECTIONS.items():
            if rest.startswith(section + "_"):
                key = rest[len(section) + 1 :]
                if key in {f.name for f in dataclasses.fields(cls)}:
                    data.setdefault(section, {})[key] = _from_env(value, _field_type(cls, key))
                    break
        else:
            raise SettingsError(f"environment: {name} is not a known setting (BACKOFFICE_<SECTION>_<KEY>)")
    for dotted, env in SECRETS.items():
        if "." in dotted and environ.get(env):
            section, key = dotted.split(".")
            if section in _SECTIONS:
                data.setdefault(section, {})[key] = environ[env]


def _from_env(value: str, kind: Any) -> Any:
    if kind is bool:
        if value.lower() in {"1", "true", "yes", "on"}:
            return True
        if value.lower() in {"0", "false", "no", "off"}:
            return False
    if kind is int:
        try:
            return int(value)
        except ValueError:
            return value  # _build names the key and the expected type
    return value


def _field_type(cls: type, key: str) -> Any:
    hint = typing.get_type_hints(cls)[key]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) and len(args) == 1:
        return args[0]
    return hint


def _build(data: Mapping[str, Any], *, source: str, base_dir: Path | None = None) -> Settings:
    sections: dict[str, Any] = {}
    for section, cls in _SECTIONS.items():
        values = dict(data.get(section) or {})
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                hint = ", ".join(sorted(known - {"password"}))
                raise SettingsError(f"{source}: unknown key '{key}' in [{section}]; known keys: {hint}")
            kwargs[key] = _coerce(section, key, value, _field_type(cls, key), base_dir)
        sections[section] = cls(**kwargs)
    return Settings(
        **sections,
        secret_key=str(data.get("secret_key", "")),
        secret_key_fallbacks=tuple(data.get("secret_key_fallbacks", ())),
        code_key=str(data.get("code_key", "")),
        source=source,
    )


def _coerce(section: str, key: str, value: Any, kind: Any, base_dir: Path | None) -> Any:
    where = f"[{section}] {key}"
    if kind is Path:
        if value in ("", None):
            return None if key != "instance_dir" else Path("instance").resolve()
        if not isinstance(value, str | Path):
            raise SettingsError(f"{where} must be a path (a string), not {value!r}")
        path = Path(value)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path
    if kind is bool and not isinstance(value, bool):
        raise SettingsError(f"{where} must be true or false, not {value!r}")
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SettingsError(f"{where} must be a whole number, not {value!r}")
    if kind is int and value < 0:
        raise SettingsError(f"{where} must not be negative")
    if kind is str:
        if not isinstance(value, str):
            raise SettingsError(f"{where} must be a string, not {value!r}")
        choices = _CHOICES.get(f"{section}.{key}")
        if choices and value not in choices:
            raise SettingsError(f"{where} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _as_dict(settings: Settings) -> dict[str, Any]:
    return {name: dataclasses.asdict(getattr(settings, name)) for name in _SECTIONS} | {
        "secret_key": settings.secret_key,
        "secret_key_fallbacks": settings.secret_key_fallbacks,
        "code_key": settings.code_key,
    }


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for section, values in extra.items():
        if isinstance(values, Mapping):
            merged.setdefault(section, {}).update(values)
        else:
            merged[section] = values
    return merged


def _instance_secret(instance_dir: Path, name: str) -> str:
    """A random key kept beside the embedded database, so a local install works with no set-up.

    A real deployment sets its keys in the environment (:func:`_secrets`); a generated key never leaves the
    instance folder.
    """
    file = instance_dir / name
    if file.exists():
        return file.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return file.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
