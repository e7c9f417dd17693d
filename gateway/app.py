"""App factory: ``create_app(settings)`` builds every component in the lifespan, none at import."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response

from gateway.apidocs.openapi import install_openapi
from gateway.apidocs.router import ASSETS as DOCS_ASSETS
from gateway.apidocs.router import assets as docs_assets
from gateway.apidocs.router import router as docs_router
from gateway.headers import SecurityHeadersMiddleware
from gateway.logging import configure_logging
from gateway.problems import install_error_handlers
from gateway.providers import Providers
from gateway.settings import Settings

log = structlog.get_logger(__name__)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def build_providers(settings: Settings) -> Providers:
    """Build every process-wide component once, each under its feature's key.

    A new feature adds one line here: ``providers.add(ITS_KEY, build_its_service(...))``
    (with ``close=`` when it holds resources), and reads it back through its ``deps.py``.
    """
    from gateway.audit.deps import AUDIT_LOG
    from gateway.audit.service import AuditLog
    from gateway.auth.deps import ACCOUNT_SERVICE, TOKEN_SERVICE, TOKEN_THROTTLE
    from gateway.auth.keys import load_signing_key
    from gateway.auth.service import AccountService
    from gateway.auth.throttle import TokenThrottle
    from gateway.auth.tokens import TokenService
    from gateway.budgets.deps import BUDGET_SERVICE
    from gateway.budgets.service import BudgetService
    from gateway.contracts.registry import ContractRegistry
    from gateway.deps import ENGINE, SETTINGS
    from gateway.grants.check import check_grants_file, grants_file
    from gateway.harm.check import HarmSource, harm_file
    from gateway.harm.deps import HARM_SOURCE
    from gateway.health.deps import READINESS
    from gateway.health.service import Readiness, ping_database
    from gateway.ingest.deps import INGEST_SERVICE
    from gateway.ingest.service import build_ingest_service
    from gateway.migrations import open_database
    from gateway.policy.deps import POLICY_ENGINE
    from gateway.policy.factory import build_policy_engine
    from gateway.privacy.harm import harm_filter
    from gateway.public.deps import PUBLIC_PAGES, PUBLIC_SERVICE
    from gateway.public.pages import ReportPages
    from gateway.public.scrub import build_scrubber
    from gateway.public.service import PublicReportService
    from gateway.public.support import SupportDirectory
    from gateway.releases.deps import RELEASE_SERVICE
    from gateway.releases.service import ReleaseService
    from gateway.state import private_state
    from gateway.store.delta import DeltaStore
    from gateway.views.definitions import ViewRegistry
    from gateway.views.deps import VIEW_SERVICE
    from gateway.views.service import ViewService

    providers = Providers()
    try:
        private_state(settings)  # before any state is written: dirs 0700, files 0600
        providers.add(SETTINGS, settings)
        contracts = ContractRegistry.load(settings.contracts_dir)
        registry = ViewRegistry.load(settings.resolved_views_dir, contracts)
        check_grants_file(grants_file(settings.policy), registry.all(), contracts.datasets())
        all_contracts = [contracts.get(d) for d in contracts.datasets()]
        harm = providers.add(HARM_SOURCE, HarmSource(harm_file(settings.policy), all_contracts))
        engine = open_database(settings)
        providers.add(ENGINE, engine, close=engine.dispose)
        audit = providers.add(AUDIT_LOG, AuditLog(engine))
        store = DeltaStore.from_settings(settings)
        policy = build_policy_engine(settings)
        providers.add(POLICY_ENGINE, policy, close=policy.close)
        providers.add(TOKEN_SERVICE, TokenService.from_settings(settings, engine))
        providers.add(TOKEN_THROTTLE, TokenThrottle.from_settings(settings.auth, engine))
        providers.add(ACCOUNT_SERVICE, AccountService(audit=audit))
        ingest = build_ingest_service(
            settings, contracts=contracts, store=store, policy=policy, audit=audit
        )
        providers.add(INGEST_SERVICE, ingest)
        ingest.reconcile(engine)  # finish or fail batches a crash left unfinished
        if settings.public.enabled:
            public = PublicReportService(
                settings=settings.public, ingest=ingest, audit=audit, scrubber=build_scrubber()
            )
            providers.add(PUBLIC_SERVICE, public)
            directory = SupportDirectory.load(settings.public.support_directory)
            pages = ReportPages(directory, max_chars=settings.public.max_narrative_chars)
            providers.add(PUBLIC_PAGES, pages)
        releases = ReleaseService(
            store=store, contracts=contracts, audit=audit, settings=settings.privacy
        )
        providers.add(RELEASE_SERVICE, releases)
        budgets = BudgetService(audit=audit, contracts=contracts, settings=settings.privacy)
        providers.add(BUDGET_SERVICE, budgets)
        views = ViewService(
            views=registry,
            store=store,
            policy=policy,
            audit=audit,
            receipt_key=load_signing_key(settings),  # the gateway's key (auth.signing_key_path)
            privacy=settings.privacy,
            contracts=contracts,
            budgets=budgets,
            base_filter=harm_filter(harm.document),  # harm tags and embargo, every mode
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
        docs_url=None,  # FastAPI's pages load their assets from a CDN: ours are packaged
        redoc_url=None,
    )
    install_openapi(app)
    if settings.docs if settings.docs is not None else settings.mode == "dev":
        app.include_router(docs_router)
        app.mount(DOCS_ASSETS, docs_assets(), name="docs-assets")
    install_error_handlers(app)
    app.middleware("http")(_request_context)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.mode == "production")
    _include_routers(app, public=settings.public.enabled)
    return app


def _include_routers(app: FastAPI, *, public: bool) -> None:
    from gateway.audit.router import router as audit_router
    from gateway.auth.router import router as auth_router
    from gateway.budgets.router import router as budgets_router
    from gateway.health.router import router as health_router
    from gateway.ingest.router import router as ingest_router
    from gateway.releases.router import router as releases_router
    from gateway.views.router import router as views_router

    for router in (health_router, auth_router, ingest_router, views_router, audit_router):
        app.include_router(router)
    app.include_router(releases_router)
    app.include_router(budgets_router)
    if public:
        from gateway.public.router import router as public_router

        app.include_router(public_router)


async def _request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    incoming = request.headers.get("x-request-id", "")
    # A caller's id is echoed and audited only if it is a plain token; anything else is replaced.
    request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
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
