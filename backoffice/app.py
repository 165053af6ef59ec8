"""The Flask app factory, where the pages of every part are put together."""

from __future__ import annotations

from flask import Flask, g, session
from werkzeug.middleware.proxy_fix import ProxyFix

from backoffice import settings as settings_module
from backoffice.database import Database
from backoffice.settings import Settings


def create_app(settings: Settings | None = None, *, database: Database | None = None, pages: bool = True) -> Flask:
    """Build the web app. The scheduler is not started here: one per web worker would duplicate its jobs.

    The app opens its own database from the settings; ``database`` hands it one instead, which the tests use to
    run the app inside a transaction they roll back (``Database.joining``). ``pages=False`` builds the app of a
    command that serves no page (the scheduler, the intake, migrations, staff and contract imports): settings,
    database and translations only. The pages and the admin are most of the product's imports, which such a
    process would carry for nothing (about 22 MB and half a second, docs/benchmarks.md).
    """
    settings = settings or settings_module.load()
    app = Flask("backoffice", template_folder=str(_templates()), instance_path=str(settings.site.instance_dir))
    settings.site.instance_dir.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.site.base_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=settings.signatures.max_file_mb * 1024 * 1024 + 1024 * 1024,
    )
    if settings.server.trusted_proxies:
        # Behind nginx every request comes from the proxy; the rate limits and the audit need the customer's own
        # address, which only the configured number of trusted proxies may tell us.
        n = settings.server.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    db = database or Database(settings.database_url, echo=settings.database.echo)
    app.extensions["backoffice.db"] = db

    # Imported here, not at the top: ``import backoffice.settings`` (the CLI, the scheduler) must not load the web.
    # Every model, whatever the command imports itself: a model names others in its relationships, which SQLAlchemy
    # looks up, among the imported ones, at the first query (``letters send`` alone knows no service center).
    import backoffice.models  # noqa: F401
    from backoffice import i18n

    i18n.init_app(app)
    if pages:
        _add_pages(app)

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        db_session = g.pop("db_session", None)
        if db_session is not None:
            if exc is not None:
                db_session.rollback()
            db_session.close()

    return app


def _add_pages(app: Flask) -> None:
    """Every page of the product, in the order their request hooks must run."""
    from backoffice.admin import init_admin
    from backoffice.customers.web import bp as customers_bp
    from backoffice.meters import web as meters_web
    from backoffice.monitoring import web as monitoring_web
    from backoffice.requests import web as requests_web
    from backoffice.selfreg import web as selfreg_web
    from backoffice.web import errors, init_web

    monitoring_web.init_app(app)  # first: request ids, request log lines and latencies; /healthz, /readyz, /metrics
    init_web(app)
    errors.init_app(app)  # our page for every error, in the customer pages' look or the back office's
    app.register_blueprint(customers_bp)
    selfreg_web.init_app(app)  # Flow B's pages, only where [flows] self_registration is on
    requests_web.init_app(app)  # the cabinet's appeals and requests, where [cabinet] turns them on
    meters_web.init_app(app)  # the cabinet's meters and readings, where [cabinet] turns them on
    init_admin(app)

    @app.before_request
    def _remember_language() -> None:
        from flask import request

        lang = request.args.get("lang")
        if lang in settings_module.LANGUAGES:
            session["lang"] = lang


def _templates() -> object:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "templates"
