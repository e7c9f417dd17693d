"""HTTP: ``GET /v1/views`` and ``GET /v1/views/{view}`` (aggregates only, policy-gated)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from gateway.deps import Analyst, RequestIdDep, SessionDep
from gateway.views.deps import ViewServiceDep
from gateway.views.errors import InvalidViewQueryError
from gateway.views.render import MEDIA_TYPES, headers, render

router = APIRouter(prefix="/v1/views", tags=["views"])

_FILTER_RE = re.compile(r"^filter\[([a-z][a-z0-9_]{0,63})\]$")
_KNOWN_PARAMS = {"group_by", "format", "as_of"}
_RELEASE_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
MAX_FILTER_VALUES = 200
MAX_VALUE_LENGTH = 128


@router.get("", summary="Views the caller may query, with permitted dimensions and k")
def list_views(
    views: ViewServiceDep, session: SessionDep, principal: Analyst, request_id: RequestIdDep
) -> dict[str, Any]:
    listed = views.list_views(session, principal=principal, request_id=request_id)
    return {"views": listed}


@router.get(
    "/{view}",
    summary="Aggregate a view (suppressed cells omitted)",
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
)
def query_view(
    view: str,
    request: Request,
    views: ViewServiceDep,
    session: SessionDep,
    principal: Analyst,
    request_id: RequestIdDep,
    group_by: Annotated[str, Query(max_length=1000)] = "",
    format: Annotated[Literal["json", "csv", "arrow"], Query()] = "json",
    as_of: Annotated[str | None, Query(pattern=_RELEASE_ID)] = None,
) -> Response:
    result = views.query(
        session,
        principal=principal,
        view_name=view,
        group_by=[d.strip() for d in group_by.split(",") if d.strip()],
        filters=_filters(request),
        request_id=request_id,
        as_of=as_of,
    )
    return Response(render(result, format), media_type=MEDIA_TYPES[format], headers=headers(result))


def _filters(request: Request) -> dict[str, list[str]]:
    """``filter[dim]=a,b`` (repeatable); anything else but group_by/format is refused."""
    out: dict[str, list[str]] = {}
    for key, raw in request.query_params.multi_items():
        if key in _KNOWN_PARAMS:
            continue
        match = _FILTER_RE.match(key)
        if match is None:
            raise InvalidViewQueryError(f"unknown query parameter {key[:64]!r}")
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not values or any(len(v) > MAX_VALUE_LENGTH for v in values):
            raise InvalidViewQueryError(f"filter {match.group(1)} needs 1+ short values")
        out.setdefault(match.group(1), []).extend(values)
        if len(out[match.group(1)]) > MAX_FILTER_VALUES:
            raise InvalidViewQueryError(f"at most {MAX_FILTER_VALUES} values per filter")
    return out
