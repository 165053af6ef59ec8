"""The baseline of ``bench/http_bench.py``: a Flask app with one route that returns a small HTML page.

It is served by the same gunicorn, with the same configuration file and ``[server]`` settings, as the product,
so that the ratio between the two counts only what the product does for a page (its hooks, session, rate-limit
check, query and rendering), not the server, the sockets or the load generator. It stays outside the product's
package on purpose: a route inside the product pays the product's request hooks and is no baseline.
"""

from __future__ import annotations

from flask import Flask, Response

#: A small but real page: what a browser would get for a near-empty screen of the product.
PAGE = (
    "<!doctype html>\n<html lang=\"uk\"><head><meta charset=\"utf-8\"><title>bare</title></head>\n"
    "<body><main><h1>Bare page</h1><p>The baseline of the HTTP benchmark.</p></main></body></html>\n"
)

app = Flask(__name__)


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def page(path: str) -> Response:
    """Any path answers, so the load generator asks the bare server for the very paths it asks the product for."""
    return Response(PAGE, mimetype="text/html")
