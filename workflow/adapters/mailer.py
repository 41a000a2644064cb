"""Deliver `email` outbox messages over SMTP: retried with backoff, never sent twice.

Settings come from the configuration (`workflow.config`: SAKIP_SMTP_HOST, _PORT, _TLS = none|starttls|ssl, _USER,
_PASSWORD, SAKIP_MAIL_FROM). With no host set, mail waits in the outbox, and the in-app
notifications still reach everyone.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from workflow.adapters.db import Database
from workflow.adapters.models import OutboxMessage
from workflow.config import Config

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
# A message claimed this long ago and never confirmed may have been handed to SMTP already.
CLAIM_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    tls: str = "none"
    user: str | None = None
    password: str | None = None
    sender: str = "alur-sakip@localhost"
    timeout: float = 20.0

    @classmethod
    def from_config(cls, config: Config) -> SmtpSettings | None:
        """None while no SMTP host is configured: mail waits in the outbox."""
        smtp = config.smtp
        if smtp is None:
            return None
        return cls(smtp.host, smtp.port, smtp.tls, smtp.user, smtp.password, smtp.sender)

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        return cls.from_config(Config.from_env())


def backoff(attempts: int) -> timedelta:
    """Wait 1, 2, 4, 8 … minutes after each failed attempt, at most an hour."""
    wait: timedelta = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return min(wait, BACKOFF_CAP)


def _send(settings: SmtpSettings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    smtp: smtplib.SMTP
    if settings.tls == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())  # fmt: skip
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    retried: int
    failed: int
    uncertain: int


def deliver_mail(db: Database, settings: SmtpSettings | None, now: datetime, batch: int = 50) -> DeliveryReport:
    """Send the email messages that are due, one at a time: one transaction to claim a message, one
    to record its result."""
    with db.unit_of_work() as uow:
        stale = uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.topic == "email",
                OutboxMessage.status == "sending",
                OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
            )
        ).all()
        for message in stale:
            message.status = "uncertain"
            message.last_error = "claimed for sending but never confirmed; not sent again to avoid a duplicate"
        uow.commit()
    if settings is None:
        return DeliveryReport(0, 0, 0, len(stale))
    is_due = (
        OutboxMessage.topic == "email",
        OutboxMessage.status == "pending",
        (OutboxMessage.next_attempt_at.is_(None)) | (OutboxMessage.next_attempt_at <= now),
    )
    with db.unit_of_work(readonly=True) as uow:
        due = uow.session.scalars(select(OutboxMessage.id).where(*is_due).order_by(OutboxMessage.id).limit(batch)).all()
    sent = retried = failed = 0
    for message_id in due:
        # Claim each message just before it is handed to SMTP, not the whole batch up front: a
        # crash then leaves at most this one unconfirmed (`uncertain`), and the rest pending.
        with db.unit_of_work() as uow:
            claimed = uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.id == message_id, *is_due).with_for_update(skip_locked=True)
            ).first()
            if claimed is None:
                continue  # another sender has it
            claimed.status = "sending"
            claimed.claimed_at = now
            payload = dict(claimed.payload)
            uow.commit()
        error: str | None = None
        try:
            _send(settings, payload["to"], payload["subject"], payload["body"])
        except Exception as exc:  # any failure of one message is recorded on it, never lost
            error = f"{type(exc).__name__}: {exc}"
        with db.unit_of_work() as uow:
            row = uow.session.get(OutboxMessage, message_id)
            assert row is not None
            message = row
            message.attempts += 1
            if error is None:
                message.status = "sent"
                message.processed_at = now
                message.last_error = None
                sent += 1
            elif message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                message.last_error = error
                failed += 1
            else:
                message.status = "pending"
                message.next_attempt_at = now + backoff(message.attempts)
                message.last_error = error
                retried += 1
            uow.commit()
    return DeliveryReport(sent, retried, failed, len(stale))
