"""SQL for release records (the store is never touched here)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from gateway.releases.models import Release


def stage(session: Session, release: Release) -> Release:
    """Add ``release`` to the session's transaction (the caller commits it with its event)."""
    session.add(release)
    session.flush()
    return release


def get(session: Session, release_id: str) -> Release | None:
    return session.get(Release, release_id)


def latest_published(session: Session, dataset: str) -> Release | None:
    stmt = (
        select(Release)
        .where(Release.dataset == dataset, Release.status == "published")
        .order_by(col(Release.delta_version).desc(), col(Release.cut_at).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def list_releases(
    session: Session, *, dataset: str | None = None, published_only: bool = True, limit: int = 100
) -> Sequence[Release]:
    """Newest first."""
    stmt = select(Release).order_by(col(Release.cut_at).desc()).limit(limit)
    if dataset is not None:
        stmt = stmt.where(Release.dataset == dataset)
    if published_only:
        stmt = stmt.where(Release.status == "published")
    return session.exec(stmt).all()
