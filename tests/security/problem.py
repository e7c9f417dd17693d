"""Assertions every problem response must pass (RFC 9457, no internals, no data)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from gateway.errors import TYPE_BASE

PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance")
# Members a problem may carry besides the RFC 9457 ones (all names, codes or counts).
EXTENSIONS = {
    "reasons", "errors", "limit", "accepted", "missing_columns", "unexpected_columns",
    "type_mismatches", "required_scopes", "record", "dimensions", "batch_id", "dataset", "error",
    "release_id", "epsilon_remaining", "epsilon_cost", "dimension", "measure", "cells",
}  # fmt: skip
LEAK_PATTERNS = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|/work/|/tmp/|/home/|/usr/"
    r"|sqlalchemy|psycopg|sqlite3|duckdb|pyarrow|deltalake|regopy|requests\.",
    re.IGNORECASE,
)
SQL = re.compile(r"\b(SELECT\b.+\bFROM|INSERT INTO|UPDATE\b.+\bSET|DELETE FROM)\b")


def assert_problem(r: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    """RFC 9457 members, the media type, the request id as instance, nothing internal."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].split(";")[0] == "application/problem+json"
    body: dict[str, Any] = r.json()
    for member in PROBLEM_MEMBERS:
        assert isinstance(body.get(member), str if member != "status" else int), (member, body)
    assert body["type"] == TYPE_BASE + type_, body
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["instance"] == f"urn:beacon:request:{r.headers['x-request-id']}"
    assert set(body) - set(PROBLEM_MEMBERS) <= EXTENSIONS, body
    assert not LEAK_PATTERNS.search(r.text), r.text
    assert not SQL.search(r.text), r.text
    return body
