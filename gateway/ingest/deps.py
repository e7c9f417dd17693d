"""Provider of the ingest service (built once in the app's lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.ingest.service import IngestService
from gateway.providers import Key, provided

INGEST_SERVICE: Key[IngestService] = Key("ingest.service")


def get_ingest_service(request: Request) -> IngestService:
    return provided(request, INGEST_SERVICE)


IngestServiceDep = Annotated[IngestService, Depends(get_ingest_service)]
