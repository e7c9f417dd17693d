"""Organisations and OAuth2 clients: creation, listing and client authentication.

Defends against credential theft and enumeration: secrets are shown once and stored as scrypt
hashes; authentication costs the same for unknown ids, wrong secrets and disabled clients.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from gateway.auth import repository
from gateway.auth.errors import InvalidClientError
from gateway.auth.hashing import dummy_hash, hash_secret, new_secret, verify_secret
from gateway.auth.models import OAuthClient, Organisation
from gateway.auth.principal import ORG_SLUG, ROLES, SECTORS
from gateway.errors import BadRequestError, ConflictError, NotFoundError

_MAX_CLIENT_ID = 100


def create_org(session: Session, *, slug: str, name: str, sector: str) -> Organisation:
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
    try:
        session.commit()
    except IntegrityError as exc:  # a concurrent insert won the race
        session.rollback()
        raise ConflictError(f"organisation {slug!r} already exists") from exc
    session.refresh(org)
    return org


def list_orgs(session: Session) -> Sequence[Organisation]:
    return repository.list_orgs(session)


def create_client(
    session: Session, *, org_slug: str, roles: list[str], name: str | None = None
) -> tuple[OAuthClient, str]:
    """Create a client for ``org_slug``; returns it with the plaintext secret (shown only once)."""
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
    session.commit()
    session.refresh(client)
    return client, secret


def list_clients(
    session: Session, org_slug: str | None = None
) -> Sequence[tuple[OAuthClient, Organisation]]:
    """Clients with their organisation, optionally for one organisation."""
    if org_slug is None:
        return repository.list_clients(session)
    org = repository.get_org_by_slug(session, org_slug)
    if org is None:
        raise NotFoundError(f"organisation {org_slug!r} not found")
    return repository.list_clients(session, org.id)


def set_client_disabled(session: Session, client_id: str, *, disabled: bool = True) -> OAuthClient:
    client = repository.get_client(session, client_id)
    if client is None:
        raise NotFoundError(f"client {client_id!r} not found")
    client.disabled = disabled
    session.add(client)
    session.commit()
    session.refresh(client)
    return client


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
