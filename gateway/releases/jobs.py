"""Release cuts outside HTTP: the CLI, a scheduled ``--due`` run (cron/CronJob) and the demo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session

from gateway.releases.errors import ReleaseTooSmallError, ReleaseUnchangedError
from gateway.releases.service import ReleaseService

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Engine

    from gateway.settings import Settings


@dataclass(frozen=True)
class CutOutcome:
    dataset: str
    release_id: str | None  # None: refused
    problem: str | None = None  # 'release-unchanged' | 'release-too-small'
    detail: str | None = None


def build_release_service(settings: Settings, engine: Engine) -> ReleaseService:
    from gateway.audit.service import AuditLog
    from gateway.contracts.registry import ContractRegistry
    from gateway.store.delta import DeltaStore

    return ReleaseService(
        store=DeltaStore.from_settings(settings),
        contracts=ContractRegistry.load(settings.contracts_dir),
        audit=AuditLog(engine),
        settings=settings.privacy,
    )


def cut_many(
    service: ReleaseService, engine: Engine, datasets: list[str], *, actor: str
) -> list[CutOutcome]:
    """Cut each dataset in turn; a refused cut is an outcome, not an error (its batches wait)."""
    out = []
    for dataset in datasets:
        with Session(engine, expire_on_commit=False) as session:
            try:
                release = service.cut(session, dataset=dataset, actor=actor)
            except (ReleaseUnchangedError, ReleaseTooSmallError) as exc:
                problem = exc.type.rsplit("/", 1)[-1]
                out.append(CutOutcome(dataset, None, problem, exc.detail))
            else:
                out.append(CutOutcome(dataset, release.id))
    return out


def cut_all_releases(
    settings: Settings, *, actor: str = "demo", console: Console | None = None
) -> list[CutOutcome]:
    """One cut attempt per dataset of the contracts (the demo calls this after seeding)."""
    from gateway.db import build_engine
    from gateway.migrations import upgrade_schema

    engine = build_engine(settings)
    upgrade_schema(engine)
    try:
        service = build_release_service(settings, engine)
        outcomes = cut_many(service, engine, service.contracts.datasets(), actor=actor)
    finally:
        engine.dispose()
    if console is not None:
        for o in outcomes:
            shown = f"release {o.release_id}" if o.release_id else f"not released ({o.problem})"
            console.print(f"  {o.dataset:<26} {shown}", soft_wrap=True, highlight=False)
    return outcomes
