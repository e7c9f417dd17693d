"""Release use cases: cut a checked release, find the one a view reads, list them.

Defends against before/after differencing across commits (issue 7 #1): views never read the
live table, only a release — a frozen Delta version pooling many batches — and a release is
published only if what it adds to the previous one rests on at least ``release_min_orgs``
organisations and on at least ``release_min_rows`` distinct entities *other than those of any
one organisation* (its entities minus those of the organisation adding most). Every partner
knows its own rows, so a count of the whole difference would let it pad another partner's
9-row batch with 1 row of its own and subtract it again; counted this way, whichever one
partner looks, at least ``release_min_rows`` entities it did not send remain (a hub that
sets ``release_min_orgs = 1`` publishes one partner's rows and counts them whole). A refused cut
publishes nothing (it is recorded as 'refused'); its batches wait for the next cut. Cuts of
one dataset are serialised by a database lock, so two cuts cannot both build on one previous.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from gateway.audit.events import Outcome, ReleaseCut
from gateway.auth.principal import Principal
from gateway.dblock import hold_until_commit
from gateway.releases import repository as repo
from gateway.releases.difference import Difference, difference
from gateway.releases.errors import (
    NoReleaseError,
    ReleaseTooSmallError,
    ReleaseUnchangedError,
    UnknownReleaseError,
)
from gateway.releases.models import Release

if TYPE_CHECKING:
    from sqlmodel import Session

    from gateway.audit.service import AuditLog
    from gateway.contracts.registry import ContractRegistry
    from gateway.settings import PrivacySettings
    from gateway.store.delta import DeltaStore

_EVERY_RE = re.compile(r"^([1-9][0-9]{0,4})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_every(value: str | None) -> timedelta | None:
    """``"7d"`` → 7 days (units m, h, d, w); ``None`` → no schedule."""
    if value is None:
        return None
    match = _EVERY_RE.fullmatch(value)
    if match is None:
        raise ValueError(f"release_every must look like 7d or 12h, not {value[:16]!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class ReleaseService:
    store: DeltaStore
    contracts: ContractRegistry
    audit: AuditLog
    settings: PrivacySettings

    def cut(
        self,
        session: Session,
        *,
        dataset: str,
        actor: Principal | str,
        request_id: str | None = None,
    ) -> Release:
        """Freeze the current Delta version of ``dataset`` as a release, if the check passes.

        Raises ``ReleaseUnchangedError`` (nothing new since the previous release) or
        ``ReleaseTooSmallError`` (recorded as 'refused'); both are audited.
        """
        contract = self.contracts.get(dataset)  # unknown dataset → 404
        hold_until_commit(session, f"release:{dataset}")
        previous = repo.latest_published(session, dataset)
        version = self.store.version(dataset)
        diff = self._difference(dataset, version, previous, contract.entity_key)
        if version is None or diff.added.rows == 0:
            event = _event(dataset, None, previous, version, diff, "release_unchanged")
            self._commit(session, event, actor, request_id)
            raise ReleaseUnchangedError(
                f"nothing was committed to {dataset} since the previous release",
                dataset=dataset,
            )
        published = (
            self._beyond_one_org(diff) >= self.settings.release_min_rows
            and diff.added.orgs >= self.settings.release_min_orgs
        )
        release = repo.stage(
            session,
            Release(
                dataset=dataset,
                delta_version=version,
                previous_id=previous.id if previous else None,
                cut_by=_actor_name(actor)[:200],
                row_count=diff.total.rows,
                org_count=diff.total.orgs,
                added_rows=diff.added.rows,
                added_orgs=diff.added.orgs,
                status="published" if published else "refused",
            ),
        )
        reason = None if published else "release_too_small"
        self._commit(
            session, _event(dataset, release.id, previous, version, diff, reason), actor, request_id
        )
        session.refresh(release)
        if not published:
            raise ReleaseTooSmallError(
                f"the batches since the previous release of {dataset} rest on "
                f"{diff.added.rows} entities from {diff.added.orgs} organisation(s), "
                f"{diff.added.rows_without_largest} of them not from the organisation adding "
                f"most; a release needs at least {self.settings.release_min_rows} entities "
                f"beyond any one organisation's and {self.settings.release_min_orgs} "
                "organisations",
                dataset=dataset,
                release_id=release.id,
            )
        return release

    def latest(self, session: Session, dataset: str) -> Release | None:
        """The newest published release of ``dataset``."""
        return repo.latest_published(session, dataset)

    def get(self, session: Session, release_id: str) -> Release | None:
        """A release by id, whatever its status (governance reads refused ones too)."""
        return repo.get(session, release_id)

    def list_releases(
        self, session: Session, *, dataset: str | None = None, include_refused: bool = False
    ) -> Sequence[Release]:
        return repo.list_releases(session, dataset=dataset, published_only=not include_refused)

    def due(self, session: Session, *, now: datetime | None = None) -> list[str]:
        """Datasets whose latest release is older than ``release_every`` (none if unset)."""
        every = parse_every(self.settings.release_every)
        if every is None:
            return []
        cutoff = (now or datetime.now(UTC)) - every
        out = []
        for dataset in self.contracts.datasets():
            latest = repo.latest_published(session, dataset)
            if latest is None or latest.cut_at <= cutoff:
                out.append(dataset)
        return out

    def _beyond_one_org(self, diff: Difference) -> int:
        """Added entities beyond the largest organisation's; all of them when one org may do."""
        if self.settings.release_min_orgs == 1:  # governance allows one partner's releases
            return diff.added.rows
        return diff.added.rows_without_largest

    def _difference(
        self, dataset: str, version: int | None, previous: Release | None, entity: str | None
    ) -> Difference:
        current = None if version is None else self.store.dataset(dataset, version=version)
        before = (
            None
            if previous is None
            else self.store.dataset(dataset, version=previous.delta_version)
        )
        return difference(current, before, entity_key=entity)

    def _commit(
        self,
        session: Session,
        event: ReleaseCut,
        actor: Principal | str,
        request_id: str | None,
    ) -> None:
        """The release record (if any) and its ``release.cut`` event: one transaction."""
        who = (
            {"actor_org": actor.org, "actor_subject": actor.subject}
            if isinstance(actor, Principal)
            else {"actor_subject": actor[:200]}
        )
        self.audit.append(session, event.model_copy(update={**who, "request_id": request_id}))
        session.commit()


