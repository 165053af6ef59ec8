"""``backoffice letters``: deliver the outbox now, look at it, resend a letter."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.cli.common import deployment, emit_json
from backoffice.letters.models import OutboxMessage, OutboxStatus


@click.group("letters")
def letters_cli() -> None:
    """Outgoing letters (the outbox)."""


@letters_cli.command("send")
@click.option("--all", "send_all", is_flag=True, help="Keep going until no letter is due (else one batch).")
@with_appcontext
def send(send_all: bool) -> None:
    """Deliver the letters that are due, once (what the scheduler does every few seconds)."""
    from backoffice.scheduler.sender import deliver_due

    db, settings = deployment()
    while True:
        report = deliver_due(db, settings)
        click.echo(str(report))
        for error in dict.fromkeys(report.errors):
            click.echo(f"  {error}", err=True)
        if not send_all or report.claimed == 0 or report.waiting:
            break


@letters_cli.command("list")
@click.option("--status", type=click.Choice([s.value for s in OutboxStatus]), default=None)
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_letters(status: str | None, limit: int, as_json: bool) -> None:
    """The newest letters (without their contents)."""
    db, _ = deployment()
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    with db.session() as session:
        rows = session.scalars(query).all()
        data: list[dict[str, Any]] = [
            {
                "id": r.id,
                "kind": r.kind,
                "status": r.status.value,
                "recipient": r.recipient,
                "attempts": r.attempts,
                "created_at": r.created_at.isoformat(),
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                "last_error": r.last_error,
            }
            for r in rows
        ]
    if as_json:
        emit_json(data)
        return
    for d in data:
        click.echo(f"{d['id']:>7} {d['status']:<10} {d['kind']:<26} {d['recipient']:<30} {d['last_error'][:60]}")


@letters_cli.command("resend")
@click.argument("letter_id", type=int)
@with_appcontext
def resend(letter_id: int) -> None:
    """Put a failed or sent letter back in the queue (it leaves at the next delivery)."""
    from backoffice.letters.outbox import CannotResend
    from backoffice.letters.outbox import resend as do_resend

    db, _ = deployment()
    with db.session() as session:
        row = session.get(OutboxMessage, letter_id)
        if row is None:
            raise click.ClickException(f"no letter {letter_id}")
        try:
            do_resend(session, row, Actor.system("cli"))
        except CannotResend as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Letter {letter_id} queued again")
