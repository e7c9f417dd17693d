"""Key endpoints by principals over real HTTP: who is refused (first), who is served.

Defends against broken object- and function-level authorisation: scopes come from roles, a
batch is readable by its uploading org only (others get the same 404 as a missing batch),
views and the audit trail need their own scopes, and nobody gets in without a token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from connectors.synthetic.synth import generate
from tests.security.live import Gateway, csv_bytes
from tests.security.problem import assert_problem

pytestmark = pytest.mark.integration

BODY = csv_bytes(generate("incident_reports", 12, seed=21))

# principal → client name in the fixture (None: no token at all)
PRINCIPALS: dict[str, str | None] = {
    "own-uploader": "ngo_uploader",
    "own-analyst": "ngo_analyst",
    "other-org": "bank",
    "governance": "governance",
    "admin": "admin",
    "anonymous": None,
}


def _upload(gw: Gateway, who: str | None) -> httpx.Response:
    return gw.upload(BODY, who=who, key=f"matrix-{uuid.uuid4()}")


def _cut(gw: Gateway, who: str | None) -> httpx.Response:
    # Nothing was ever committed to open_source_items: a permitted cut is refused as unchanged.
    body = {"dataset": "open_source_items"}
    return httpx.post(f"{gw.url}/v1/admin/releases", json=body, headers=gw.auth(who), timeout=30)


def _getter(path: str) -> Callable[[Gateway, str | None], httpx.Response]:
    def run(gw: Gateway, who: str | None) -> httpx.Response:
        url = gw.url + path.format(batch=gw.batches["safe-harbour"])
        return httpx.get(url, headers=gw.auth(who), timeout=30)

    return run


ENDPOINTS: dict[str, Callable[[Gateway, str | None], httpx.Response]] = {
    "upload": _upload,
    "get-batch": _getter("/v1/batches/{batch}"),
    "rejections": _getter("/v1/batches/{batch}/rejections"),
    "views-list": _getter("/v1/views"),
    "view-query": _getter("/v1/views/incident_hotspots?group_by=country"),
    "audit-events": _getter("/v1/audit/events?limit=5"),
    "release-cut": _cut,
    "releases-admin": _getter("/v1/admin/releases"),
    "releases-list": _getter("/v1/releases"),
}

# (endpoint, principal) → (status, problem type or None for success)
E401 = (401, "invalid-token")
SCOPE = (403, "insufficient-scope")
EXPECTED: dict[str, dict[str, tuple[int, str | None]]] = {
    "upload": {
        "own-uploader": (201, None),
        "own-analyst": SCOPE,
        "other-org": (403, "policy-denied"),  # a bank does not contribute incident reports
        "governance": SCOPE,
        "admin": SCOPE,
        "anonymous": E401,
    },
    "get-batch": {
        "own-uploader": (200, None),
        "own-analyst": SCOPE,
        "other-org": (404, "batch-not-found"),
        "governance": SCOPE,
        "admin": SCOPE,
        "anonymous": E401,
    },
    "rejections": {
        "own-uploader": (200, None),
        "own-analyst": SCOPE,
        "other-org": (404, "batch-not-found"),
        "governance": SCOPE,
        "admin": SCOPE,
        "anonymous": E401,
    },
    "views-list": {
        "own-uploader": SCOPE,
        "own-analyst": (200, None),
        "other-org": (200, None),
        "governance": (200, None),
        "admin": SCOPE,
        "anonymous": E401,
    },
    "view-query": {
        "own-uploader": SCOPE,
        "own-analyst": (200, None),
        "other-org": (200, None),
        "governance": (200, None),
        "admin": SCOPE,
        "anonymous": E401,
    },
    "audit-events": {
        "own-uploader": SCOPE,
        "own-analyst": SCOPE,
        "other-org": SCOPE,
        "governance": (200, None),
        "admin": (200, None),
        "anonymous": E401,
    },
    "release-cut": {
        "own-uploader": SCOPE,
        "own-analyst": SCOPE,
        "other-org": SCOPE,
        "governance": (409, "release-unchanged"),  # past the scope check, nothing to release
        "admin": (409, "release-unchanged"),
        "anonymous": E401,
    },
    "releases-admin": {
        "own-uploader": SCOPE,
        "own-analyst": SCOPE,
        "other-org": SCOPE,
        "governance": (200, None),
        "admin": (200, None),
        "anonymous": E401,
    },
    "releases-list": {
        "own-uploader": SCOPE,
        "own-analyst": (200, None),
        "other-org": (200, None),
        "governance": (200, None),
        "admin": SCOPE,
        "anonymous": E401,
    },
}


@dataclass(frozen=True)
class Cell:
    endpoint: str
    principal: str
    status: int
    problem: str | None

    @property
    def id(self) -> str:
        return f"{'deny' if self.problem else 'allow'}-{self.endpoint}-{self.principal}"


# Deny cases first, then allows.
CELLS = sorted(
    (
        Cell(endpoint, who, *expected)
        for endpoint, row in EXPECTED.items()
        for who, expected in row.items()
    ),
    key=lambda c: c.problem is None,
)


def _check_allowed(gw: Gateway, cell: Cell, body: Any) -> None:
    """What an allowed caller sees is theirs, and aggregates only."""
    if cell.endpoint == "upload":
        assert body["accepted"] == 12 and body["rejected"] == 0
    elif cell.endpoint in ("get-batch", "rejections"):
        assert body["batch_id"] == gw.batches["safe-harbour"]
    elif cell.endpoint == "views-list":
        names = {v["name"] for v in body["views"]}
        assert "incident_hotspots" in names
        assert ("supply_chain_risk" in names) == (cell.principal == "governance")
    elif cell.endpoint == "view-query":
        assert all(row["report_count"] >= body["min_k"] for row in body["rows"])
        assert {key for row in body["rows"] for key in row} <= {
            "country",
            "report_count",
            "victim_sum",
        }
    elif cell.endpoint == "audit-events":
        assert body["items"], "the seeded uploads are on the trail"
    elif cell.endpoint == "releases-admin":
        assert [r["dataset"] for r in body["releases"]] == ["incident_reports"]
        assert body["releases"][0]["added_orgs"] == 2
    elif cell.endpoint == "releases-list":
        assert [r["dataset"] for r in body["releases"]] == ["incident_reports"]
        assert set(body["releases"][0]) == {"id", "dataset", "cut_at", "previous_id"}


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_principal_matrix(gateway: Gateway, cell: Cell) -> None:
    before = gateway.snapshot()
    r = ENDPOINTS[cell.endpoint](gateway, PRINCIPALS[cell.principal])
    if cell.problem is not None:
        body = assert_problem(r, cell.status, cell.problem)
        if cell.status == 401:
            assert r.headers["www-authenticate"].lower().startswith("bearer")
        assert "rows" not in body and "items" not in body and "views" not in body
        assert gateway.snapshot() == before
        return
    assert r.status_code == cell.status, r.text
    assert r.headers["content-type"].startswith("application/json")
    _check_allowed(gateway, cell, r.json())


def test_other_org_sees_its_own_batch_only(gateway: Gateway) -> None:
    """The mirror image: the bank reads its batch, the NGO gets the missing-batch 404."""
    bank_batch = gateway.batches["northbank"]
    own = httpx.get(f"{gateway.url}/v1/batches/{bank_batch}", headers=gateway.auth("bank"))
    assert own.status_code == 200 and own.json()["dataset"] == "financial_indicators"
    other = httpx.get(
        f"{gateway.url}/v1/batches/{bank_batch}", headers=gateway.auth("ngo_uploader")
    )
    assert_problem(other, 404, "batch-not-found")
    assert "northbank" not in other.text