def _event(
    dataset: str,
    release_id: str | None,
    previous: Release | None,
    version: int | None,
    diff: Difference,
    reason: str | None,
) -> ReleaseCut:
    """The cut's audit event: ids and counts only."""
    return ReleaseCut(
        outcome=Outcome.ALLOW if reason is None else Outcome.DENY,
        resource=f"dataset:{dataset}",
        dataset=dataset,
        release_id=release_id,
        delta_version=version,
        previous_id=previous.id if previous else None,
        rows=diff.total.rows,
        orgs=diff.total.orgs,
        added_rows=diff.added.rows,
        added_orgs=diff.added.orgs,
        added_rows_without_largest=diff.added.rows_without_largest,
        reason=reason,
    )


@dataclass(frozen=True)
class SessionReleases:
    """The read side views need, bound to one request's session."""

    session: Session

    def latest(self, dataset: str) -> Release | None:
        return repo.latest_published(self.session, dataset)

    def get(self, release_id: str) -> Release | None:
        return repo.get(self.session, release_id)


def release_to_read(releases: SessionReleases, dataset: str, as_of: str | None) -> Release:
    """The published release a view of ``dataset`` reads: the latest, or ``as_of`` (an id)."""
    if as_of is None:
        release = releases.latest(dataset)
        if release is None:
            raise NoReleaseError(
                f"no release of dataset {dataset} has been published yet", dataset=dataset
            )
        return release
    release = releases.get(as_of)
    if release is None or release.dataset != dataset or release.status != "published":
        raise UnknownReleaseError(f"no published release {as_of[:40]!r} of dataset {dataset}")
    return release


def _actor_name(actor: Principal | str) -> str:
    return f"{actor.org}/{actor.subject}" if isinstance(actor, Principal) else actor
