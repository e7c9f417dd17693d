"""The privacy receipt of a view answer: what guarantees it had, signed and bound to its rows.

Defends against outputs misrepresented later (rows altered, guarantees overstated): the claims
name the release, k, P, the dominance rule, the noise (cell-key table id and parameters, or
none in suppression mode), the generalisation rungs, the policy revision and decision id, the
coarse count of cells not shown, and the SHA-256 of the rows exactly as rendered; the gateway
signs them with its key (JWS, ``gateway.privacy.receipts``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
from joserfc.jwk import Key

from gateway.policy.contract import Decision, Obligations
from gateway.privacy.cellkey import default_table
from gateway.privacy.receipts import receipt_claims, rows_sha256, sign_receipt
from gateway.views.model import ViewDefinition


def build_receipt(
    *,
    key: Key,
    view: ViewDefinition,
    release_id: str,
    decision: Decision,
    obligations: Obligations,
    k: int,
    group_by: Sequence[str],
    filters: Mapping[str, Sequence[str]],
    table: pa.Table,
    cells_not_shown: int | None,
    sums_withheld: int,
    issued_at: datetime,
) -> tuple[str, dict[str, Any]]:
    """(jws, claims) for one answer."""
    mode = obligations.mode
    noise = default_table().params() if mode == "cellkey" else {"method": "none"}
    generalisation = {
        d: str(view.dimensions[d].level)
        for d in group_by
        if view.dimensions[d].kind in ("geo", "time") and view.dimensions[d].level
    }
    hidden = None
    if cells_not_shown is not None:
        hidden = {"not_shown_hidden_or_empty": cells_not_shown, "sums_withheld": sums_withheld}
    claims = receipt_claims(
        release_id=release_id,
        dataset=view.dataset,
        view=view.name,
        k=k,
        p=obligations.min_contributors,
        dominance={"n": obligations.dominance.n, "share": obligations.dominance.share},
        noise=noise,
        generalisation=generalisation,
        policy_revision=decision.policy_revision or "",
        decision_id=str(decision.decision_id),
        hidden_by_reason=hidden,
        rows_sha256=rows_sha256(table.to_pylist()),
        issued_at=issued_at,
    )
    claims["mode"] = mode
    claims["counting"] = "only records of organisations other than the recipient count for k, P"
    if mode == "suppression":
        claims["suppression"] = "primary (k, P) + complementary, exact differencing audit"
    claims["query"] = {
        "group_by": list(group_by),
        "filters": {d: list(v) for d, v in filters.items()},
    }
    return sign_receipt(claims, key), claims
