"""Everything the app builds once at start-up, handed to requests via ``app.state.ctx``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from gateway.audit.service import AuditLog
    from gateway.auth.tokens import TokenService
    from gateway.contracts.registry import ContractRegistry
    from gateway.policy.port import PolicyEngine
    from gateway.settings import Settings
    from gateway.store.delta import DeltaStore
    from gateway.views.definitions import ViewRegistry


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    store: DeltaStore
    policy: PolicyEngine
    contracts: ContractRegistry
    views: ViewRegistry
    tokens: TokenService
    audit: AuditLog
