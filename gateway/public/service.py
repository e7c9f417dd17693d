"""The public channel's use cases: admit (rate limit), submit into the held queue, decide.

Defends against three things. Flooding: every submission, valid or not, spends one unit of its
coarse client bucket's budget before anything else runs (``buckets``). Identifying reporters:
the service is never given the peer address, only the bucket hash the router derives, and a
report keeps the day it arrived, not the time. Unreviewed public input reaching partners: a
report is held until a governance user releases it; releasing commits it through the ingest
pipeline (policy, contract checks, one Delta commit) under the channel's own organisation, and
views still see it only after the next dataset release is cut.

Releasing is safe to retry: the ingest idempotency key is derived from the report id and the
row is rebuilt identically, so a crash between the Delta commit and the report's status update
is finished by the next attempt (the ingest answers "replayed" with the same batch).
"""

from __future__ import annotations

import hashlib
import io
import secrets
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from datetime import time as dtime

import pyarrow as pa
import pyarrow.ipc as ipc
from sqlmodel import Session

from gateway.audit.events import Outcome, PublicReportDecided, PublicReportReceived
from gateway.audit.service import AuditLog
from gateway.auth.principal import Principal
from gateway.ingest.parse import ARROW_STREAM
from gateway.ingest.service import IngestService
from gateway.ingest.upload import Upload
from gateway.public import repository as repo
from gateway.public.buckets import bucket_of, window_of
from gateway.public.errors import (
    PublicReportDecidedError,
    PublicReportNotFoundError,
    PublicReportRejectedError,
    TooManyReportsError,
)
from gateway.public.models import DISCARDED, HELD, RELEASED, SOURCE_TYPE, PublicReport
from gateway.public.scrub import Scrubber
from gateway.public.validation import check_submission
from gateway.settings import PublicSettings

DATASET = "incident_reports"
PUBLIC_CONFIDENCE = 1  # unverified until a partner follows it up


