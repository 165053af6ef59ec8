"""How the audit rows of customers' accounts read (passwords, contacts, wrong tries)."""

from __future__ import annotations

from backoffice.audit.present import Vocabulary
from workflows.i18n import N_

VOCABULARY = Vocabulary(
    subject=N_("Customer account"),
    actions={
        "change_password": N_("Password changed"),
        "reset_password": N_("Password reset by the link"),
        "password_reset_requested": N_("Password reset link asked for"),
        "change_phone": N_("Phone changed"),
        "email_change_requested": N_("Email change asked for"),
        "change_email": N_("Email changed"),
        "guessing_alert": N_("Alert: many wrong tries"),
    },
    fields={
        "password": N_("Password"),
        "phone": N_("Phone"),
        "email": N_("Email"),
        "identifier": N_("Login"),
        "wrong_tries": N_("Wrong tries"),
        "window_seconds": N_("Within (seconds)"),
    },
    reasons={"customer-login": N_("customer login")},
)
