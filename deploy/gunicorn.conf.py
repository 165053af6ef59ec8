"""gunicorn settings of the back office, taken from config.toml's [server] section (and BACKOFFICE_* variables).

Used by `backoffice serve`, or directly:

    gunicorn -c deploy/gunicorn.conf.py backoffice.wsgi:app

Nothing is set here by hand: change config.toml (or BACKOFFICE_SERVER_WORKERS, ...), not this file. The
scheduler and the intake watcher are not run by the web server (`backoffice scheduler run`,
`backoffice intake watch`), and no migration is applied (`backoffice db upgrade`, or `backoffice serve --migrate`).
"""

from backoffice.monitoring import server as _server

_settings = _server.load_settings()
_server.use_metrics_dir(_server.metrics_dir(_settings))  # before the workers import prometheus_client
_config = _settings.server

wsgi_app = "backoffice.wsgi:app"
bind = [_config.bind]
workers = _config.workers
threads = _config.threads
worker_class = "gthread" if _config.threads > 1 else "sync"
timeout = _config.timeout_seconds
graceful_timeout = _config.graceful_timeout_seconds
keepalive = _config.keepalive_seconds
# Workers import the app after the fork: each opens its own database connections.
preload_app = False

# Logs: the product's format ([logging]); gunicorn's lines on standard error, the access log where [server] says.
logger_class = "backoffice.monitoring.server.Logger"
loglevel = "info"
errorlog = "-"
accesslog = _config.access_log or None
access_log_format = _server.ACCESS_FORMAT

# No control socket (gunicornc): its default path is in the home folder, shared by every server of the user.
control_socket_disable = True

# Proxies: the app's ProxyFix trusts exactly [server] trusted_proxies; gunicorn itself trusts no forwarded header.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}


def on_starting(server):
    _server.on_starting(_settings)


def post_fork(server, worker):
    _server.reuse_hash_memory()


def post_worker_init(worker):
    _server.settle_loaded_app()


def child_exit(server, worker):
    _server.child_exit(worker.pid)
