"""Readiness: named probes (database, store, policy engine), each raising when not ready."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import structlog
from sqlalchemy import text
from sqlalchemy.engine import Engine

log = structlog.get_logger(__name__)


class Readiness:
    def __init__(self, probes: Mapping[str, Callable[[], None]]) -> None:
        self.probes = dict(probes)

    def check(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        for name, probe in self.probes.items():
            try:
                probe()
                checks[name] = "ok"
            except Exception as exc:  # any failure means not ready; the cause goes to the log
                log.warning("readyz.check_failed", check=name, error=type(exc).__name__)
                checks[name] = "unavailable"
        return checks


def ping_database(engine: Engine) -> Callable[[], None]:
    def _ping() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return _ping
