"""Which service center an application belongs to, from the moment it arrives.

An application brought to a center is that center's. One that arrives by email is routed through the contract
registry (identifier → contract → the contract's center, as the supplier's export says), failing that through a
supervisor's routing rule for the sender's address or domain, then through the sender's known addresses (a
contract's contact email, or an earlier application from the same address that has a center). Whatever stays
unrouted is in the shared pool every operator sees: the first to take it routes it to their own center, and a
supervisor can route it to any.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from backoffice.actors import Actor
from backoffice.applications.models import Application, RoutingRule
from backoffice.audit.trail import record
from backoffice.contracts.models import Contract
from backoffice.errors import BackofficeError, Forbidden
from backoffice.staff.models import ServiceCenter
from backoffice.translation import lazy_gettext as _l
from workflows.roles import Role

#: Why an application went to its center, as the history says it ("route" rows' ``by``).
BY_CONTRACT = "contract"
BY_RULE = "rule"
BY_SENDER = "sender"
BY_CLAIM = "claim"
BY_SUPERVISOR = "supervisor"


class UnknownCenter(BackofficeError, LookupError):
    """No such service center."""

    message = _l("Choose a service center.")


def center_for(session: Session, app: Application, sender: str) -> tuple[int, str] | None:
    """The center to route an emailed application to and why, or None for the shared pool.

    The sender's rule, the contract naming the address and the newest earlier application from it are read in
    one statement (each an index lookup, migration 0023) and taken in that order of preference.
    """
    if app.contract is not None and app.contract.center_id is not None:
        return app.contract.center_id, BY_CONTRACT
    address = sender.strip().casefold()
    if not address:
        return None
    domain = "@" + address.rpartition("@")[2]

    def rule(key: str) -> ScalarSelect[int]:
        return select(RoutingRule.center_id).where(RoutingRule.sender == key).scalar_subquery()

    by_contract = (
        select(Contract.center_id)
        .where(func.lower(Contract.contact_email) == address, Contract.center_id.is_not(None))
        .order_by(Contract.id)
        .limit(1)
        .scalar_subquery()
    )
    earlier = (
        select(Application.center_id)
        .where(
            func.lower(Application.email) == address,
            Application.center_id.is_not(None),
            Application.id != app.id,
        )
        .order_by(Application.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    found = session.execute(select(rule(address), rule(domain), by_contract, earlier)).one()
    # The address's own rule before its domain's; a rule before what is known of the address.
    for center_id, why in zip(found, (BY_RULE, BY_RULE, BY_SENDER, BY_SENDER), strict=True):
        if center_id is not None:
            return center_id, why
    return None


def route(session: Session, app: Application, actor: Actor, center_id: int, by: str) -> None:
    """Put the application in a center's queue; the history says where from and why."""
    before = app.center_id
    if before == center_id:
        return
    app.center_id = center_id
    record(session, actor, "application", app.id, "route", changes={"center_id": [before, center_id], "by": by})


def route_by_supervisor(session: Session, app: Application, actor: Actor, center_id: int) -> None:
    """A supervisor sends an application to a center (an unrouted one, or one that reached the wrong center)."""
    if actor.role != Role.SUPERVISOR:
        raise Forbidden(f"{actor.label} may not route applications")
    if session.get(ServiceCenter, center_id) is None:
        raise UnknownCenter(center_id)
    route(session, app, actor, center_id, BY_SUPERVISOR)
    session.flush()


class BadRule(BackofficeError, ValueError):
    """A routing rule needs an email address or ``@domain`` and an existing center."""

    message = _l("Give an email address, or @ and a domain for all of it, and choose a service center.")


def add_rule(session: Session, actor: Actor, sender: str, center_id: int) -> RoutingRule:
    """A supervisor's rule: what is emailed from ``sender`` (an address, or ``@domain``) goes to the center.
    A second rule for the same sender replaces the first; either way the audit trail has it."""
    if actor.role != Role.SUPERVISOR:
        raise Forbidden(f"{actor.label} may not set routing rules")
    sender = sender.strip().casefold()
    _local, at, domain = sender.rpartition("@")
    if not at or not domain or "." not in domain or " " in sender or session.get(ServiceCenter, center_id) is None:
        raise BadRule(sender)
    rule = session.scalars(select(RoutingRule).where(RoutingRule.sender == sender)).first()
    before = rule.center_id if rule else None
    if rule is None:
        rule = RoutingRule(sender=sender, center_id=center_id)
        session.add(rule)
    rule.center_id = center_id
    session.flush()
    changes = {"sender": sender, "center_id": [before, center_id]}
    record(session, actor, "routing_rule", rule.id, "rule_set", changes=changes)
    return rule


def remove_rule(session: Session, actor: Actor, rule_id: int) -> None:
    if actor.role != Role.SUPERVISOR:
        raise Forbidden(f"{actor.label} may not set routing rules")
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise BadRule(rule_id)
    changes = {"sender": rule.sender, "center_id": [rule.center_id, None]}
    record(session, actor, "routing_rule", rule.id, "rule_removed", changes=changes)
    session.delete(rule)
    session.flush()
