"""SQL for organisations, OAuth2 clients and the shared rate-limit counters."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from gateway.auth.models import OAuthClient, Organisation, RateLimitWindow


def get_org_by_slug(session: Session, slug: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.slug == slug)).first()


def get_org(session: Session, org_id: int) -> Organisation | None:
    return session.get(Organisation, org_id)


def list_orgs(session: Session) -> Sequence[Organisation]:
    return session.exec(select(Organisation).order_by(col(Organisation.slug))).all()


def get_client(session: Session, client_id: str) -> OAuthClient | None:
    return session.exec(select(OAuthClient).where(OAuthClient.client_id == client_id)).first()


def list_clients(
    session: Session, org_id: int | None = None
) -> Sequence[tuple[OAuthClient, Organisation]]:
    stmt = select(OAuthClient, Organisation).join(
        Organisation, col(OAuthClient.org_id) == col(Organisation.id)
    )
    if org_id is not None:
        stmt = stmt.where(OAuthClient.org_id == org_id)
    rows = session.exec(stmt.order_by(col(Organisation.slug), col(OAuthClient.client_id))).all()
    return [(client, org) for client, org in rows]


def window_hits(session: Session, buckets: Sequence[str], start: int) -> int:
    """The largest hit count of ``buckets`` in the window starting at ``start``."""
    stmt = select(func.max(RateLimitWindow.hits)).where(
        col(RateLimitWindow.bucket).in_(buckets), RateLimitWindow.start == start
    )
    return int(session.exec(stmt).one() or 0)


def add_hit(session: Session, bucket: str, start: int) -> None:
    """Count one hit in ``bucket``'s window (atomic upsert) and drop its past windows."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RateLimitWindow.__table__  # type: ignore[attr-defined]
    stmt = insert(table).values(bucket=bucket, start=start, hits=1)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.bucket, table.c.start], set_={"hits": table.c.hits + 1}
        )
    )
    session.execute(
        delete(RateLimitWindow).where(
            col(RateLimitWindow.bucket) == bucket, col(RateLimitWindow.start) < start
        )
    )
