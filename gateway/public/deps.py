"""Providers of the public channel's service and pages (built once in the app's lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.providers import Key, provided
from gateway.public.pages import ReportPages
from gateway.public.service import PublicReportService

PUBLIC_SERVICE: Key[PublicReportService] = Key("public.service")
PUBLIC_PAGES: Key[ReportPages] = Key("public.pages")


def get_public_service(request: Request) -> PublicReportService:
    return provided(request, PUBLIC_SERVICE)


def get_public_pages(request: Request) -> ReportPages:
    return provided(request, PUBLIC_PAGES)


PublicServiceDep = Annotated[PublicReportService, Depends(get_public_service)]
PublicPagesDep = Annotated[ReportPages, Depends(get_public_pages)]
