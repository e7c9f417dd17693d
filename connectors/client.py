"""HTTP client for the Beacon gateway: OAuth2 client credentials, Arrow uploads, retries.

Defends against duplicated uploads and leaked credentials: every upload carries an idempotency
key (so a retry after a lost response is replayed, not doubled), the client secret lives only
inside authlib's client and is never logged, and 4xx responses surface as ``GatewayProblem``.
"""

from __future__ import annotations

import random
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from pydantic import SecretStr

from connectors.errors import GatewayProblem, GatewayUnavailableError
from connectors.profile import Profile

with warnings.catch_warnings():
    # authlib nudges towards the httpx2 fork; this project pins httpx (a declared dependency).
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

ARROW_STREAM = "application/vnd.apache.arrow.stream"
_MAX_RETRY_AFTER = 30.0


@dataclass(frozen=True)
class BatchResult:
    """The gateway's answer to one uploaded chunk."""

    batch_id: str
    dataset: str
    contract_version: str
    status: str
    accepted: int
    rejected: int
    reasons: dict[str, int] = field(default_factory=dict)
    links: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False
    rows: int = 0
    idempotency_key: str = ""

    @classmethod
    def from_response(cls, response: httpx.Response, *, rows: int, key: str) -> BatchResult:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise GatewayProblem(status=response.status_code, title="Malformed batch response")
        return cls(
            batch_id=str(body.get("batch_id", "")),
            dataset=str(body.get("dataset", "")),
            contract_version=str(body.get("contract_version", "")),
            status=str(body.get("status", "")),
            accepted=int(body.get("accepted") or 0),
            rejected=int(body.get("rejected") or 0),
            reasons={str(k): int(v) for k, v in (body.get("reasons") or {}).items()},
            links=dict(body.get("links") or {}),
            replayed=response.headers.get("Idempotent-Replayed", "").lower() == "true",
            rows=rows,
            idempotency_key=key,
        )


class _TokenClient(OAuth2Client):  # type: ignore[misc]
    """authlib's client, but token-endpoint errors become ``GatewayProblem`` (incl. problem+json,
    which authlib would otherwise mistake for a token)."""

    def parse_response_token(self, resp: httpx.Response) -> Any:
        if resp.status_code >= 400:
            raise GatewayProblem.from_response(resp)
        return super().parse_response_token(resp)


class GatewayClient:
    """One partner client's session with the gateway; use as a context manager."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: SecretStr | str,
        *,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep
        self._http = _TokenClient(
            client_id=client_id,
            client_secret=secret.get_secret_value(),
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
            token_endpoint=f"{self.base_url}/oauth/token",
            grant_type="client_credentials",
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )

    @classmethod
    def from_profile(cls, profile: Profile, **kwargs: Any) -> GatewayClient:
        """A client for the profile's gateway and credentials (secret resolved from the env)."""
        return cls(
            profile.gateway_url,
            profile.client_id,
            profile.resolve_client_secret(),
            timeout=kwargs.pop("timeout", profile.timeout),
            **kwargs,
        )

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get_contract(self, dataset: str) -> dict[str, Any]:
        """The contract the gateway currently serves for ``dataset`` (``Contract.to_dict()``)."""
        response = self._request("GET", f"/v1/datasets/{dataset}/contract")
        body = response.json()
        if not isinstance(body, dict):
            raise GatewayProblem(status=response.status_code, title="Malformed contract response")
        return body

    def upload_batch(
        self, dataset: str, body: bytes, *, idempotency_key: str, rows: int = 0
    ) -> BatchResult:
        """POST one Arrow IPC stream; a replayed key returns the original result."""
        response = self._request(
            "POST",
            f"/v1/datasets/{dataset}/batches",
            content=body,
            headers={"Content-Type": ARROW_STREAM, "Idempotency-Key": idempotency_key},
        )
        return BatchResult.from_response(response, rows=rows, key=idempotency_key)

    def get_rejections(self, batch_id: str) -> dict[str, Any]:
        """The gateway's rejected-row report of one batch (row numbers, reasons, values)."""
        response = self._request("GET", f"/v1/batches/{batch_id}/rejections")
        body = response.json()
        if not isinstance(body, dict):
            raise GatewayProblem(status=response.status_code, title="Malformed rejections")
        return body

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with a bounded number of retries on connection errors, 5xx and 429."""
        reauthenticated = False
        last: Exception | None = None
        attempt = 0
        while attempt <= self.max_retries:
            delay: float | None = None
            outcome = self._attempt(method, path, **kwargs)
            if isinstance(outcome, Exception):
                last = outcome
            elif outcome.status_code == 401 and not reauthenticated:
                # The token may have been revoked or the signing key rotated: fetch once more.
                reauthenticated = True
                self._http.fetch_token()
                continue
            elif outcome.status_code < 400:
                return outcome
            else:
                last = GatewayProblem.from_response(outcome)
                if not last.retryable:
                    raise last
                delay = _retry_after(outcome)
            attempt += 1
            if attempt <= self.max_retries:
                self._sleep(delay if delay is not None else self._backoff(attempt))
        if isinstance(last, GatewayProblem):
            raise last
        raise GatewayUnavailableError(
            f"cannot reach the gateway at {self.base_url} after {self.max_retries + 1} attempts "
            f"({type(last).__name__})"
        )

    def _attempt(self, method: str, path: str, **kwargs: Any) -> httpx.Response | Exception:
        """One try: the response, or the retryable failure (a non-retryable one is raised)."""
        try:
            if not self._http.token:
                self._http.fetch_token()
            response: httpx.Response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            return exc
        except GatewayProblem as exc:  # from the token endpoint
            if not exc.retryable:
                raise
            return exc
        return response

    def _backoff(self, attempt: int) -> float:
        return float(self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 2))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER)
    except ValueError:
        return None
