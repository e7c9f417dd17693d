"""SQL for organisations and OAuth2 clients."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from gateway.auth.models import OAuthClient, Organisation


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
