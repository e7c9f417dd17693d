"""ReleaseService on SQLite and PostgreSQL: the difference check, refusals, the lock, the schedule.

A release is published only if what it adds to the previous one rests on >= 2 organisations
and on >= 10 distinct entities other than those of the organisation adding most (defaults);
otherwise nothing is published and the batches wait for the next cut.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from gateway.audit.models import AuditEvent
from gateway.releases.errors import ReleaseTooSmallError, ReleaseUnchangedError
from gateway.releases.models import Release
from tests.releases.conftest import Releases

pytestmark = pytest.mark.integration


def _cut(r: Releases, dataset: str = "incident_reports") -> Release:
    with r.session() as session:
        return r.service.cut(session, dataset=dataset, actor="test")


def _events(r: Releases) -> list[AuditEvent]:
    with r.session() as session:
        stmt = select(AuditEvent).where(AuditEvent.kind == "release.cut")
        return list(session.exec(stmt.order_by(AuditEvent.seq)).all())


def test_nothing_committed_is_unchanged(releases: Releases) -> None:
    with pytest.raises(ReleaseUnchangedError):
        _cut(releases)
    with releases.session() as session:
        assert releases.service.latest(session, "incident_reports") is None
        assert list(releases.service.list_releases(session, include_refused=True)) == []
    assert _events(releases)[-1].outcome == "deny"
    assert _events(releases)[-1].detail["reason"] == "release_unchanged"


def test_one_row_or_one_org_is_refused_and_nothing_is_published(releases: Releases) -> None:
    releases.commit("victim-ngo", 1, seed=1)
    with pytest.raises(ReleaseTooSmallError) as one_row:
        _cut(releases)
    assert "1 entities from 1 organisation(s), 0 of them" in one_row.value.detail
    releases.commit("victim-ngo", 40, seed=2)  # many rows, still one organisation
    with pytest.raises(ReleaseTooSmallError):
        _cut(releases)
    with releases.session() as session:
        assert releases.service.latest(session, "incident_reports") is None
        refused = releases.service.list_releases(session, include_refused=True)
        assert sorted((x.status, x.added_rows, x.added_orgs) for x in refused) == [
            ("refused", 1, 1),
            ("refused", 41, 1),
        ]
    events = _events(releases)
    assert [e.outcome for e in events] == ["deny", "deny"]
    assert events[-1].detail["reason"] == "release_too_small"
    assert events[-1].detail["added_orgs"] == 1


def test_refused_batches_wait_for_the_next_cut(releases: Releases) -> None:
    releases.commit("ngo-a", 30, seed=1)
    releases.commit("ngo-b", 30, seed=2)
    first = _cut(releases)
    assert (first.status, first.row_count, first.org_count) == ("published", 60, 2)
    assert first.previous_id is None
    with pytest.raises(ReleaseUnchangedError):
        _cut(releases)  # nothing new
    releases.commit("victim", 1, seed=3)  # one record after R1: not publishable alone
    with pytest.raises(ReleaseTooSmallError):
        _cut(releases)
    with releases.session() as session:
        assert releases.service.latest(session, "incident_reports") == first
    releases.commit("ngo-a", 9, seed=4)  # 10 entities, but only 1 beyond ngo-a's own 9
    with pytest.raises(ReleaseTooSmallError):
        _cut(releases)
    releases.commit("ngo-b", 10, seed=5)  # 20 entities, 10 beyond the largest org's 10
    second = _cut(releases)
    assert (second.previous_id, second.added_rows, second.added_orgs) == (first.id, 20, 3)
    assert second.delta_version > first.delta_version
    assert (second.row_count, second.org_count) == (80, 3)
    assert _events(releases)[-1].outcome == "allow"
    assert _events(releases)[-1].detail["release_id"] == second.id


@pytest.mark.parametrize(
    ("sizes", "published", "without_largest"),
    [
        ((9, 1), False, 1),  # a victim's 9 rows padded with 1 of the attacker's own
        ((20, 20), True, 20),
        ((1000, 9), False, 9),  # the big org's rows never vouch for the small one's
        ((1000, 10), True, 10),  # the boundary: 10 entities beyond the big org's own
        ((1000, 10, 10), True, 20),
    ],
)
def test_the_difference_must_rest_on_rows_beyond_any_one_org(
    releases: Releases, sizes: tuple[int, ...], published: bool, without_largest: int
) -> None:
    for i, n in enumerate(sizes):
        releases.commit(f"org-{i}", n, seed=10 + i)
    if published:
        assert _cut(releases).status == "published"
    else:
        with pytest.raises(ReleaseTooSmallError) as refused:
            _cut(releases)
        assert f"{without_largest} of them not from the organisation adding most" in (
            refused.value.detail
        )
    detail = _events(releases)[-1].detail
    assert (detail["added_rows"], detail["added_orgs"]) == (sum(sizes), len(sizes))
    assert detail["added_rows_without_largest"] == without_largest
    assert detail["reason"] == (None if published else "release_too_small")


def test_a_compaction_is_no_new_release(releases: Releases) -> None:
    releases.commit("ngo-a", 10, seed=1)
    releases.commit("ngo-b", 10, seed=2)
    _cut(releases)
    releases.store.compact("incident_reports")  # a new Delta version, the same batches
    with pytest.raises(ReleaseUnchangedError):
        _cut(releases)


def test_concurrent_cuts_publish_one_release(releases: Releases) -> None:
    releases.commit("ngo-a", 10, seed=1)
    releases.commit("ngo-b", 10, seed=2)
    outcomes: list[str] = []
    start = threading.Barrier(3, timeout=30)

    def go() -> None:
        start.wait()
        try:
            outcomes.append(_cut(releases).status)
        except ReleaseUnchangedError:
            outcomes.append("unchanged")

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["published", "unchanged", "unchanged"]
    with releases.session() as session:
        assert len(releases.service.list_releases(session)) == 1


def test_due_follows_release_every(releases: Releases) -> None:
    with releases.session() as session:
        assert releases.service.due(session) == []  # no schedule configured
    releases.service.settings.release_every = "7d"
    releases.commit("ngo-a", 10, seed=1)
    releases.commit("ngo-b", 10, seed=2)
    with releases.session() as session:
        assert "incident_reports" in releases.service.due(session)
    released = _cut(releases)
    with releases.session() as session:
        assert "incident_reports" not in releases.service.due(session)
        later = released.cut_at + timedelta(days=7, seconds=1)
        assert "incident_reports" in releases.service.due(session, now=later)
        assert releases.service.due(session, now=datetime.now(UTC)) == [
            d for d in releases.service.contracts.datasets() if d != "incident_reports"
        ]
