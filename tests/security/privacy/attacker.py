"""What the attacker has: the public API, its own uploads, and the published perturbation table.

``Live`` wraps a running gateway (uploads, release cuts, view queries over HTTP). ``Answer``
parses one view answer and turns it into what an honest attacker may conclude: for a released
count ``c`` the true counts consistent with it under the bound the answer itself declares (its
receipt or envelope names the noise method and ``max_noise``; an answer that declares no noise
is taken at face value, as exact), and for a released sum the interval of consistent true sums.
The attacks assert on these sets: an attack fails when more than one value stays consistent.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from connectors.synthetic.geography import GEOGRAPHY
from connectors.synthetic.synth import generate
from gateway.contracts.loader import load_contract
from gateway.privacy.cellkey import PerturbationTable, default_table
from tests.e2e.helpers import cut_release

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"
VIEW = "/v1/views/incident_hotspots"
DATASET = "incident_reports"
K = 10  # the demo NGO grant's k
ORGS = {  # slug → (sector, roles)
    "victim-ngo": ("ngo", ["uploader"]),
    "other-ngo": ("ngo", ["uploader"]),
    "attacker-ngo": ("ngo", ["uploader", "analyst"]),
    "attacker-uni": ("academic", ["analyst"]),  # holds a DP grant where a module adds one
    "beacon-ops": ("public", ["governance"]),
}
TYPES = (
    "labour",
    "sexual",
    "domestic_servitude",
    "forced_criminality",
    "forced_marriage",
    "organ_removal",
    "child_exploitation",
    "other",
)
# A quiet place for planted records: the background never has rows there.
TARGET_COUNTRY = "LA"
TARGET_ADMIN1 = GEOGRAPHY[TARGET_COUNTRY][2][0][0]  # LA-VT, Vientiane
# Real ISO 3166-2 provinces of Laos the generator never uses: quiet cells to plant in or probe.
QUIET_ADMIN1 = (TARGET_ADMIN1, "LA-AT", "LA-XA", "LA-BK")

Params = Sequence[tuple[str, str]]


def csv_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(table, buf)
    return buf.getvalue()


@cache
def background(n: int, seed: int) -> pa.Table:
    """Synthetic reports with no row in the target country (planted records stand alone)."""
    table = generate(DATASET, n, seed=seed)
    return table.filter(pc.not_equal(table.column("country"), TARGET_COUNTRY))


def planted(
    n: int,
    seed: int,
    *,
    country: str = TARGET_COUNTRY,
    admin1: str = TARGET_ADMIN1,
    exploitation_type: str = "forced_marriage",
    month: str = "2024-05",
    victim_count: int | Sequence[int] = 3,
) -> pa.Table:
    """``n`` synthetic reports (fresh report ids) with the attributes an attacker targets."""
    table = generate(DATASET, n, seed=seed)
    year, mon = (int(x) for x in month.split("-"))
    victims = [victim_count] * n if isinstance(victim_count, int) else list(victim_count)
    columns: dict[str, pa.Array] = {
        "country": pa.array([country] * n, pa.string()),
        "admin1": pa.array([admin1] * n, pa.string()),
        "h3_cell": pa.nulls(n, pa.string()),
        "exploitation_type": pa.array([exploitation_type] * n, pa.string()),
        "occurred_on": pa.array([dt.date(year, mon, 15)] * n, pa.date32()),
        "victim_count": pa.array(victims, pa.int32()),
    }
    for name, values in columns.items():
        i = table.schema.get_field_index(name)
        table = table.set_column(i, table.schema.field(i), values)
    return table


@cache
def public_domain(dim: str) -> tuple[str, ...]:
    """Values the attacker knows a dimension may take: the contract's list, else what it knows.

    Countries and exploitation types have public code lists; provinces have none (only a
    pattern), so the attacker knows the generator's provinces and the quiet ones of Laos.
    """
    contract = load_contract(CONTRACTS / f"{DATASET}.yaml")
    allowed = contract.column(dim).allowed if dim in ("country", "exploitation_type") else None
    if allowed:
        return tuple(allowed)
    if dim == "admin1":
        return tuple(a for _r, _v, subs in GEOGRAPHY.values() for a, *_ in subs) + QUIET_ADMIN1[1:]
    return ()


def decode_jws_claims(token: str) -> dict[str, Any]:
    """The claims of a compact JWS, unverified (the attacker only reads what it states)."""
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


RECEIPT_LINE = b"# beacon-receipt: "
PER_ANSWER_CLAIMS = ("iat", "issued_at", "decision_id", "jti")  # differ on every answer


def stable_csv(content: bytes) -> tuple[bytes, dict[str, Any]]:
    """A CSV answer's data bytes and its receipt's claims, minus what differs per answer.

    The receipt is signed anew for every answer (ECDSA signatures are randomised, and it
    names its own decision and time), so two answers disclosing the same thing compare equal
    on (data bytes, these claims).
    """
    lines = content.splitlines(keepends=True)
    claims: dict[str, Any] = {}
    data = []
    for line in lines:
        if line.startswith(RECEIPT_LINE):
            claims = decode_jws_claims(line[len(RECEIPT_LINE) :].decode().strip())
        else:
            data.append(line)
    stable = {k: v for k, v in claims.items() if k not in PER_ANSWER_CLAIMS}
    return b"".join(data), stable


def _find(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        if key in obj:
            return obj[key]
        for value in obj.values():
            found = _find(value, key)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for value in obj:
            found = _find(value, key)
            if found is not None:
                return found
    return None


@dataclass
class Answer:
    """One 200 view answer (JSON) and the disclosure bound it declares."""

    body: dict[str, Any]
    dims: tuple[str, ...]
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        assert response.status_code == 200, response.text
        body = response.json()
        receipt = body.get("receipt")
        claims = decode_jws_claims(receipt) if isinstance(receipt, str) else {}
        return cls(body, tuple(body.get("group_by", ())), claims)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return list(self.body["rows"])

    def cells(self) -> dict[tuple[Any, ...], dict[str, Any]]:
        return {tuple(r[d] for d in self.dims): r for r in self.rows}

    def cell(self, *key: Any) -> dict[str, Any] | None:
        return self.cells().get(tuple(key))

    def count(self, *key: Any) -> int | None:
        row = self.cell(*key)
        return None if row is None or row.get("report_count") is None else int(row["report_count"])

    @property
    def table(self) -> PerturbationTable | None:
        """The published table the answer declares, or None when it declares no noise."""
        meta = {"body": {k: v for k, v in self.body.items() if k != "rows"}, "c": self.claims}
        bound = _find(meta, "max_noise")
        if bound is None and "cell-key" not in json.dumps(meta):
            return None
        table = default_table()
        if bound is not None and int(bound) != table.max_noise:
            variance = _find(meta, "variance")
            table = PerturbationTable.build(int(bound), float(variance or table.variance))
        return table

    def consistent_counts(self, released: int | None, *, hidden: Iterable[int] = ()) -> set[int]:
        """True counts consistent with a released count (``None``: not released → ``hidden``)."""
        if released is None:
            return set(hidden)
        table = self.table
        if table is None:
            return {released}
        out = set()
        for n in range(max(0, released - table.max_noise), released + table.max_noise + 1):
            row = table.row_for(n)
            for d, p in zip(row.noise, row.probability, strict=True):
                if p > 0 and n + d == released:
                    out.add(n)
        return out

    def sum_interval(self, released: float) -> tuple[float, float]:
        """True sums consistent with a released sum (closed interval)."""
        table = self.table
        r = 0.0 if table is None else table.sum_max_relative
        return released / (1 + r), released / (1 - r) if r < 1 else float("inf")


@dataclass
class Live:
    url: str
    auth: dict[str, dict[str, str]]

    def upload(self, who: str, table: pa.Table) -> dict[str, Any]:
        r = httpx.post(
            f"{self.url}/v1/datasets/{DATASET}/batches",
            content=csv_bytes(table),
            headers={
                **self.auth[who],
                "Content-Type": "text/csv",
                "Idempotency-Key": str(uuid.uuid4()),
            },
            timeout=120,
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def upload_generated(self, who: str, n: int, seed: int) -> None:
        body = self.upload(who, generate(DATASET, n, seed=seed))
        assert body["accepted"] == n

    def seed_background(self, n: int = 1500) -> None:
        """Two other NGOs' everyday reports (outside the target country); no release yet."""
        self.upload("victim-ngo", background(n, 101))
        self.upload("other-ngo", background(n, 102))

    def cut(self) -> dict[str, Any]:
        return cut_release(self.url, self.auth["beacon-ops"], DATASET)

    def refused_cut(self) -> httpx.Response:
        return httpx.post(
            f"{self.url}/v1/admin/releases",
            json={"dataset": DATASET},
            headers=self.auth["beacon-ops"],
        )

    def get(
        self, params: Params, *, who: str = "attacker-ngo", as_of: str | None = None
    ) -> httpx.Response:
        query = list(params) + ([("as_of", as_of)] if as_of else [])
        return httpx.get(self.url + VIEW, params=query, headers=self.auth[who], timeout=60)

    def ask(self, params: Params, *, who: str = "attacker-ngo", as_of: str | None = None) -> Answer:
        return Answer.of(self.get(params, who=who, as_of=as_of))
