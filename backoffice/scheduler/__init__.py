"""Timed work: delivering letters, polling the intake, reminders and expiries, call retries, the digest, retention.

Runs as its own process (``backoffice scheduler run``) or inside ``backoffice run``; never inside ``create_app``.
"""
