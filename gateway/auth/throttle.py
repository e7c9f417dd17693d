"""Throttle failed client authentication at the token endpoint (defends against online secret
guessing and against guessers exhausting the KDF's CPU for everyone else).

Fixed windows counted in the metadata database (``rate_limit_window``, an atomic upsert), so
every replica sees the same counts. Failures are counted per client id and per source address;
once either reaches its limit, further attempts in that window are refused with 429 and a
``Retry-After`` of the seconds left in the window — *before* the secret is hashed, so a cut-off
guesser costs almost nothing. Successful authentications are never counted, so another client
(even behind the same address, up to the per-source limit) keeps getting tokens. Concurrent
guessers can overshoot a limit by at most their concurrency (check, then count).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.auth import repository
from gateway.auth.errors import TooManyAttemptsError
from gateway.settings import AuthSettings


class TokenThrottle:
    def __init__(
        self,
        engine: Engine,
        *,
        per_client: int,
        per_source: int,
        window_seconds: int,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self.per_client, self.per_source = per_client, per_source
        self.window = window_seconds
        self._now = now

    @classmethod
    def from_settings(cls, auth: AuthSettings, engine: Engine) -> TokenThrottle:
        return cls(
            engine,
            per_client=auth.failed_auth_per_client,
            per_source=auth.failed_auth_per_source,
            window_seconds=auth.failed_auth_window_seconds,
        )

    def check(self, *, client_id: str | None, source: str | None) -> None:
        """Raise TooManyAttemptsError if the client id or the source is over its limit."""
        start, left = self._window()
        with Session(self._engine) as session:
            client = _client_bucket(client_id)
            if client and repository.window_hits(session, [client], start) >= self.per_client:
                raise TooManyAttemptsError(
                    "too many failed attempts for this client; retry later", retry_after=left
                )
            src = _source_bucket(source)
            if src and repository.window_hits(session, [src], start) >= self.per_source:
                raise TooManyAttemptsError(
                    "too many failed attempts from this address; retry later", retry_after=left
                )

    def record_failure(self, *, client_id: str | None, source: str | None) -> None:
        start, _ = self._window()
        buckets = [b for b in (_client_bucket(client_id), _source_bucket(source)) if b]
        with Session(self._engine) as session:
            for bucket in buckets:
                repository.add_hit(session, bucket, start)
            session.commit()

    def _window(self) -> tuple[int, int]:
        """(first second of the current window, whole seconds left in it, at least 1)."""
        now = self._now()
        start = int(now // self.window) * self.window
        return start, max(1, int(start + self.window - now + 0.999))


def _client_bucket(client_id: str | None) -> str | None:
    # Hashed: a caller-chosen id may hold anything (NUL, 10 kB); the bucket stays short and safe.
    if not client_id:
        return None
    return "token-fail:client:" + hashlib.sha256(client_id.encode()).hexdigest()[:40]


def _source_bucket(source: str | None) -> str | None:
    return f"token-fail:source:{source[:64]}" if source else None
