"""The WSGI entry point of the production server: ``gunicorn -c deploy/gunicorn.conf.py backoffice.wsgi:app``.

Settings come from config.toml (or ``BACKOFFICE_CONFIG``) and the environment, as for every command. No scheduler
runs here: ``backoffice scheduler run`` is its own process.
"""

from __future__ import annotations

from backoffice.app import create_app

app = create_app()
