"""deploy/postgresql/setup.sql, run as docs/deployment.md says: the owner migrates, the application role works
every table but cannot change the schema."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from backoffice import demo, migrate
from backoffice import settings as settings_module
from backoffice.database import Database
from tests.conftest import REPO, TEST_CODE_KEY, TEST_SECRET, unavailable

pytestmark = pytest.mark.postgres


@pytest.fixture
def roles(database_url: str) -> Iterator[dict[str, str]]:
    psql = shutil.which("psql")
    if psql is None:
        unavailable("psql is not installed (Debian: postgresql-client)")
    tag = uuid.uuid4().hex[:8]
    names = {"db": f"backoffice_deploy_{tag}", "owner": f"bo_owner_{tag}", "app": f"bo_app_{tag}"}
    base = make_url(database_url)
    admin_url = base.set(database="postgres")
    args = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", base.host or "127.0.0.1", "-p", str(base.port or 5432)]
    args += ["-U", base.username or "postgres", "-d", "postgres"]
    for key, value in names.items():
        args += ["-v", f"{key}={value}"]
    args += ["-v", "owner_password=owner-pw", "-v", "app_password=app-pw"]
    args += ["-f", str(REPO / "deploy/postgresql/setup.sql")]
    env = os.environ | {"PGCONNECT_TIMEOUT": "10"}
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    urls = {
        role: base.set(database=names["db"], username=names[role], password=f"{role}-pw").render_as_string(False)
        for role in ("owner", "app")
    }
    try:
        yield urls
    finally:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{names["db"]}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{names["app"]}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{names["owner"]}"'))
        admin.dispose()


def test_the_owner_migrates_and_the_application_role_works_without_ddl(roles: dict[str, str], tmp_path: Path) -> None:
    owner = create_engine(roles["owner"])
    migrate.upgrade(owner)
    owner.dispose()

    settings = settings_module.load(
        REPO / "config.toml",
        environ={"BACKOFFICE_SECRET_KEY": TEST_SECRET, "BACKOFFICE_CODE_KEY": TEST_CODE_KEY},
        overrides={"database": {"url": roles["app"]}, "site": {"instance_dir": str(tmp_path / "instance")}},
    )
    db = Database(settings.database_url)
    try:
        with db.session() as session:  # the demo touches every kind of row: centers, staff, applications, audit
            assert demo.load(session, settings) is True
            session.commit()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM application")).scalar() == 50
            with pytest.raises(ProgrammingError, match="must be owner"):
                conn.execute(text("ALTER TABLE application ADD COLUMN intruder integer"))
            conn.rollback()
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text("CREATE TABLE intruder (id integer)"))
    finally:
        db.dispose()
