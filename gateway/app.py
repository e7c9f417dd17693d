"""App factory: ``create_app(settings)`` builds every component in the lifespan, none at import."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response

from gateway.context import AppContext
from gateway.logging import configure_logging
from gateway.problems import install_error_handlers
from gateway.settings import Settings

log = structlog.get_logger(__name__)


def build_context(settings: Settings) -> AppContext:
    """Build the process-wide components (also used by the CLI without HTTP)."""
    from gateway.audit.service import AuditLog
    from gateway.auth.tokens import TokenService
    from gateway.contracts.registry import ContractRegistry
    from gateway.contracts.validate import get_validator
    from gateway.db import build_engine
    from gateway.grants.check import check_grants_file, grants_file
    from gateway.migrations import upgrade_schema
    from gateway.policy.audited import AuditedPolicyEngine
    from gateway.policy.factory import build_policy_engine
    from gateway.store.delta import DeltaStore
    from gateway.views.definitions import ViewRegistry

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings)
    upgrade_schema(engine)
    audit = AuditLog(engine)
    contracts = ContractRegistry.load(settings.contracts_dir)
    validator = get_validator(settings.ingest.validator)
    for dataset in contracts.datasets():
        validator.prepare(contracts.get(dataset))
    views = ViewRegistry.load(settings.resolved_views_dir, contracts)
    try:
        check_grants_file(grants_file(settings.policy), views.all(), contracts.datasets())
    except Exception:
        views.close()
        engine.dispose()
        raise
    return AppContext(
        settings=settings,
        engine=engine,
        store=DeltaStore.from_settings(settings),
        policy=AuditedPolicyEngine(build_policy_engine(settings), audit),
        contracts=contracts,
        views=views,
        tokens=TokenService.from_settings(settings, engine),
        audit=audit,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = build_context(settings)
        app.state.ctx = ctx
        log.info("gateway.started", policy_backend=settings.policy.backend, mode=settings.mode)
        try:
            yield
        finally:
            ctx.policy.close()
            ctx.views.close()
            ctx.engine.dispose()

    app = FastAPI(
        title="Beacon gateway",
        version="0.1.0",
        description="Secure multi-party data sharing for counter-trafficking intelligence.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.middleware("http")(_request_context)
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from gateway.audit.router import router as audit_router
    from gateway.auth.router import router as auth_router
    from gateway.health.router import router as health_router
    from gateway.ingest.router import router as ingest_router
    from gateway.releases.router import router as releases_router
    from gateway.views.router import router as views_router

    for router in (health_router, auth_router, ingest_router, views_router, audit_router):
        app.include_router(router)
    app.include_router(releases_router)


async def _request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    incoming = request.headers.get("x-request-id", "")
    request_id = (
        incoming if 8 <= len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
    )
    request.state.request_id = request_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Request-ID"] = request_id
    log.info(
        "http.request",
        method=request.method,
        path=request.url.path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return response
