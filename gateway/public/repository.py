"""SQL of the public channel: the held queue, the shared rate counters and the daily salts."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import delete, text
from sqlmodel import Session, col, select

from gateway.public.models import HELD, PublicRateCounter, PublicReport, PublicSalt

# One statement on SQLite (>= 3.35) and PostgreSQL: concurrent replicas count atomically.
_HIT = text(
    "INSERT INTO public_rate_counter (bucket, window_no, hits) VALUES (:bucket, :window_no, 1) "
    "ON CONFLICT (bucket, window_no) DO UPDATE SET hits = public_rate_counter.hits + 1 "
    "RETURNING hits"
)
_NEW_SALT = text(
    "INSERT INTO public_salt (day, salt, created_at) VALUES (:day, :salt, CURRENT_TIMESTAMP) "
    "ON CONFLICT (day) DO NOTHING"
)


def count_hit(session: Session, *, bucket: str, window_no: int) -> int:
    """Add one submission to ``bucket`` in ``window_no``; the new total (the caller commits)."""
    hits = session.execute(_HIT, {"bucket": bucket, "window_no": window_no}).scalar_one()
    if hits == 1:  # first hit of this bucket's window: forget windows that are over
        session.execute(
            delete(PublicRateCounter).where(col(PublicRateCounter.window_no) < window_no - 1)
        )
    return int(hits)


def salt_of(session: Session, day: date) -> str:
    """The salt of ``day``, made by whichever replica asks first; older salts are deleted."""
    found = session.get(PublicSalt, day)
    if found is None:
        session.execute(_NEW_SALT, {"day": day, "salt": secrets.token_hex(32)})
        session.execute(delete(PublicSalt).where(col(PublicSalt.day) < day - timedelta(days=1)))
        session.commit()
        found = session.get(PublicSalt, day)
    if found is None:  # pragma: no cover - the insert above or a concurrent one made it
        raise RuntimeError("no salt for today")
    return found.salt


def add_report(session: Session, report: PublicReport) -> None:
    session.add(report)


def get_report(session: Session, report_id: str) -> PublicReport | None:
    return session.get(PublicReport, report_id)


def held_reports(session: Session, *, limit: int) -> Sequence[PublicReport]:
    query = (
        select(PublicReport)
        .where(PublicReport.status == HELD)
        .order_by(col(PublicReport.received_on), col(PublicReport.id))
        .limit(limit)
    )
    return session.exec(query).all()


def lock_report(session: Session, report_id: str) -> PublicReport | None:
    """The report, locked until the transaction ends (PostgreSQL; SQLite locks on write)."""
    query = select(PublicReport).where(PublicReport.id == report_id).with_for_update()
    return session.exec(query).first()
