"""`/healthz` (process alive) and `/readyz` (DB, store and policy engine all answer)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.health.deps import ReadinessDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


_JSON: dict[str, dict[str, str]] = {"application/json": {}}


@router.get(
    "/readyz",
    responses={
        503: {"description": "Not ready: which check failed", "content": {"application/json": {}}}
    },
)
def readyz(readiness: ReadinessDep) -> JSONResponse:
    checks = readiness.check()
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not-ready", "checks": checks},
        status_code=200 if ready else 503,
    )
