"""HTTP: cut and list releases (governance), list published releases (analysts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gateway.apidocs.openapi import problem_responses
from gateway.auth.principal import Principal
from gateway.deps import Analyst, RequestIdDep, SessionDep, require_scopes
from gateway.releases.deps import ReleaseServiceDep
from gateway.releases.schemas import (
    ReleaseCreate,
    ReleasePublic,
    ReleasePublicList,
    ReleaseRead,
    ReleaseReadList,
)

router = APIRouter(tags=["releases"])

ReleaseAdmin = Annotated[Principal, Depends(require_scopes("releases:write"))]
DatasetQuery = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


@router.post(
    "/v1/admin/releases",
    status_code=201,
    summary="Cut a release of a dataset (checked)",
    responses=problem_responses(409),
)
def cut_release(
    body: ReleaseCreate,
    releases: ReleaseServiceDep,
    session: SessionDep,
    principal: ReleaseAdmin,
    request_id: RequestIdDep,
) -> ReleaseRead:
    release = releases.cut(session, dataset=body.dataset, actor=principal, request_id=request_id)
    return ReleaseRead.model_validate(release)


@router.get("/v1/admin/releases", summary="Every cut, published or refused, with counts")
def list_all_releases(
    releases: ReleaseServiceDep,
    session: SessionDep,
    principal: ReleaseAdmin,
    dataset: DatasetQuery = None,
) -> ReleaseReadList:
    found = releases.list_releases(session, dataset=dataset, include_refused=True)
    return ReleaseReadList(releases=[ReleaseRead.model_validate(r) for r in found])


@router.get("/v1/releases", summary="Published releases (what `as_of` may name)")
def list_releases(
    releases: ReleaseServiceDep,
    session: SessionDep,
    principal: Analyst,
    dataset: DatasetQuery = None,
) -> ReleasePublicList:
    found = releases.list_releases(session, dataset=dataset)
    return ReleasePublicList(releases=[ReleasePublic.model_validate(r) for r in found])
