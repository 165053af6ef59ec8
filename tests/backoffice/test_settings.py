"""The settings file: a mistyped key stops start-up with a message naming it; the environment overrides keys;
secrets never come from the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from backoffice import settings as settings_module
from backoffice.settings import SettingsError

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_loads_with_safe_local_defaults(tmp_path: Path) -> None:
    loaded = settings_module.load(REPO / "config.toml", environ={"BACKOFFICE_SECRET_KEY": "k" * 40})
    assert loaded.database_url.startswith("sqlite:///")
    assert loaded.mail.transport == "folder"
    assert loaded.intake.source == "maildir"
    assert loaded.site.default_language == "uk"
    assert loaded.secret_key == "k" * 40


def test_unknown_key_names_the_key_the_section_and_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, '[database]\nurll = "sqlite://"\n')
    with pytest.raises(SettingsError) as info:
        settings_module.load(path, environ={})
    message = str(info.value)
    assert "urll" in message and "[database]" in message and str(path) in message


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"unknown section \[databse\]"):
        settings_module.load(_write(tmp_path, "[databse]\n"), environ={})


def test_wrong_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"\[workflow\] registration_code_ttl_days must be a whole number"):
        settings_module.load(_write(tmp_path, '[workflow]\nregistration_code_ttl_days = "two weeks"\n'), environ={})


def test_wrong_choice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"\[mail\] transport must be one of folder, smtp"):
        settings_module.load(_write(tmp_path, '[mail]\ntransport = "pigeon"\n'), environ={})


def test_a_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="BACKOFFICE_SMTP_PASSWORD"):
        settings_module.load(_write(tmp_path, '[smtp]\npassword = "hunter2"\n'), environ={})


def test_environment_overrides_keys(tmp_path: Path) -> None:
    loaded = settings_module.load(
        _write(tmp_path, '[database]\nurl = "sqlite:///a.db"\n'),
        environ={
            "BACKOFFICE_DATABASE_URL": "postgresql+psycopg://db/backoffice",
            "BACKOFFICE_WORKFLOW_REGISTRATION_CODE_TTL_DAYS": "7",
            "BACKOFFICE_FLOWS_SELF_REGISTRATION": "true",
            "BACKOFFICE_SECRET_KEY": "s" * 40,
            "BACKOFFICE_CODE_KEY": "c" * 40,
            "BACKOFFICE_SMTP_PASSWORD": "from-env",
        },
    )
    assert loaded.database_url == "postgresql+psycopg://db/backoffice"
    assert loaded.workflow.registration_code_ttl_days == 7
    assert loaded.flows.self_registration is True
    assert loaded.smtp.password == "from-env"
    assert "from-env" not in repr(loaded)


def test_a_mistyped_environment_variable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="BACKOFFICE_DATABSE_URL"):
        settings_module.load(_write(tmp_path, ""), environ={"BACKOFFICE_DATABSE_URL": "x"})


def test_settings_are_frozen(tmp_path: Path) -> None:
    loaded = settings_module.load(_write(tmp_path, ""), environ={"BACKOFFICE_SECRET_KEY": "s" * 40})
    with pytest.raises(AttributeError):
        loaded.database.url = "sqlite://"  # type: ignore[misc]


def test_without_a_secret_key_one_is_generated_once_and_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, f'[site]\ninstance_dir = "{tmp_path / "inst"}"\n')
    first = settings_module.load(path, environ={})
    second = settings_module.load(path, environ={})
    assert len(first.secret_key) >= 40
    assert first.secret_key == second.secret_key
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("file", "env"),
    [
        ("", {"BACKOFFICE_DATABASE_URL": "postgresql+psycopg://db/backoffice"}),
        ('[site]\nbase_url = "https://portal.example.org"\n', {}),
    ],
    ids=["postgresql", "https"],
)
def test_a_real_deployment_refuses_to_start_without_its_keys(tmp_path: Path, file: str, env: dict[str, str]) -> None:
    path = _write(tmp_path, file + f'[storage]\ndocuments_dir = "{tmp_path / "docs"}"\n')
    with pytest.raises(SettingsError, match="BACKOFFICE_SECRET_KEY and BACKOFFICE_CODE_KEY must be set"):
        settings_module.load(path, environ=env)
    with pytest.raises(SettingsError, match="BACKOFFICE_CODE_KEY must be set"):
        settings_module.load(path, environ=env | {"BACKOFFICE_SECRET_KEY": "s" * 40})
    assert not (tmp_path / "instance" / "secret_key").exists()  # nothing generated behind the operator's back
    keys = {"BACKOFFICE_SECRET_KEY": "s" * 40, "BACKOFFICE_CODE_KEY": "c" * 40}
    loaded = settings_module.load(path, environ=env | keys)
    assert (loaded.secret_key, loaded.code_key) == ("s" * 40, "c" * 40)


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="BACKOFFICE_SECRET_KEY is too short"):
        settings_module.load(_write(tmp_path, ""), environ={"BACKOFFICE_SECRET_KEY": "hunter2"})


def test_the_code_key_is_generated_apart_from_the_session_key(tmp_path: Path) -> None:
    path = _write(tmp_path, f'[site]\ninstance_dir = "{tmp_path / "inst"}"\n')
    loaded = settings_module.load(path, environ={"BACKOFFICE_SECRET_KEY": "s" * 40})
    assert len(loaded.code_key) >= 40 and loaded.code_key != loaded.secret_key
    assert (tmp_path / "inst" / "code_key").read_text() == loaded.code_key


def test_previous_session_keys_are_read_for_a_rotation(tmp_path: Path) -> None:
    loaded = settings_module.load(
        _write(tmp_path, ""),
        environ={"BACKOFFICE_SECRET_KEY": "n" * 40, "BACKOFFICE_SECRET_KEY_PREVIOUS": "o" * 40 + " " + "p" * 40},
    )
    assert loaded.secret_key_fallbacks == ("o" * 40, "p" * 40)
    assert "o" * 40 not in repr(loaded)


def test_a_bad_monitoring_network_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="monitoring_networks"):
        settings_module.load(_write(tmp_path, '[server]\nmonitoring_networks = "10.0.0.0/33"\n'), environ={})


def test_relative_paths_are_resolved_against_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, '[site]\ninstance_dir = "data"\n')
    loaded = settings_module.load(path, environ={"BACKOFFICE_SECRET_KEY": "s" * 40})
    assert loaded.site.instance_dir == tmp_path / "data"
    assert loaded.documents_dir == tmp_path / "data" / "documents"


def test_settings_know_which_keys_were_given(tmp_path: Path) -> None:
    """A command may fill in what the administrator left unset (``backoffice run`` sets base_url), never more."""
    path = _write(tmp_path, '[site]\nsupplier_name = "X"\n')
    loaded = settings_module.load(path, environ={"BACKOFFICE_SITE_BASE_URL": "http://a.example:1"})
    assert {"site.supplier_name", "site.base_url"} <= loaded.explicit
    assert "site.dso_url" not in loaded.explicit
    assert "site.base_url" not in settings_module.load(path, environ={}).explicit
    changed = settings_module.load(path, environ={}).replace(site={"dso_url": "https://dso.example"})
    assert {"site.supplier_name", "site.dso_url"} <= changed.explicit
    assert "site.base_url" not in settings_module.load(REPO / "config.toml", environ={}).explicit
