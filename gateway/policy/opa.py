"""Policy backend for a real OPA server (sidecar), via opa-python-client.

Defends against fail-open: connection errors, HTTP errors, timeouts and non-JSON answers all
raise ``PolicyUnavailableError`` (503); an answer without a well-formed ``result`` (``{}`` when
the policy path does not exist) is a deny with ``malformed_decision``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from opa_client import OpaClient

from gateway.policy.errors import PolicyUnavailableError
from gateway.policy.port import VIEWS_DECISION, PolicyDecision, check_decision_path


class OpaPolicyEngine:
    """Queries ``POST {opa_url}/v1/data/<path>`` with ``{"input": ...}``."""

    name = "opa"

    def __init__(self, url: str, *, timeout_seconds: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"invalid OPA url: {url!r}")
        if parts.path not in ("", "/"):
            # opa-python-client builds URLs from host and port only (no path prefix).
            raise ValueError(f"OPA url must not have a path: {url!r}")
        self.url = url
        self.timeout_seconds = timeout_seconds
        # opa-python-client 3.0 has no per-request timeout argument: its constructor `timeout`
        # is passed to every `requests` call, which is what we want (settings.policy
        # .timeout_seconds). Two caveats, both handled here:
        #  * its default `retries=2` would retry connect/read failures and 500/502/504 with
        #    back-off, multiplying the time a request waits on a dead engine; we fail fast
        #    with retries=0 (the caller gets a 503 and may retry).
        #  * `requests` timeouts bound connect and each socket read, not the whole exchange:
        #    an OPA that trickles bytes could exceed the budget. OPA answers in one write,
        #    so the bound is good enough for a loopback sidecar.
        self._client = OpaClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 80),
            ssl=parts.scheme == "https",
            timeout=timeout_seconds,
            retries=0,
        )

    def decide(self, path: str, input: dict[str, Any]) -> PolicyDecision:
        check_decision_path(path)
        try:
            answer = self._client.query_rule(input_data=input, package_path=path)
        except requests.exceptions.Timeout as exc:
            raise PolicyUnavailableError("Policy engine timed out.") from exc
        except (requests.exceptions.RequestException, ValueError) as exc:
            # ValueError covers a non-JSON body (requests' JSONDecodeError subclasses it).
            raise PolicyUnavailableError("Policy engine did not answer.") from exc
        if not isinstance(answer, dict):
            return PolicyDecision.from_result(None)
        return PolicyDecision.from_result(answer.get("result"))

    def ping(self) -> None:
        """Raise unless OPA is healthy *and* serves a well-formed views decision."""
        if not self._client.check_health():
            raise PolicyUnavailableError("Policy engine is not healthy.")
        probe = self.decide(VIEWS_DECISION, {})
        if probe.allow or probe.reasons == ("malformed_decision",):
            raise PolicyUnavailableError("Policy engine has no usable views policy loaded.")

    def close(self) -> None:
        self._client.close_connection()
