"""Organisations and clients: validation, conflicts, secrets never stored in clear, and every
change audited in the same transaction (a failed audit write rolls the change back)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.audit.events import AuditRecord
from gateway.audit.models import AuditEvent
from gateway.audit.service import AuditLog
from gateway.auth import repository
from gateway.auth.errors import InvalidClientError
from gateway.auth.service import AccountService, authenticate_client
from gateway.errors import BadRequestError, ConflictError, NotFoundError


def accounts(engine: Engine) -> AccountService:
    return AccountService(audit=AuditLog(engine))


class AuditWriteFailedError(RuntimeError):
    pass


class FailingAudit(AuditLog):
    """The real audit log, except that the append fails after staging its rows."""

    def append(self, session: Session, event: AuditRecord) -> AuditEvent:
        super().append(session, event)
        raise AuditWriteFailedError("audit table unavailable")


def test_duplicate_org_is_a_conflict(engine: Engine) -> None:
    with Session(engine) as session:
        accounts(engine).create_org(session, slug="hope-ngo", name="Hope", sector="ngo")
        with pytest.raises(ConflictError):
            accounts(engine).create_org(session, slug="hope-ngo", name="Other", sector="ngo")


@pytest.mark.parametrize(
    ("slug", "sector"),
    [("Hope NGO", "ngo"), ("-bad", "ngo"), ("x" * 65, "ngo"), ("ok", "pirates"), ("", "ngo")],
)
def test_org_validation(engine: Engine, slug: str, sector: str) -> None:
    with Session(engine) as session, pytest.raises(BadRequestError):
        accounts(engine).create_org(session, slug=slug, name="Name", sector=sector)


def test_client_needs_existing_org_and_known_roles(engine: Engine) -> None:
    with Session(engine) as session:
        with pytest.raises(NotFoundError):
            accounts(engine).create_client(session, org_slug="ghost", roles=["analyst"])
        accounts(engine).create_org(session, slug="bank-a", name="Bank A", sector="financial")
        with pytest.raises(BadRequestError):
            accounts(engine).create_client(session, org_slug="bank-a", roles=["superuser"])
        with pytest.raises(BadRequestError):
            accounts(engine).create_client(session, org_slug="bank-a", roles=[])


def test_secret_is_not_stored_in_clear(engine: Engine) -> None:
    with Session(engine) as session:
        accounts(engine).create_org(session, slug="bank-a", name="Bank A", sector="financial")
        client, secret = accounts(engine).create_client(
            session, org_slug="bank-a", roles=["uploader"]
        )
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
        accounts(engine).create_org(session, slug="bank-a", name="Bank A", sector="financial")
        a, _ = accounts(engine).create_client(session, org_slug="bank-a", roles=["uploader"])
        b, _ = accounts(engine).create_client(session, org_slug="bank-a", roles=["uploader"])
        assert a.secret_hash.split("$")[4] != b.secret_hash.split("$")[4]


def test_listing(engine: Engine) -> None:
    with Session(engine) as session:
        accounts(engine).create_org(session, slug="b-org", name="B", sector="ngo")
        accounts(engine).create_org(session, slug="a-org", name="A", sector="public")
        accounts(engine).create_client(session, org_slug="a-org", roles=["analyst"], name="reader")
        accounts(engine).create_client(session, org_slug="b-org", roles=["uploader"])
        assert [o.slug for o in accounts(engine).list_orgs(session)] == ["a-org", "b-org"]
        assert len(accounts(engine).list_clients(session)) == 2
        ((client, org),) = accounts(engine).list_clients(session, org_slug="a-org")
        assert client.name == "reader" and org.slug == "a-org" and client.roles == ["analyst"]
        assert client.created_at.tzinfo is not None
        with pytest.raises(NotFoundError):
            accounts(engine).list_clients(session, org_slug="ghost")


def test_changes_are_audited_with_their_actor(engine: Engine) -> None:
    service = accounts(engine)
    with Session(engine) as session:
        service.create_org(session, slug="bank-a", name="Bank A", sector="financial", actor="ops")
        client, first = service.create_client(session, org_slug="bank-a", roles=["uploader"])
        service.set_client_disabled(session, client_id=client.client_id, actor="ops")
        service.set_client_disabled(session, client_id=client.client_id, disabled=False)
        _, second = service.rotate_secret(session, client_id=client.client_id, actor="ops")
        with pytest.raises(InvalidClientError):
            authenticate_client(session, client.client_id, first)  # the old secret is gone
        assert authenticate_client(session, client.client_id, second)[0].client_id
    events = AuditLog(engine).list_events()
    assert [(e.kind, e.action, e.outcome) for e in events] == [
        ("org.change", "create", "success"),
        ("client.change", "create", "success"),
        ("client.change", "disable", "success"),
        ("client.change", "enable", "success"),
        ("client.change", "rotate_secret", "success"),
    ]
    assert events[0].actor_subject == "ops" and events[0].detail["org"] == "bank-a"
    assert events[1].detail == {"client_id": client.client_id, "org": "bank-a",
                                "roles": ["uploader"]}  # fmt: skip
    assert all(first not in str(e.detail) and second not in str(e.detail) for e in events)
    assert AuditLog(engine).verify().ok


def test_failed_audit_write_rolls_back_org_creation(engine: Engine) -> None:
    broken = AccountService(audit=FailingAudit(engine))
    with Session(engine) as session, pytest.raises(AuditWriteFailedError):
        broken.create_org(session, slug="bank-a", name="Bank A", sector="financial")
    with Session(engine) as session:
        assert repository.get_org_by_slug(session, "bank-a") is None  # no org without its event
    assert AuditLog(engine).verify().checked == 0
    with Session(engine) as session:  # and nothing is stuck: the same change now succeeds
        accounts(engine).create_org(session, slug="bank-a", name="Bank A", sector="financial")
    assert [e.kind for e in AuditLog(engine).list_events()] == ["org.change"]


def test_failed_audit_write_rolls_back_client_changes(engine: Engine) -> None:
    with Session(engine) as session:
        accounts(engine).create_org(session, slug="bank-a", name="Bank A", sector="financial")
        client, secret = accounts(engine).create_client(
            session, org_slug="bank-a", roles=["uploader"]
        )
    broken = AccountService(audit=FailingAudit(engine))
    with Session(engine) as session:
        with pytest.raises(AuditWriteFailedError):
            broken.create_client(session, org_slug="bank-a", roles=["analyst"])
        with pytest.raises(AuditWriteFailedError):
            broken.set_client_disabled(session, client_id=client.client_id)
        with pytest.raises(AuditWriteFailedError):
            broken.rotate_secret(session, client_id=client.client_id)
    with Session(engine) as session:
        rows = accounts(engine).list_clients(session)
        assert [c.client_id for c, _ in rows] == [client.client_id]  # no unaudited client
        assert rows[0][0].disabled is False  # the disable rolled back with its event
        assert authenticate_client(session, client.client_id, secret)  # so did the rotation
    assert len(AuditLog(engine).list_events()) == 2 and AuditLog(engine).verify().ok
