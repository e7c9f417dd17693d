"""Organisations and OAuth2 clients: creation, listing, disabling, secret rotation, authentication.

Defends against credential theft and enumeration: secrets are shown once and stored as scrypt
hashes; authentication costs the same for unknown ids, wrong secrets and disabled clients. Every
change is audited in the transaction that makes it (an org or client never exists unaudited).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from gateway.audit.events import AuditRecord, ClientChanged, OrgChanged, Outcome
from gateway.audit.service import AuditLog
from gateway.auth import repository
from gateway.auth.errors import InvalidClientError
from gateway.auth.hashing import dummy_hash, hash_secret, new_secret, verify_secret
from gateway.auth.models import OAuthClient, Organisation, utcnow
from gateway.auth.principal import ORG_SLUG, ROLES, SECTORS
from gateway.errors import BadRequestError, ConflictError, NotFoundError

_MAX_CLIENT_ID = 100


class AccountService:
    """Partner organisations and their clients; ``actor`` names who made a change (CLI: None)."""

    def __init__(self, *, audit: AuditLog) -> None:
        self.audit = audit

    def create_org(
        self, session: Session, *, slug: str, name: str, sector: str, actor: str | None = None
    ) -> Organisation:
        """Register a partner organisation; raises ConflictError if the slug is taken."""
        if not ORG_SLUG.fullmatch(slug):
            raise BadRequestError(
                f"invalid slug {slug!r}: use 1-64 lowercase letters, digits and inner hyphens"
            )
        if sector not in SECTORS:
            raise BadRequestError(f"invalid sector {sector!r}: one of {', '.join(SECTORS)}")
        name = name.strip()
        if not name or len(name) > 200:
            raise BadRequestError("name must be 1-200 characters")
        if repository.get_org_by_slug(session, slug) is not None:
            raise ConflictError(f"organisation {slug!r} already exists")
        org = Organisation(slug=slug, name=name, sector=sector)
        session.add(org)
        event = OrgChanged(
            action="create",
            outcome=Outcome.SUCCESS,
            actor_subject=actor,
            resource=f"orgs/{slug}",
            org=slug,
            sector=sector,
        )
        try:
            self._commit(session, event)
        except IntegrityError as exc:  # a concurrent insert won the race
            raise ConflictError(f"organisation {slug!r} already exists") from exc
        session.refresh(org)
        return org

    def create_client(
        self,
        session: Session,
        *,
        org_slug: str,
        roles: list[str],
        name: str | None = None,
        actor: str | None = None,
    ) -> tuple[OAuthClient, str]:
        """Create a client for ``org_slug``; returns it with the plaintext secret (shown once)."""
        org = repository.get_org_by_slug(session, org_slug)
        if org is None or org.id is None:
            raise NotFoundError(f"organisation {org_slug!r} not found")
        unknown = sorted(set(roles) - set(ROLES))
        if not roles or unknown:
            raise BadRequestError(
                f"roles must be a non-empty subset of {', '.join(ROLES)}"
                + (f" (unknown: {', '.join(unknown)})" if unknown else "")
            )
        secret = new_secret()
        client = OAuthClient(
            client_id=f"{org.slug}-{secrets.token_hex(8)}",
            org_id=org.id,
            name=(name or f"{org.slug} client").strip()[:200],
            secret_hash=hash_secret(secret),
            roles=sorted(set(roles)),
        )
        session.add(client)
        self._commit(session, _client_event("create", client, org.slug, actor))
        session.refresh(client)
        return client, secret

    def set_client_disabled(
        self, session: Session, *, client_id: str, disabled: bool = True, actor: str | None = None
    ) -> OAuthClient:
        client = self._client(session, client_id)
        client.disabled = disabled
        if disabled:  # every token issued so far stays dead, even after a re-enable
            client.tokens_valid_after = utcnow()
        session.add(client)
        action = "disable" if disabled else "enable"
        self._commit(session, _client_event(action, client, None, actor))
        session.refresh(client)
        return client

    def rotate_secret(
        self, session: Session, *, client_id: str, actor: str | None = None
    ) -> tuple[OAuthClient, str]:
        """A new secret for a client (the old one stops working at once); shown once."""
        client = self._client(session, client_id)
        secret = new_secret()
        client.secret_hash = hash_secret(secret)
        session.add(client)
        self._commit(session, _client_event("rotate_secret", client, None, actor))
        session.refresh(client)
        return client, secret

    def list_orgs(self, session: Session) -> Sequence[Organisation]:
        return repository.list_orgs(session)

    def list_clients(
        self, session: Session, *, org_slug: str | None = None
    ) -> Sequence[tuple[OAuthClient, Organisation]]:
        """Clients with their organisation, optionally for one organisation."""
        if org_slug is None:
            return repository.list_clients(session)
        org = repository.get_org_by_slug(session, org_slug)
        if org is None:
            raise NotFoundError(f"organisation {org_slug!r} not found")
        return repository.list_clients(session, org.id)

    def _client(self, session: Session, client_id: str) -> OAuthClient:
        client = repository.get_client(session, client_id)
        if client is None:
            raise NotFoundError(f"client {client_id!r} not found")
        return client

    def _commit(self, session: Session, event: AuditRecord) -> None:
        """The change and its audit event in one transaction: both or neither."""
        try:
            self.audit.append(session, event)
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _client_event(
    action: str, client: OAuthClient, org: str | None, actor: str | None
) -> ClientChanged:
    return ClientChanged(
        action=action,
        outcome=Outcome.SUCCESS,
        actor_subject=actor,
        resource=f"clients/{client.client_id}",
        client_id=client.client_id,
        org=org,
        roles=list(client.roles),
    )


# Plain functions for scripts and tests that hold only a session (same audited path).


def create_org(session: Session, *, slug: str, name: str, sector: str) -> Organisation:
    return _accounts(session).create_org(session, slug=slug, name=name, sector=sector)


def create_client(
    session: Session, *, org_slug: str, roles: list[str], name: str | None = None
) -> tuple[OAuthClient, str]:
    return _accounts(session).create_client(session, org_slug=org_slug, roles=roles, name=name)


def _accounts(session: Session) -> AccountService:
    return AccountService(audit=AuditLog(session.get_bind()))  # type: ignore[arg-type]


def authenticate_client(
    session: Session, client_id: str, secret: str
) -> tuple[OAuthClient, Organisation]:
    """Check a client's credentials; every failure is the same InvalidClientError."""
    # NUL never occurs in our ids and PostgreSQL refuses it in a query parameter.
    usable = len(client_id) <= _MAX_CLIENT_ID and "\x00" not in client_id
    client = repository.get_client(session, client_id) if usable else None
    # Always run the KDF so an unknown id costs as much as a wrong secret.
    ok = verify_secret(secret, client.secret_hash if client else dummy_hash())
    if client is None or not ok or client.disabled:
        raise InvalidClientError("client authentication failed")
    org = repository.get_org(session, client.org_id)
    if org is None:
        raise InvalidClientError("client authentication failed")
    return client, org
