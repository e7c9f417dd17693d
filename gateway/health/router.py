"""`/healthz` (process alive) and `/readyz` (DB, store and policy engine all answer)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gateway.context import AppContext
from gateway.deps import CtxDep

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(ctx: CtxDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    probes: tuple[tuple[str, Callable[[], None]], ...] = (
        ("database", partial(_ping_db, ctx)),
        ("store", ctx.store.ping),
        ("policy", ctx.policy.ping),
    )
    for name, probe in probes:
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; the cause goes to the log only
            log.warning("readyz.check_failed", check=name, error=type(exc).__name__)
            checks[name] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not-ready", "checks": checks},
        status_code=200 if ready else 503,
    )


def _ping_db(ctx: AppContext) -> None:
    with ctx.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
