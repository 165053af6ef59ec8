"""The floor of ``bench/http_bench.py``: each measured page's own work, done as plainly as Flask allows.

``/admin/applications/`` runs the "my work" statement of ``queue_bench.py``'s raw SQL (hand-written,
psycopg, one connection a thread, no SQLAlchemy) for the bench's operator and renders its fifty rows, with the
product's ten columns, into a table by a small autoescaped Jinja template. There is nothing else: no login,
session, CSRF token, rate limit, menu, translation, log line or security header. Served by the same gunicorn as
the product and the bare page, it says how close to the bare page any page can come that asks the database for
the same fifty rows and renders them; the product's distance from it is what the product's own machinery costs.

``/company`` is the registration form as a new visitor gets it, with only what such a form cannot do without: a
CSRF token of the visitor's own, kept in a new signed session cookie (Flask-WTF's ``generate_csrf`` and Flask's
session, as the product uses them), put into the product's very page. The page is the one ``http_bench.py``
fetched from the product before the rounds and saved beside this server's instance folder (``company.html``,
the product's token replaced by :data:`TOKEN`); the product, too, renders it once and replaces only the token.
No rate limit, locale, security header, log line or metrics.

It is a yardstick for the benchmark, not a design: it trusts the query string, shows one operator's work to
anybody, and keeps a connection per thread for the life of the process.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from flask import Flask, Response
from flask_wtf.csrf import generate_csrf
from jinja2 import Environment
from queue_bench import MY_WORK_SQL

#: The bench's operator (``http_bench.OPERATOR``, op7) and their center.
OPERATOR_ID, CENTER_ID = 7, 8

PAGE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="uk"><head><meta charset="utf-8"><title>My work</title></head>
<body><main><h1>My work</h1>
<table class="queue"><thead><tr><th>Number</th><th>Received</th><th>Customer</th><th>EDRPOU / RNOKPP</th>
<th>Offer</th><th>Channel</th><th>State</th><th>Age</th><th>Deadline</th><th>Assignee</th></tr></thead>
<tbody>
{%- for r in rows %}
<tr data-number="{{ r[1] }}"><td><a href="/admin/applications/{{ r[1] }}">{{ r[1] }}</a></td>
<td>{{ r[2].strftime("%d.%m.%Y %H:%M") }}</td><td>{{ r[3] }}</td><td>{{ r[4] }}</td><td>{{ r[5] or "" }}</td>
<td>{{ r[6] }}</td><td>{{ r[7] }}</td><td>{{ (now - r[2]).days }} d</td>
<td>{{ r[8].strftime("%d.%m.%Y %H:%M") if r[8] else "" }}</td><td>{{ r[11] }}</td></tr>
{%- endfor %}
</tbody></table></main></body></html>
"""
)

#: Where the saved form page has the product's token (``http_bench.py`` writes it so).
TOKEN = "@@csrf-token@@"

app = Flask(__name__)
app.config.update(SECRET_KEY=os.environ.get("BACKOFFICE_SECRET_KEY"), SESSION_COOKIE_HTTPONLY=True)
_local = threading.local()
_form: list[str] = []


def _connection() -> psycopg.Connection:
    """This thread's connection, opened on its first request, with autocommit: one round trip a page."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        url = os.environ["BACKOFFICE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        connection = _local.connection = psycopg.connect(url, autocommit=True, prepare_threshold=None)
    return connection


@app.get("/admin/applications/")
def queue() -> Response:
    with _connection().cursor() as cursor:
        cursor.execute(MY_WORK_SQL, (OPERATOR_ID, CENTER_ID))
        rows = cursor.fetchall()[:50]
    return Response(PAGE.render(rows=rows, now=datetime.now(UTC)), mimetype="text/html")


@app.get("/company")
def company() -> Response:
    if not _form:
        _form.append((Path(os.environ["BACKOFFICE_SITE_INSTANCE_DIR"]).parent / "company.html").read_text())
    return Response(_form[0].replace(TOKEN, generate_csrf()), mimetype="text/html")
