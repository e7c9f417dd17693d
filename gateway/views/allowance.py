"""The query-variety allowance: SQL over ``query_scope`` (in the caller's transaction).

Defends against averaging consistent cell-key noise over many different record sets (Asghar &
Kaafar, PETS 2020): an organisation may ask at most ``privacy.scope_allowance`` distinct
canonical scopes of one release; repeats are free. The scope row is added to the session of
the view's audit event, so both commit together (or neither does).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from gateway.views.errors import QueryAllowanceExhaustedError
from gateway.views.models import QueryScope


def charge_scope(
    session: Session, *, org: str, release_id: str, scope_hash: str, allowance: int
) -> bool:
    """Add the scope (True) or find it already asked (False); raise when none is left."""
    seen = session.exec(
        select(QueryScope.id).where(
            QueryScope.org == org,
            QueryScope.release_id == release_id,
            QueryScope.scope_hash == scope_hash,
        )
    ).first()
    if seen is not None:
        return False
    used = session.exec(
        select(func.count())
        .select_from(QueryScope)
        .where(QueryScope.org == org, QueryScope.release_id == release_id)
    ).one()
    if int(used) >= allowance:
        raise QueryAllowanceExhaustedError(
            f"your organisation has asked for {allowance} different record sets of this "
            "release; repeat earlier queries, or wait for the next release"
        )
    session.add(QueryScope(org=org, release_id=release_id, scope_hash=scope_hash))
    return True
