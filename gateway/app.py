"""App factory: ``create_app(settings)`` builds every component in the lifespan, none at import."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response

from gateway.logging import configure_logging
from gateway.problems import install_error_handlers
from gateway.providers import Providers
from gateway.settings import Settings

log = structlog.get_logger(__name__)


def build_providers(settings: Settings) -> Providers:
    """Build every process-wide component once, each under its feature's key.

    A new feature adds one line here: ``providers.add(ITS_KEY, build_its_service(...))``
    (with ``close=`` when it holds resources), and reads it back through its ``deps.py``.
    """
    from gateway.audit.deps import AUDIT_LOG
    from gateway.audit.service import AuditLog
    from gateway.auth.deps import ACCOUNT_SERVICE, TOKEN_SERVICE
    from gateway.auth.keys import load_signing_key
    from gateway.auth.service import AccountService
    from gateway.auth.tokens import TokenService
    from gateway.contracts.registry import ContractRegistry
    from gateway.db import open_database
    from gateway.deps import ENGINE, SETTINGS
    from gateway.grants.check import check_grants_file, grants_file
    from gateway.health.deps import READINESS
    from gateway.health.service import Readiness, ping_database
    from gateway.ingest.deps import INGEST_SERVICE
    from gateway.ingest.service import build_ingest_service
    from gateway.policy.deps import POLICY_ENGINE
    from gateway.policy.factory import build_policy_engine
    from gateway.releases.deps import RELEASE_SERVICE
    from gateway.releases.service import ReleaseService
    from gateway.store.delta import DeltaStore
    from gateway.views.definitions import ViewRegistry
    from gateway.views.deps import VIEW_SERVICE
    from gateway.views.service import ViewService

    providers = Providers()
    try:
        providers.add(SETTINGS, settings)
        contracts = ContractRegistry.load(settings.contracts_dir)
        registry = ViewRegistry.load(settings.resolved_views_dir, contracts)
        check_grants_file(grants_file(settings.policy), registry.all(), contracts.datasets())
        engine = open_database(settings)
        providers.add(ENGINE, engine, close=engine.dispose)
        audit = providers.add(AUDIT_LOG, AuditLog(engine))
        store = DeltaStore.from_settings(settings)
        policy = build_policy_engine(settings)
        providers.add(POLICY_ENGINE, policy, close=policy.close)
        providers.add(TOKEN_SERVICE, TokenService.from_settings(settings, engine))
        providers.add(ACCOUNT_SERVICE, AccountService(audit=audit))
        ingest = build_ingest_service(
            settings, contracts=contracts, store=store, policy=policy, audit=audit
        )
        providers.add(INGEST_SERVICE, ingest)
        releases = ReleaseService(
            store=store, contracts=contracts, audit=audit, settings=settings.privacy
        )
        providers.add(RELEASE_SERVICE, releases)
        views = ViewService(
            views=registry,
            store=store,
            policy=policy,
            audit=audit,
            receipt_key=load_signing_key(settings),  # the gateway's key (auth.signing_key_path)
            privacy=settings.privacy,
            contracts=contracts,
        )
        providers.add(VIEW_SERVICE, views, close=views.close)
        probes = {"database": ping_database(engine), "store": store.ping, "policy": policy.ping}
        providers.add(READINESS, Readiness(probes))
    except BaseException:
        providers.close()
        raise
    return providers


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        providers = build_providers(settings)
        app.state.providers = providers
        log.info("gateway.started", policy_backend=settings.policy.backend, mode=settings.mode)
        try:
            yield
        finally:
            providers.close()

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
