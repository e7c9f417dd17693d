"""Policy backend for a real OPA server (sidecar), via opa-python-client and its REST API.

Defends against fail-open: connection errors, HTTP errors, timeouts and non-JSON answers all
raise ``PolicyUnavailableError`` (503); so does an answer without a well-formed ``result``
(``{}`` when the policy path does not exist): an engine fault, never a deny.

Revision: what OPA has loaded is read back (``GET /v1/policies`` for the module texts, minus
``*_test.rego``; ``GET /v1/data`` minus the packages' virtual documents and ``system`` for the
base data) and hashed like the embedded backend hashes its files, at most every
``revision_ttl_seconds`` (a bundle swapped in between is reported on the next refresh).

Drafts: OPA's REST API has no way to evaluate modules that are not loaded (``PUT
/v1/policies`` would make them live for every replica's next request), so a draft with
``modules`` is refused with ``DraftNotSupportedError``. Draft ``grants`` are evaluated with an
ad-hoc query (``POST /v1/query``) that overrides ``data.beacon.grants`` with ``with``: nothing
is stored in OPA.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from opa_client import OpaClient

from gateway.policy.errors import DraftNotSupportedError, PolicyUnavailableError
from gateway.policy.port import (
    GRANTS_PATH,
    VIEWS_DECISION,
    Decision,
    PolicyDraft,
    PolicyInput,
    check_decision_path,
    input_document,
    policy_revision,
)

R = TypeVar("R")


class OpaPolicyEngine:
    """Queries ``POST {opa_url}/v1/data/<path>`` with ``{"input": ...}``."""

    name = "opa"

    def __init__(
        self, url: str, *, timeout_seconds: float, revision_ttl_seconds: float = 5.0
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"invalid OPA url: {url!r}")
        if parts.path not in ("", "/"):
            # opa-python-client builds URLs from host and port only (no path prefix).
            raise ValueError(f"OPA url must not have a path: {url!r}")
        self.url = url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.revision_ttl_seconds = revision_ttl_seconds
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
        self._http = requests.Session()  # revision read-back and draft queries
        self._lock = threading.Lock()
        self._revision: tuple[float, str] | None = None

    def decide(
        self, path: str, input: PolicyInput | dict[str, Any], *, draft: PolicyDraft | None = None
    ) -> Decision:
        check_decision_path(path)
        doc = input_document(input)
        if draft is not None:
            return self._decide_draft(path, doc, draft)
        revision = self.revision()
        answer = self._call(lambda: self._client.query_rule(input_data=doc, package_path=path))
        if not isinstance(answer, dict) or "result" not in answer:
            raise PolicyUnavailableError("Policy engine has no decision at this path.")
        return Decision.from_result(answer["result"], revision=revision)

    def revision(self) -> str:
        with self._lock:
            now = time.monotonic()
            if self._revision is None or now - self._revision[0] > self.revision_ttl_seconds:
                self._revision = (now, self._read_revision())
            return self._revision[1]

    def ping(self) -> None:
        """Raise unless OPA is healthy *and* serves a well-formed views decision."""
        if not self._client.check_health():
            raise PolicyUnavailableError("Policy engine is not healthy.")
        probe = self.decide(VIEWS_DECISION, {})
        if probe.allow:
            raise PolicyUnavailableError("Policy engine has no usable views policy loaded.")

    def close(self) -> None:
        self._client.close_connection()
        self._http.close()

    # --- drafts and revisions -----------------------------------------------------------

    def _decide_draft(self, path: str, doc: dict[str, Any], draft: PolicyDraft) -> Decision:
        if draft.modules:
            raise DraftNotSupportedError(
                "The OPA backend cannot evaluate draft policy modules without loading them."
            )
        modules, data = self._loaded()
        if draft.grants is not None:
            _node(data, GRANTS_PATH[:-1])[GRANTS_PATH[-1]] = draft.grants
        rule = "data." + path.replace("/", ".")
        query = f"x = {rule}"
        if draft.grants is not None:
            # JSON is valid Rego term syntax; the override lives only in this query.
            grants = json.dumps(draft.grants, allow_nan=False)
            query += f" with data.{'.'.join(GRANTS_PATH)} as {grants}"
        body = self._post("/v1/query", {"query": query, "input": doc})
        rows = body.get("result") if isinstance(body, dict) else None
        result = rows[0].get("x") if isinstance(rows, list) and rows else None
        return Decision.from_result(result, revision=policy_revision(modules, data))

    def _read_revision(self) -> str:
        modules, data = self._loaded()
        return policy_revision(modules, data)

    def _loaded(self) -> tuple[list[str], dict[str, Any]]:
        """Non-test module texts and the base data document, as OPA holds them now."""
        policies = self._get("/v1/policies").get("result") or []
        modules: list[str] = []
        packages: list[tuple[str, ...]] = []
        for policy in policies:
            terms = (policy.get("ast") or {}).get("package", {}).get("path", [])
            packages.append(tuple(str(t.get("value")) for t in terms[1:]))
            if not str(policy.get("id", "")).endswith("_test.rego"):
                modules.append(str(policy.get("raw", "")))
        data = self._get("/v1/data").get("result") or {}
        data.pop("system", None)
        for package in sorted(packages, key=len, reverse=True):
            _drop(data, package)
        return modules, data

    def _get(self, route: str) -> dict[str, Any]:
        return self._call(lambda: self._json(self._http.get(self.url + route, timeout=self._t())))

    def _post(self, route: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            lambda: self._json(self._http.post(self.url + route, json=body, timeout=self._t()))
        )

    def _t(self) -> float:
        return self.timeout_seconds

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        response.raise_for_status()
        body = response.json()
        return body if isinstance(body, dict) else {}

    @staticmethod
    def _call(fn: Callable[[], R]) -> R:
        try:
            return fn()
        except requests.exceptions.Timeout as exc:
            raise PolicyUnavailableError("Policy engine timed out.") from exc
        except (requests.exceptions.RequestException, ValueError) as exc:
            # ValueError covers a non-JSON body (requests' JSONDecodeError subclasses it).
            raise PolicyUnavailableError("Policy engine did not answer.") from exc


def _node(root: dict[str, Any], parts: tuple[str, ...]) -> dict[str, Any]:
    node = root
    for part in parts:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise PolicyUnavailableError("Policy data conflicts with the draft grants.")
        node = child
    return node


def _drop(root: dict[str, Any], parts: tuple[str, ...]) -> None:
    """Remove a package's virtual document, and parents it leaves empty."""
    if not parts:
        return
    trail = [root]
    for part in parts[:-1]:
        child = trail[-1].get(part)
        if not isinstance(child, dict):
            return
        trail.append(child)
    trail[-1].pop(parts[-1], None)
    for parent, part in zip(reversed(trail[:-1]), reversed(parts[:-1]), strict=True):
        if parent.get(part) == {}:
            parent.pop(part)
