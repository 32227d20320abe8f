"""Delivering the outbox: claim a batch, render it, send it, mark each message; again until done.

Exactly once, as far as mail allows: a row is marked sent in the transaction after the server
accepted it. A sender that dies between the two leaves its rows claimed; when their lease runs out
another sender sends them again under the same Message-ID, so the rare copy is recognisable.
That window (accepted but not yet marked) is the one SMTP cannot close.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.models import User
from dailypapers.db.write import read_session, write_session
from dailypapers.digest.models import Edition, OutboxMessage, Subscriber
from dailypapers.digest.render import Card, DigestRenderer
from dailypapers.digest.service import now
from dailypapers.mail.message import OutgoingMail
from dailypapers.mail.transport import MailTransport, PermanentFailure
from dailypapers.recommend.feed import CandidatePool, Pick, candidate_pool, picks_for_members
from dailypapers.settings import Settings

#: The longest wait between two tries of a message refused for now.
MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    bounced: int = 0
    failed: int = 0
    skipped: int = 0

    def summary(self) -> str:
        return (
            f"{self.sent} sent, {self.retrying} to retry, {self.bounced} bounced, "
            f"{self.failed} given up, {self.skipped} skipped (nothing in their categories)"
        )


@dataclass
class _Batch:
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    ids: list[int] = field(default_factory=list)
    messages: list[OutgoingMail] = field(default_factory=list)
    #: Outbox id and subscriber id of each message, in the same order.
    targets: list[tuple[int, int]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


@dataclass
class EditionContent:
    """What every mail of an edition shares, loaded once per sender."""

    edition: Edition
    cards: dict[str, Card]
    pool: CandidatePool


def claim(session: Session, *, size: int, lease: dt.timedelta, token: str) -> list[int]:
    """Take up to ``size`` due messages (or ones whose sender's lease ran out) under claim ``token``."""
    moment = now()
    due = sa.or_(
        sa.and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= moment),
        sa.and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < moment),
    )
    statement = sa.select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(size)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    ids = list(session.scalars(statement))
    if ids:
        session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status="sending", lease_until=moment + lease, claim=token)
        )
    return ids


def renew(session: Session, ids: list[int], *, lease: dt.timedelta, token: str) -> set[int]:
    """Extend the lease of the rows claim ``token`` still holds, and return those rows.

    Called just before a batch goes on the wire: a row whose lease ran out meanwhile (a slow
    render, a busy machine) may have been claimed by another sender, and must not go out twice.
    """
    held = sa.and_(OutboxMessage.id.in_(ids), OutboxMessage.claim == token, OutboxMessage.status == "sending")
    session.execute(sa.update(OutboxMessage).where(held).values(lease_until=now() + lease))
    return set(session.scalars(sa.select(OutboxMessage.id).where(held)))


