"""What staff roles are called, and how the audit rows of staff accounts and service centers read."""

from __future__ import annotations

from backoffice.audit.present import Vocabulary
from workflows.i18n import N_
from workflows.roles import Role

ROLE_LABELS = {Role.OPERATOR: N_("Operator"), Role.SUPERVISOR: N_("Supervisor"), Role.ADMIN: N_("Administrator")}

OPERATOR_VOCABULARY = Vocabulary(
    subject=N_("Staff account"),
    actions={
        "create": N_("Account created"),
        "edit": N_("Account changed"),
        "set_password": N_("Password set"),
        "enrol_totp": N_("Second factor set up"),
        "reset_totp": N_("Second factor reset"),
    },
    fields={
        "login": N_("Login"),
        "role": N_("Role"),
        "center": N_("Service center"),
        "full_name": N_("Full name"),
        "is_active": N_("Active"),
        "totp_required": N_("Second factor required"),
        "password": N_("Password"),
        "totp": N_("Second factor"),
    },
    values={"role": ROLE_LABELS, "totp": {"enrolled": N_("set up")}},
)
CENTER_VOCABULARY = Vocabulary(
    subject=N_("Service center"),
    actions={"create": N_("Service center created"), "edit": N_("Service center changed")},
    fields={"code": N_("Code"), "name": N_("Name"), "city": N_("City"), "address": N_("Address"), "phone": N_("Phone")},
)
