"""/healthz, /readyz, /metrics, and what every request gets: a request id, a log line, a latency sample.

What /readyz details and /metrics tell (queue sizes, process names, the schema revision) is for the operators of
the deployment, not the public: only addresses in ``[server] monitoring_networks`` (the client's address after
ProxyFix) or a request with ``Authorization: Bearer <BACKOFFICE_METRICS_TOKEN>`` see them. Everyone else gets the
overall readiness and a 404 for /metrics, as if there were none.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import time
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request, session
from flask.typing import ResponseReturnValue

from backoffice.monitoring import context, metrics
from backoffice.monitoring.web import gauges, readiness
from backoffice.settings import Settings
from backoffice.web import database

log = logging.getLogger("backoffice.requests")
bp = Blueprint("monitoring", __name__)
HEADER = "X-Request-ID"


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    """The process answers: nothing else is looked at, so a slow database never gets a worker restarted."""
    return Response("ok\n", mimetype="text/plain")


@bp.route("/readyz")
def readyz() -> ResponseReturnValue:
    result = readiness.check(database(), _settings())
    body: dict[str, Any] = result.as_dict() if allowed() else {"status": result.as_dict()["status"]}
    response = jsonify(body)
    response.status_code = 200 if result.ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics")
def metrics_page() -> ResponseReturnValue:
    if not allowed():
        abort(404)
    response = Response(gauges.exposition(database()), mimetype="text/plain; version=0.0.4; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def allowed() -> bool:
    """The monitoring allow-list, or the bearer token (compared in constant time)."""
    server = _settings().server
    token = server.metrics_token
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address((request.remote_addr or "").split("%")[0])
    except ValueError:
        return False
    return any(address in network for network in server.networks())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # First of all before-request functions: a request refused by a rate limit still gets its id and log line.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.teardown_request(_unbind)


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = context.accept(request.headers.get(HEADER))
    g.request_id_token = context.bind(g.request_id)
    if request.url_rule is not None:
        request.environ[context.ROUTE_KEY] = request.url_rule.rule


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a request that failed before the hooks ran (a bad request line): nothing to measure
        return response
    seconds = time.perf_counter() - started
    endpoint = request.endpoint or "unmatched"
    response.headers[HEADER] = g.request_id
    metrics.REQUEST_SECONDS.labels(endpoint, request.method).observe(seconds)
    metrics.RESPONSES.labels(endpoint, str(response.status_code)).inc()
    user = _user()
    log.info(
        "%s %s %s %d %.1fms",
        request.method,
        endpoint,
        user,
        response.status_code,
        seconds * 1000,
        extra={
            "request_id": g.request_id,
            "user": user,
            "endpoint": endpoint,
            "route": request.url_rule.rule if request.url_rule is not None else None,
            "method": request.method,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def _unbind(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        # A request that ended in another context (a streamed response) has nothing of ours left bound.
        with contextlib.suppress(ValueError):
            context.unbind(token)


def _user() -> str:
    """``staff:<id>``, ``customer:<id>`` or ``anonymous``: who the request was for, and never more than the id.

    The user Flask-Login loaded for this request if it did; otherwise whom the session cookie names, read without
    marking the session as used (that would add ``Vary: Cookie`` to pages cached publicly). The customer's id
    carries a stamp keyed on the secret key: only its first two parts are kept.
    """
    loaded = g.get("_login_user")
    raw = loaded.get_id() if loaded is not None and getattr(loaded, "is_authenticated", False) else None
    if raw is None:
        raw = dict.get(session._get_current_object(), "_user_id")  # type: ignore[attr-defined]
    kind, _, rest = str(raw or "").partition(":")
    number = rest.partition(":")[0]
    if kind in {"staff", "customer"} and number.isdigit():
        return f"{kind}:{number}"
    return "anonymous"
