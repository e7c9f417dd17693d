"""Probing hidden-vs-empty through the disclosure metadata (issue 7 #2).

The attack: the victim NGO holds 3 reports of one exploitation type in a quiet province. The
attacker asks the single filtered cell ``filter[admin1]=X&filter[exploitation_type]=t`` for
each of the 8 types, and the breakdown ``group_by=exploitation_type`` for that province and for
provinces with no reports at all. Before, ``suppressed_cells`` said 1 for exactly the planted
type and 0 elsewhere (and the breakdown counted the small cells), so presence and the
sensitive attribute came out without a single released number.

What would leak: that the victim's records exist, and their exploitation type.

Why it fails now: ``cells_not_shown`` is the size of the queried domain minus the released
rows, so a hidden cell and an empty cell read alike; the receipt's hidden-cell count is coarse
and says the same for both. The attacker's answers for the 8 types are identical apart from the
echoed filter, so all 8 types stay consistent with them, and a province with reports reads as
one without.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.security.privacy.attacker import (
    QUIET_ADMIN1,
    TARGET_ADMIN1,
    TYPES,
    Live,
    decode_jws_claims,
    planted,
)

pytestmark = pytest.mark.integration

PLANTED_TYPE = "forced_marriage"
VOLATILE = ("iat", "issued", "decision", "jti", "request", "filter", "generated", "query", "exp")


def _strip(obj: Any) -> Any:
    """The answer without what differs by wording or by time (echoed filters, ids, times)."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if not any(w in k.lower() for w in VOLATILE)}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def fingerprint(response: httpx.Response) -> str:
    """Everything an answer discloses, minus the echoed query and per-request ids and times."""
    assert response.status_code == 200, response.text
    body = response.json()
    receipt = body.pop("receipt", None)
    claims = decode_jws_claims(receipt) if isinstance(receipt, str) else {}
    disclosed = {
        k: v
        for k, v in response.headers.items()
        if k.lower().startswith("x-beacon-") and k.lower() not in ("x-beacon-receipt",)
    }
    return repr((_strip(body), _strip(claims), sorted(disclosed.items())))


def test_hidden_and_empty_cells_read_alike(live: Live) -> None:
    live.seed_background()
    live.upload("victim-ngo", planted(3, 401, exploitation_type=PLANTED_TYPE))
    live.cut()

    # One filtered single-cell query per exploitation type.
    single = {
        t: fingerprint(
            live.get([("filter[admin1]", TARGET_ADMIN1), ("filter[exploitation_type]", t)])
        )
        for t in TYPES
    }
    # The types whose answer reads like the planted one: the attacker's candidates.
    candidates = {t for t, fp in single.items() if fp == single[PLANTED_TYPE]}
    assert candidates == set(TYPES), sorted(candidates)

    # A province with the victim's records reads like provinces with none.
    breakdown = {
        a: fingerprint(live.get([("group_by", "exploitation_type"), ("filter[admin1]", a)]))
        for a in QUIET_ADMIN1
    }
    assert len(set(breakdown.values())) == 1, breakdown

    # And the month breakdown of the planted type in that province says nothing either.
    months = {
        a: fingerprint(
            live.get(
                [
                    ("group_by", "month"),
                    ("filter[admin1]", a),
                    ("filter[exploitation_type]", PLANTED_TYPE),
                ]
            )
        )
        for a in QUIET_ADMIN1
    }
    assert len(set(months.values())) == 1, months