class PublicReportService:
    """One per process; a DB session per call. Never receives a client address."""

    def __init__(
        self,
        *,
        settings: PublicSettings,
        ingest: IngestService,
        audit: AuditLog,
        scrubber: Scrubber,
    ) -> None:
        self.settings, self.ingest, self.audit, self.scrubber = settings, ingest, audit, scrubber
        self._salts: dict[date, str] = {}  # the day's salt, cached (also in the DB for replicas)

    # --- the public side -----------------------------------------------------------------

    def client_bucket(self, session: Session, peer: str | None) -> str:
        """The day's keyed hash of the peer's coarse network (the peer itself is not kept)."""
        today = datetime.now(UTC).date()
        salt = self._salts.get(today)
        if salt is None:
            salt = repo.salt_of(session, today)
            self._salts = {today: salt}
        return bucket_of(peer, salt=salt)

    def admit(self, session: Session, *, bucket: str) -> None:
        """Spend one unit of ``bucket``'s budget; ``TooManyReportsError`` once it is spent."""
        window_no, remaining = window_of(time.time(), length=self.settings.rate_window_seconds)
        hits = repo.count_hit(session, bucket=bucket, window_no=window_no)
        session.commit()
        if hits > self.settings.rate_limit:
            raise TooManyReportsError(remaining)

    def submit(
        self, session: Session, *, raw: Mapping[str, object], request_id: str | None
    ) -> tuple[PublicReport, bool]:
        """Check, coarsen, scrub and hold one report; returns it and whether to show its id."""
        today = datetime.now(UTC).date()
        draft = check_submission(raw, today=today, max_chars=self.settings.max_narrative_chars)
        scrubbed = self.scrubber(draft.narrative, draft.country)
        report = PublicReport(
            id=secrets.token_urlsafe(18),  # 144 random bits: not guessable, not sequential
            received_on=today,
            country=draft.country,
            admin1=draft.admin1,
            exploitation_type=draft.exploitation_type,
            sector=draft.sector,
            victim_count=draft.victim_count,
            occurred_on=draft.occurred_on,
            narrative=scrubbed.text,
            scrub_removed=scrubbed.removed,
        )
        repo.add_report(session, report)
        event = PublicReportReceived(
            outcome=Outcome.SUCCESS, request_id=request_id, removed=scrubbed.removed
        )
        self.audit.append(session, event)
        session.commit()
        session.refresh(report)
        return report, draft.want_reference

    # --- governance ----------------------------------------------------------------------

    def held(self, session: Session, *, limit: int = 100) -> Sequence[PublicReport]:
        return repo.held_reports(session, limit=limit)

    def release(
        self, session: Session, *, report_id: str, actor: Principal, request_id: str | None
    ) -> PublicReport:
        """Commit the report into incident_reports through the ingest pipeline, then mark it."""
        report = self._held(session, report_id)
        result = self.ingest.ingest(
            session, principal=self._channel(), upload=self._upload(report), request_id=request_id
        )
        if result.batch.accepted == 0:
            raise PublicReportRejectedError(
                "the report does not satisfy the incident_reports contract",
                reasons=result.batch.reasons,
            )
        report = self._held(session, report_id)
        report.status, report.batch_id = RELEASED, result.batch.id
        return self._decide(session, report, actor, "release", request_id)

    def discard(
        self, session: Session, *, report_id: str, actor: Principal, request_id: str | None
    ) -> PublicReport:
        """Drop the report: its content is erased, the id stays so the decision is traceable."""
        report = self._held(session, report_id)
        report.status, report.narrative, report.scrub_removed = DISCARDED, None, {}
        return self._decide(session, report, actor, "discard", request_id)

    def _held(self, session: Session, report_id: str) -> PublicReport:
        report = repo.lock_report(session, report_id) if len(report_id) <= 64 else None
        if report is None:
            raise PublicReportNotFoundError(f"no public report {report_id!r}")
        if report.status != HELD:
            raise PublicReportDecidedError(f"this report was already {report.status}")
        return report

    def _decide(
        self,
        session: Session,
        report: PublicReport,
        actor: Principal,
        action: str,
        request_id: str | None,
    ) -> PublicReport:
        report.decided_at, report.decided_by = datetime.now(UTC), actor.subject
        session.add(report)
        event = PublicReportDecided(
            action=action,
            outcome=Outcome.SUCCESS,
            actor_org=actor.org,
            actor_subject=actor.subject,
            resource=f"public_report/{report.id}",
            request_id=request_id,
            report_id=report.id,
            batch_id=report.batch_id,
        )
        self.audit.append(session, event)
        session.commit()
        session.refresh(report)
        return report

    def _channel(self) -> Principal:
        """The uploader the channel commits as (its own org, sector ``public``)."""
        return Principal(
            subject="public-channel",
            org=self.settings.org,
            sector="public",
            roles=frozenset({"uploader"}),
            scopes=frozenset({"batches:write"}),
        )

    def _upload(self, report: PublicReport) -> Upload:
        contract = self.ingest.contract(DATASET)
        row = _row(report)
        table = pa.Table.from_pylist(
            [{c.name: row.get(c.name) for c in contract.columns}], schema=contract.nullable_schema
        )
        sink = io.BytesIO()
        with ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        body = sink.getvalue()
        return Upload(
            dataset=DATASET,
            idempotency_key=f"public-report-{report.id}",
            content_type=ARROW_STREAM,
            body=io.BytesIO(body),
            sha256=hashlib.sha256(body).hexdigest(),
            size=len(body),
        )


def _row(report: PublicReport) -> dict[str, object]:
    return {
        "report_id": report.id,
        "received_at": datetime.combine(report.received_on, dtime(0), tzinfo=UTC),
        "occurred_on": report.occurred_on,
        "occurred_on_approximate": report.occurred_on is not None,
        "country": report.country,
        "admin1": report.admin1,
        "exploitation_type": report.exploitation_type,
        "sector": report.sector,
        "victim_count": report.victim_count,
        "source_type": SOURCE_TYPE,
        "confidence": PUBLIC_CONFIDENCE,
        "narrative": report.narrative,
    }
