"""The registration back office. The web app is built by :func:`backoffice.app.create_app`.

Deliberately empty: every ``import backoffice.x`` runs this file first, and a process that serves no page (an
intake lane, say) must be able to import a part of the product without loading Flask.
"""
