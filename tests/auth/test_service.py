"""Organisations and clients: validation, conflicts, and secrets never stored in clear."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.auth.errors import InvalidClientError
from gateway.auth.service import (
    authenticate_client,
    create_client,
    create_org,
    list_clients,
    list_orgs,
)
from gateway.errors import BadRequestError, ConflictError, NotFoundError


def test_duplicate_org_is_a_conflict(engine: Engine) -> None:
    with Session(engine) as session:
        create_org(session, slug="hope-ngo", name="Hope", sector="ngo")
        with pytest.raises(ConflictError):
            create_org(session, slug="hope-ngo", name="Other", sector="ngo")


@pytest.mark.parametrize(
    ("slug", "sector"),
    [("Hope NGO", "ngo"), ("-bad", "ngo"), ("x" * 65, "ngo"), ("ok", "pirates"), ("", "ngo")],
)
def test_org_validation(engine: Engine, slug: str, sector: str) -> None:
    with Session(engine) as session, pytest.raises(BadRequestError):
        create_org(session, slug=slug, name="Name", sector=sector)


def test_client_needs_existing_org_and_known_roles(engine: Engine) -> None:
    with Session(engine) as session:
        with pytest.raises(NotFoundError):
            create_client(session, org_slug="ghost", roles=["analyst"])
        create_org(session, slug="bank-a", name="Bank A", sector="financial")
        with pytest.raises(BadRequestError):
            create_client(session, org_slug="bank-a", roles=["superuser"])
        with pytest.raises(BadRequestError):
            create_client(session, org_slug="bank-a", roles=[])


def test_secret_is_not_stored_in_clear(engine: Engine) -> None:
    with Session(engine) as session:
        create_org(session, slug="bank-a", name="Bank A", sector="financial")
        client, secret = create_client(session, org_slug="bank-a", roles=["uploader"])
    assert len(secret) >= 40
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM oauth_client")).mappings().one()
    assert all(secret not in str(value) for value in row.values())
    assert str(row["secret_hash"]).startswith("scrypt$")
    with Session(engine) as session:
        found, org = authenticate_client(session, client.client_id, secret)
        assert found.client_id == client.client_id and org.slug == "bank-a"
        with pytest.raises(InvalidClientError):
            authenticate_client(session, client.client_id, secret[:-1])


def test_two_clients_get_distinct_salts(engine: Engine) -> None:
    with Session(engine) as session:
        create_org(session, slug="bank-a", name="Bank A", sector="financial")
        a, _ = create_client(session, org_slug="bank-a", roles=["uploader"])
        b, _ = create_client(session, org_slug="bank-a", roles=["uploader"])
        assert a.secret_hash.split("$")[4] != b.secret_hash.split("$")[4]


def test_listing(engine: Engine) -> None:
    with Session(engine) as session:
        create_org(session, slug="b-org", name="B", sector="ngo")
        create_org(session, slug="a-org", name="A", sector="public")
        create_client(session, org_slug="a-org", roles=["analyst"], name="reader")
        create_client(session, org_slug="b-org", roles=["uploader"])
        assert [o.slug for o in list_orgs(session)] == ["a-org", "b-org"]
        assert len(list_clients(session)) == 2
        ((client, org),) = list_clients(session, "a-org")
        assert client.name == "reader" and org.slug == "a-org" and client.roles == ["analyst"]
        assert client.created_at.tzinfo is not None
        with pytest.raises(NotFoundError):
            list_clients(session, "ghost")
