"""Load one contract YAML file into a ``Contract`` through the strict ``ContractDocument`` model.

Every failure is a ``ContractError`` naming the file, the column and the offending key.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.contracts.documents import ColumnDocument, ContractDocument, bound
from gateway.contracts.errors import ContractError
from gateway.contracts.model import ColumnSpec, Contract
from gateway.contracts.taxonomies import TAXONOMIES
from gateway.documents import describe


def load_contract(path: str | Path) -> Contract:
    """Parse and check ``path``; raise ``ContractError`` naming the file and the offending key."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContractError(f"{p}: cannot read contract ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ContractError(f"{p}: not valid YAML ({exc})") from exc
    try:
        return parse_contract(raw)
    except ContractError as exc:
        raise ContractError(f"{p}: {exc}") from None


def parse_contract(raw: Any) -> Contract:
    """Build a ``Contract`` from an already-parsed mapping (e.g. served JSON)."""
    if not isinstance(raw, dict):
        raise ContractError("top level must be a mapping")
    try:
        doc = ContractDocument.model_validate(raw)
    except ValidationError as exc:
        raise ContractError(describe(exc, _locator(raw))) from None
    return Contract(
        dataset=doc.dataset,
        version=doc.version,
        title=doc.title,
        description=doc.description,
        columns=tuple(_column(c) for c in doc.columns),
    )


def _column(doc: ColumnDocument) -> ColumnSpec:
    c = doc.constraints
    allowed = TAXONOMIES[c.allowed_taxonomy] if c.allowed_taxonomy else c.allowed
    return ColumnSpec(
        name=doc.name,
        type=doc.type,
        classification=doc.classification,
        required=doc.required,
        allowed=tuple(allowed) if allowed is not None else None,
        minimum=bound(c.minimum, "minimum", doc.type),
        maximum=bound(c.maximum, "maximum", doc.type),
        pattern=c.pattern,
        unique=c.unique,
        description=doc.description,
        rungs=doc.rungs,
        in_views=doc.in_views,
        harmful=tuple((r, tuple(doc.harmful[r])) for r in sorted(doc.harmful)),
    )


def _locator(raw: dict[str, Any]) -> Any:
    """Name columns by their ``name`` where the document gives one: ``column 'x' constraints``."""
    columns = raw.get("columns")

    def where(loc: Sequence[int | str]) -> str:
        if len(loc) >= 2 and loc[0] == "columns" and isinstance(loc[1], int):
            col = columns[loc[1]] if isinstance(columns, list) else None
            name = col.get("name") if isinstance(col, dict) else None
            head = f"column {name!r}" if isinstance(name, str) else f"columns[{loc[1]}]"
            rest = " ".join(str(p) for p in loc[2:] if isinstance(p, str))
            return f"{head} {rest}".strip()
        return "contract" if not loc else ".".join(map(str, loc))

    return where