class Sender:
    def __init__(
        self, engine: sa.Engine, settings: Settings, transport: MailTransport, renderer: DigestRenderer
    ):
        self.engine = engine
        self.settings = settings
        self.transport = transport
        self.renderer = renderer
        self.retry_base = dt.timedelta(seconds=60)
        self.lease = dt.timedelta(seconds=settings.digest_lease_seconds)
        self._editions: dict[int, EditionContent] = {}

    def _edition(self, session: Session, edition_id: int) -> EditionContent:
        if edition_id not in self._editions:
            edition = session.get_one(Edition, edition_id)
            session.expunge(edition)
            self._editions[edition_id] = self.content(session, edition)
        return self._editions[edition_id]

    def compose(
        self,
        edition: EditionContent,
        subscriber: Subscriber,
        ranked: Sequence[Pick],
        message_id: str,
    ) -> OutgoingMail | None:
        """The subscriber's mail of ``edition``, with the best of ``ranked`` that it does not show
        already as personal picks; none when no paper is in their categories."""
        papers = self.renderer.papers_for(edition.edition, edition.cards, subscriber)
        if not papers:
            return None
        shown = {card.paper_id for card in papers}
        picks = [
            (edition.cards[pick.paper_id], pick.reason)
            for pick in ranked
            if pick.paper_id not in shown and pick.paper_id in edition.cards
        ][: self.settings.digest_picks]
        return self.renderer.message(subscriber, edition.edition, papers, picks, message_id)

    def picks(
        self, session: Session, edition: EditionContent, members: Sequence[User]
    ) -> dict[int, list[Pick]]:
        """Each member's ranking of the edition's papers, enough of it to fill their picks."""
        if not self.settings.digest_picks:
            return {}
        wanted = self.settings.digest_picks + self.settings.digest_papers
        return picks_for_members(session, members, edition.pool, limit=wanted)

    def content(self, session: Session, edition: Edition) -> EditionContent:
        pool = candidate_pool(session, edition.paper_ids) if self.settings.digest_picks else CandidatePool([])
        return EditionContent(edition, self.renderer.cards(session, edition.paper_ids), pool)

    def _prepare(self) -> _Batch:
        batch = _Batch()
        with write_session(self.engine) as session:
            batch.ids = claim(
                session, size=self.settings.digest_batch_size, lease=self.lease, token=batch.token
            )
        if not batch.ids:
            return batch
        with read_session(self.engine) as session:
            rows = session.execute(
                sa.select(OutboxMessage, Subscriber)
                .join(Subscriber, Subscriber.id == OutboxMessage.subscriber_id)
                .where(OutboxMessage.id.in_(batch.ids))
                .order_by(OutboxMessage.id)
            ).all()
            members = {
                user.email: user
                for user in session.scalars(sa.select(User).where(User.email.in_([s.email for _, s in rows])))
            }
            ranked: dict[int, dict[int, list[Pick]]] = {}
            for edition_id in {outbox.edition_id for outbox, _ in rows}:
                content = self._edition(session, edition_id)
                readers = [
                    members[reader.email]
                    for outbox, reader in rows
                    if outbox.edition_id == edition_id and reader.email in members
                ]
                ranked[edition_id] = self.picks(session, content, readers)
            for outbox, subscriber in rows:
                member = members.get(subscriber.email)
                message = self.compose(
                    self._edition(session, outbox.edition_id),
                    subscriber,
                    ranked[outbox.edition_id].get(member.id, []) if member is not None else [],
                    outbox.message_id,
                )
                if message is None:
                    batch.skipped.append(outbox.id)
                else:
                    batch.messages.append(message)
                    batch.targets.append((outbox.id, subscriber.id))
        return batch

    def _keep_held(self, batch: _Batch) -> None:
        """Drop from ``batch`` the rows its claim lost (see ``renew``)."""
        with write_session(self.engine) as session:
            held = renew(session, batch.ids, lease=self.lease, token=batch.token)
        if len(held) < len(batch.ids):
            kept = [i for i, (outbox, _) in enumerate(batch.targets) if outbox in held]
            batch.messages = [batch.messages[i] for i in kept]
            batch.targets = [batch.targets[i] for i in kept]
            batch.skipped = [outbox for outbox in batch.skipped if outbox in held]
            batch.ids = [outbox for outbox in batch.ids if outbox in held]

    def _mark(self, batch: _Batch, results: Sequence[Exception | None], report: SendReport) -> None:
        moment = now()
        sent = [outbox for (outbox, _), result in zip(batch.targets, results, strict=True) if result is None]
        with write_session(self.engine) as session:
            if sent:
                session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id.in_(sent))
                    .values(status="sent", sent_at=moment, lease_until=None, last_error=None)
                )
                delivered = [
                    subscriber
                    for (_, subscriber), result in zip(batch.targets, results, strict=True)
                    if result is None
                ]
                session.execute(
                    sa.update(Subscriber)
                    .where(Subscriber.id.in_(delivered), Subscriber.bounces > 0)
                    .values(bounces=0)
                )
            if batch.skipped:
                session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id.in_(batch.skipped))
                    .values(status="skipped", lease_until=None)
                )
            for (outbox_id, subscriber_id), result in zip(batch.targets, results, strict=True):
                if result is None:
                    continue
                outbox = session.get_one(OutboxMessage, outbox_id)
                outbox.attempts += 1
                outbox.last_error = str(result)[:1000]
                outbox.lease_until = None
                if isinstance(result, PermanentFailure):
                    outbox.status = "bounced"
                    subscriber = session.get_one(Subscriber, subscriber_id)
                    subscriber.bounces += 1
                    if subscriber.bounces >= self.settings.digest_bounce_limit:
                        subscriber.suppressed_at = moment
                    report.bounced += 1
                elif outbox.attempts >= self.settings.digest_max_attempts:
                    outbox.status = "failed"
                    report.failed += 1
                else:
                    outbox.status = "pending"
                    outbox.next_attempt_at = moment + min(
                        self.retry_base * 2 ** (outbox.attempts - 1), MAX_BACKOFF
                    )
                    report.retrying += 1
        report.sent += len(sent)
        report.skipped += len(batch.skipped)

    async def send_due(self) -> SendReport:
        """Send every message due now; while one batch is on the wire the next is rendered."""
        report = SendReport()
        upcoming = asyncio.create_task(asyncio.to_thread(self._prepare))
        while True:
            batch = await upcoming
            if not batch.ids:
                return report
            upcoming = asyncio.create_task(asyncio.to_thread(self._prepare))
            await asyncio.to_thread(self._keep_held, batch)
            results = await self.transport.send_many(batch.messages) if batch.messages else []
            await asyncio.to_thread(self._mark, batch, results, report)


def waiting(session: Session) -> int:
    """Messages still to send, now or after a retry."""
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_(("pending", "sending")))
        )
        or 0
    )
