"""HTTP: the public reporting page and JSON endpoint (no login), governance's held queue.

Defends against identifying reporters and against floods. The peer address is read in one
place (``_bucket``), reduced to a salted hash of its coarse network and dropped; no header of
the request (user agent, forwarding, language beyond the negotiated code) is stored or logged.
Bodies are read up to ``public.max_body_bytes`` and refused beyond it, before parsing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from gateway.apidocs.openapi import problem_responses
from gateway.auth.principal import Principal
from gateway.deps import RequestIdDep, SessionDep, SettingsDep, require_scopes
from gateway.public.deps import PublicPagesDep, PublicServiceDep
from gateway.public.errors import (
    InvalidReportError,
    ReportTooLargeError,
    TooManyReportsError,
)
from gateway.public.models import PublicReport
from gateway.public.pages import SECURITY_HEADERS
from gateway.public.schemas import PublicReceipt, PublicReportList, PublicReportRead
from gateway.public.service import PublicReportService

router = APIRouter(tags=["public"])

Reviewer = Annotated[Principal, Depends(require_scopes("releases:write"))]
LangQuery = Annotated[str | None, Query(max_length=8, pattern=r"^[A-Za-z-]+$")]
CountryQuery = Annotated[str | None, Query(max_length=2, pattern=r"^[A-Z]{2}$")]


@router.get("/report", response_class=HTMLResponse, summary="The public reporting page")
def report_page(
    request: Request, pages: PublicPagesDep, lang: LangQuery = None, country: CountryQuery = None
) -> HTMLResponse:
    c = pages.catalogue(query=lang, accept_language=request.headers.get("accept-language"))
    return _html(pages.form(c, country=country, values={"country": country}))


@router.get("/report/static/report.css", include_in_schema=False)
def report_stylesheet(pages: PublicPagesDep) -> Response:
    headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=3600"}
    return Response(pages.stylesheet, media_type="text/css", headers=headers)


_FORM_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"text/html": {"schema": {"type": "string"}}}}
    for code, text in (
        (400, "The page again, with an error summary naming each field to fix"),
        (413, "The page again: the text is too long"),
        (429, "The page again: too many reports from this network, with Retry-After"),
    )
}


@router.post(
    "/report",
    response_class=HTMLResponse,
    summary="Send the form (no login)",
    responses=_FORM_ERRORS,
)
async def submit_form(
    request: Request,
    service: PublicServiceDep,
    pages: PublicPagesDep,
    session: SessionDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
) -> HTMLResponse:
    c = pages.catalogue(query=None, accept_language=request.headers.get("accept-language"))
    values: dict[str, str] = {}
    try:
        await run_in_threadpool(_admit, request, service, session)
        body = await _bounded_body(request, settings.public.max_body_bytes)
        values = _form_fields(body)
        if values.get("lang"):
            c = pages.catalogue(query=values["lang"], accept_language=None)
        report, show = await run_in_threadpool(_submit, service, session, values, request_id)
    except InvalidReportError as exc:
        return _html(pages.form(c, values=values, errors=exc.fields), status=400)
    except ReportTooLargeError:
        return _html(pages.form(c, errors={"form": "too_large"}), status=413)
    except TooManyReportsError as exc:
        page = pages.form(
            c, values=values, errors={"form": "too_many"}, retry_after=exc.retry_after
        )
        return _html(page, status=429, extra={"Retry-After": str(exc.retry_after)})
    return _html(pages.thanks(c, country=report.country, reference=report.id if show else None))


@router.post(
    "/v1/public/reports",
    status_code=201,
    summary="Send a report as JSON (the app)",
    responses=problem_responses(400, 413, 429),
)
async def submit_json(
    request: Request,
    service: PublicServiceDep,
    session: SessionDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
) -> PublicReceipt:
    await run_in_threadpool(_admit, request, service, session)
    body = await _bounded_body(request, settings.public.max_body_bytes)
    try:
        raw = json.loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError):
        raw = None
    if not isinstance(raw, dict):
        raise InvalidReportError({"body": "json_object_required"})
    report, show = await run_in_threadpool(_submit, service, session, raw, request_id)
    return PublicReceipt(reference=report.id if show else None)


@router.get("/v1/admin/public-reports", summary="Held public reports (governance)")
def list_held(
    service: PublicServiceDep,
    session: SessionDep,
    principal: Reviewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PublicReportList:
    held = service.held(session, limit=limit)
    return PublicReportList(reports=[PublicReportRead.model_validate(r) for r in held])


@router.post("/v1/admin/public-reports/{report_id}/release", summary="Release into the dataset")
def release_report(
    report_id: str,
    service: PublicServiceDep,
    session: SessionDep,
    principal: Reviewer,
    request_id: RequestIdDep,
) -> PublicReportRead:
    report = service.release(session, report_id=report_id, actor=principal, request_id=request_id)
    return PublicReportRead.model_validate(report)


@router.post("/v1/admin/public-reports/{report_id}/discard", summary="Discard (content erased)")
def discard_report(
    report_id: str,
    service: PublicServiceDep,
    session: SessionDep,
    principal: Reviewer,
    request_id: RequestIdDep,
) -> PublicReportRead:
    report = service.discard(session, report_id=report_id, actor=principal, request_id=request_id)
    return PublicReportRead.model_validate(report)


def _admit(request: Request, service: PublicReportService, session: Session) -> None:
    """Spend the peer's bucket budget; the address goes no further than this function."""
    peer = request.client.host if request.client else None
    service.admit(session, bucket=service.client_bucket(session, peer))


def _submit(
    service: PublicReportService,
    session: Session,
    raw: dict[str, object] | dict[str, str],
    request_id: str | None,
) -> tuple[PublicReport, bool]:
    return service.submit(session, raw=raw, request_id=request_id)


def _form_fields(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode("utf-8"), max_num_fields=20))
    except (UnicodeDecodeError, ValueError):
        raise InvalidReportError({"narrative": "narrative_required"}) from None


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ReportTooLargeError(f"a report may be at most {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ReportTooLargeError(f"a report may be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _html(page: str, *, status: int = 200, extra: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(page, status_code=status, headers={**SECURITY_HEADERS, **(extra or {})})
