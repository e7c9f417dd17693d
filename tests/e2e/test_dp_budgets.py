"""Differential-privacy mode over real HTTP (issue 7 #5): ε per answer, budgets, refusal, renewal.

A temporary copy of the policies grants the ``academic`` sector ``incident_hotspots`` and a
second view over the same dataset in ``dp`` mode (ε 0.5 per query, budget 2 per release). Each
test uses its own academic organisation, so budgets never leak between tests. Runs twice: the
embedded engine on SQLite and a real OPA server on PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connectors.synthetic.synth import generate
from gateway.app import create_app
from gateway.auth.service import create_client, create_org
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.privacy.receipts import verify_receipt
from gateway.serving import free_port, serve_in_thread
from gateway.settings import Settings
from tests.e2e.helpers import bearer, cut_release
from tests.security.live import csv_bytes
from tests.security.problem import assert_problem

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
VIEW, TWIN = "incident_hotspots", "incident_overview"
EPSILON, BUDGET = 0.5, 2.0
DP_GRANT = {
    "id": "academic-dp",
    "sector": "academic",
    "dims": ["country", "exploitation_type", "sector", "h3_cell", "year", "month"],
    "min_k": 10,
    "row_filter": {},
    "geo_resolution": "h3_cell",
    "time_grain": "month",
    "mode": "dp",
    "min_contributors": 2,
    "dominance": {"n": 2, "share": 0.85},
    "dp": {"epsilon": EPSILON, "budget": BUDGET, "purpose": "research"},
    "embargo": {"days": None, "dims": []},
}
ANALYSTS = (
    "dp-answer", "dp-repeat", "dp-exhaust", "dp-twin", "dp-audit", "dp-plan", "dp-race", "dp-new",
)  # fmt: skip


@dataclass
class Hub:
    url: str
    engine: Engine
    auth: dict[str, dict[str, str]]

    def query(self, who: str, view: str = VIEW, **params: str) -> httpx.Response:
        return httpx.get(f"{self.url}/v1/views/{view}", params=params, headers=self.auth[who])

    def budgets(self, who: str, **params: str) -> httpx.Response:
        return httpx.get(f"{self.url}/v1/budgets", params=params, headers=self.auth[who])

    def left(self, who: str) -> list[dict[str, Any]]:
        r = self.budgets(who)
        assert r.status_code == 200, r.text
        rows: list[dict[str, Any]] = r.json()["budgets"]
        return rows

    def upload(self, who: str, n: int, seed: int) -> None:
        r = httpx.post(
            f"{self.url}/v1/datasets/incident_reports/batches",
            content=csv_bytes(generate("incident_reports", n, seed=seed)),
            headers={
                **self.auth[who],
                "Content-Type": "text/csv",
                "Idempotency-Key": str(uuid.uuid4()),
            },
            timeout=60,
        )
        assert r.status_code == 201, r.text

    def debits(self, org: str) -> int:
        with self.engine.connect() as conn:
            stmt = sa.text("SELECT count(*) FROM privacy_budget_debit WHERE org = :o")
            return int(conn.execute(stmt, {"o": org}).scalar_one())

    def last_query_event(self, org: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT outcome, detail FROM audit_event WHERE kind = 'view.query' "
                    "AND actor_org = :o ORDER BY seq DESC LIMIT 1"
                ),
                {"o": org},
            ).one()
        detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail)
        return {"outcome": row.outcome, **detail}


def _policy_copy(root: Path) -> tuple[Path, Path]:
    views, policies = root / "views", root / "policies"
    shutil.copytree(REPO / "gateway" / "views" / "definitions", views)
    shutil.copytree(REPO / "policies", policies)
    twin = (views / f"{VIEW}.yaml").read_text("utf-8").replace(f"name: {VIEW}", f"name: {TWIN}")
    (views / f"{TWIN}.yaml").write_text(twin)
    path = policies / "beacon" / "grants" / "data.json"
    grants = json.loads(path.read_text("utf-8"))
    grants["views"][VIEW]["grants"].append(DP_GRANT)
    grants["views"][TWIN] = {**grants["views"][VIEW], "grants": [DP_GRANT]}
    path.write_text(json.dumps(grants, indent=2))
    return views, policies


@contextmanager
def _opa(binary: str, policy_dir: Path) -> Iterator[str]:
    """A real OPA server on the temporary policy copy (the session's OPA serves the repo's)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [binary, "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level", "error"]
    cmd += ["--disable-telemetry", "--ignore", "schema", str(policy_dir)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        pytest.fail(f"opa did not start: {log.read()[-2000:]!r}")
                    time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture(scope="module", params=["embedded-sqlite", "opa-postgres"])
def hub(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("dp")
    views, policies = _policy_copy(root)
    s = Settings(data_dir=root / "var", contracts_dir=REPO / "contracts", log_json=True)
    s.views_dir, s.policy.policy_dir, s.store.uri = views, policies, str(root / "store")
    s.ingest.validator = "arrow"
    stack = ExitStack()
    if request.param == "opa-postgres":
        from tests.fixtures.postgres import fresh_pg_database

        s.database.url = SecretStr(fresh_pg_database(request.getfixturevalue("pg_admin_url")))
        s.policy.backend = "opa"
        s.policy.opa_url = stack.enter_context(
            _opa(request.getfixturevalue("opa_binary"), policies)
        )
    else:
        s.database.url = SecretStr(f"sqlite:///{root / 'beacon.db'}")
    with stack:
        engine = build_engine(s)
        upgrade_schema(engine)
        orgs = {"ngo-a": ("ngo", ["uploader"]), "ngo-b": ("ngo", ["uploader"])}
        orgs |= {"hub-ops": ("public", ["governance"])}
        orgs |= {slug: ("academic", ["analyst"]) for slug in ANALYSTS}
        secrets = {}
        with Session(engine) as session:
            for slug, (sector, roles) in orgs.items():
                create_org(session, slug=slug, name=slug.title(), sector=sector)
                client, secret = create_client(session, org_slug=slug, roles=roles)
                secrets[slug] = (client.client_id, secret)
        with serve_in_thread(create_app(s)) as url:
            hub = Hub(url, engine, {slug: bearer(url, *c) for slug, c in secrets.items()})
            hub.upload("ngo-a", 150, seed=11)
            hub.upload("ngo-b", 150, seed=12)
            cut_release(url, hub.auth["hub-ops"], "incident_reports")
            yield hub
        engine.dispose()


def _dp(body: dict[str, Any]) -> dict[str, Any]:
    dp: dict[str, Any] = body["dp"]
    return dp


def test_a_dp_answer_carries_its_epsilon_and_intervals(hub: Hub) -> None:
    r = hub.query("dp-answer", group_by="exploitation_type")
    assert r.status_code == 200, r.text
    body = r.json()
    dp = _dp(body)
    assert (dp["mode"], dp["purpose"], dp["confidence"]) == ("dp", "research", 0.95)
    assert dp["epsilon_spent"] == pytest.approx(EPSILON) and dp["epsilon_spent"] <= EPSILON
    assert dp["epsilon_remaining"] == pytest.approx(BUDGET - EPSILON)
    widths = {name: m["half_width"] for name, m in dp["measures"].items()}
    assert set(widths) == {"report_count", "victim_sum"} and all(w > 0 for w in widths.values())
    assert dp["measures"]["victim_sum"]["contribution_bound"] == 500
    # every cell of the public code list, found in the data or not (presence is not shown)
    allowed = ["labour", "sexual", "domestic_servitude", "forced_criminality", "forced_marriage"]
    allowed += ["organ_removal", "child_exploitation", "other"]
    assert [row["exploitation_type"] for row in body["rows"]] == allowed
    assert (
        abs(sum(row["report_count"] for row in body["rows"]) - 300) < 8 * widths["report_count"] * 3
    )
    # the signed receipt says DP and the ε, and binds the rows
    jwks = httpx.get(f"{hub.url}/.well-known/jwks.json").json()
    claims = verify_receipt(body["receipt"]["jws"], jwks)
    assert claims["mode"] == "dp" and claims["noise"]["method"] == "dp"
    assert claims["noise"]["epsilon_spent"] == dp["epsilon_spent"]
    assert claims["noise"]["epsilon_remaining"] == dp["epsilon_remaining"]
    assert claims["release_id"] == body["release"] == dp["release"]
    # the same facts for CSV callers, in headers
    csv = hub.query("dp-answer", group_by="country", format="csv")
    assert csv.status_code == 200, csv.text
    assert float(csv.headers["x-beacon-dp-epsilon-remaining"]) == pytest.approx(1.0)
    assert "report_count=" in csv.headers["x-beacon-dp-half-width-95"]
    # the audit event records the ε it debited, in the same transaction as the debit
    event = hub.last_query_event("dp-answer")
    assert event["outcome"] == "allow" and event["epsilon_spent"] == pytest.approx(EPSILON)
    assert hub.debits("dp-answer") == 2


def test_repeats_cost_every_time_and_an_empty_budget_answers_nothing(hub: Hub) -> None:
    answers = []
    for _ in range(4):  # the same question: no free averaging
        r = hub.query("dp-repeat", group_by="exploitation_type")
        assert r.status_code == 200, r.text
        answers.append(r.json()["rows"])
    assert hub.debits("dp-repeat") == 4
    [budget] = hub.left("dp-repeat")
    assert budget["epsilon_spent"] == pytest.approx(BUDGET) and budget["epsilon_remaining"] == 0
    refused = hub.query("dp-repeat", group_by="exploitation_type")
    problem = assert_problem(refused, 429, "privacy-budget-exhausted")
    assert "rows" not in problem and problem["epsilon_remaining"] == 0
    assert problem["epsilon_cost"] == pytest.approx(EPSILON)
    assert hub.debits("dp-repeat") == 4
    assert hub.last_query_event("dp-repeat")["outcome"] == "error"


def test_a_budget_is_refused_when_the_query_would_overspend_it(hub: Hub) -> None:
    for _ in range(3):
        assert hub.query("dp-exhaust", group_by="country").status_code == 200
    [budget] = hub.left("dp-exhaust")
    plan = hub.budgets("dp-exhaust", view=VIEW, group_by="country").json()
    assert plan["affordable"] is True and plan["epsilon_remaining"] == pytest.approx(0.5)
    assert hub.query("dp-exhaust").status_code == 200  # the last 0.5 fits exactly
    assert assert_problem(hub.query("dp-exhaust"), 429, "privacy-budget-exhausted")
    assert hub.budgets("dp-exhaust", view=VIEW).json()["affordable"] is False
    # governance renews; an analyst cannot
    body = {"org": "dp-exhaust", "purpose": "research", "dataset": "incident_reports"}
    body |= {"release_id": budget["release_id"], "epsilon": 1.0}
    url = f"{hub.url}/v1/admin/budgets/renew"
    assert httpx.post(url, json=body, headers=hub.auth["dp-exhaust"]).status_code == 403
    renewed = httpx.post(url, json=body, headers=hub.auth["hub-ops"])
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["epsilon_remaining"] == pytest.approx(1.0)
    assert hub.query("dp-exhaust").status_code == 200
    assert hub.debits("dp-exhaust") == 5


def test_a_new_view_over_the_same_dataset_shares_the_budget(hub: Hub) -> None:
    assert hub.query("dp-twin", group_by="country").status_code == 200
    r = hub.query("dp-twin", view=TWIN, group_by="country")
    assert r.status_code == 200, r.text
    assert _dp(r.json())["epsilon_remaining"] == pytest.approx(BUDGET - 2 * EPSILON)
    [budget] = hub.left("dp-twin")  # one ledger row: bound to the dataset release, not a view
    assert (budget["dataset"], budget["epsilon_spent"]) == ("incident_reports", 2 * EPSILON)


def test_a_dimension_without_a_public_domain_is_refused_before_any_debit(hub: Hub) -> None:
    problem = assert_problem(hub.query("dp-plan", group_by="h3_cell"), 400, "dp-not-answerable")
    assert problem["dimension"] == "h3_cell"
    assert hub.left("dp-plan") == [] and hub.debits("dp-plan") == 0


def test_a_planned_query_is_priced_without_spending(hub: Hub) -> None:
    r = hub.budgets("dp-plan", view=VIEW, group_by="country,month", **{"filter[country]": "TH"})
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["epsilon_cost"] == pytest.approx(EPSILON) and plan["affordable"] is True
    assert (plan["epsilon_total"], plan["epsilon_remaining"]) == (BUDGET, BUDGET)
    assert plan["cells"] == 1 * 61  # one country x 60 months and "no date"
    widths = {m["name"]: m["half_width"] for m in plan["measures"]}
    answer = hub.query("dp-plan", group_by="country,month", **{"filter[country]": "TH"})
    assert answer.status_code == 200, answer.text
    assert {k: m["half_width"] for k, m in _dp(answer.json())["measures"].items()} == widths
    assert len(answer.json()["rows"]) == plan["cells"]
    assert hub.debits("dp-plan") == 1
    denied = hub.budgets("dp-plan", view=VIEW, group_by="admin1")
    assert_problem(denied, 403, "policy-denied")


def test_a_failed_audit_write_rolls_the_debit_back(hub: Hub) -> None:
    """The real database refuses the view's audit event: the debit must not survive."""
    postgres = hub.engine.dialect.name == "postgresql"
    with hub.engine.begin() as conn:
        if postgres:
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'audit store refused'; END $$"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_view_event BEFORE INSERT ON audit_event FOR EACH ROW "
                    "WHEN (NEW.kind = 'view.query' AND NEW.actor_org = 'dp-audit') "
                    "EXECUTE FUNCTION refuse_event()"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_view_event BEFORE INSERT ON audit_event "
                    "WHEN NEW.kind = 'view.query' AND NEW.actor_org = 'dp-audit' "
                    "BEGIN SELECT RAISE(ABORT, 'audit store refused'); END"
                )
            )
    try:
        failed = hub.query("dp-audit", group_by="country")
        assert failed.status_code == 500
        assert "rows" not in failed.json()
        assert hub.left("dp-audit") == [] and hub.debits("dp-audit") == 0
    finally:
        with hub.engine.begin() as conn:
            conn.execute(
                sa.text("DROP TRIGGER refuse_view_event" + (" ON audit_event" if postgres else ""))
            )
            if postgres:
                conn.execute(sa.text("DROP FUNCTION refuse_event()"))
    ok = hub.query("dp-audit", group_by="country")
    assert ok.status_code == 200, ok.text
    assert hub.debits("dp-audit") == 1
    assert hub.last_query_event("dp-audit")["epsilon_spent"] == pytest.approx(EPSILON)


def test_twenty_parallel_clients_of_one_org_never_overspend_over_http(hub: Hub) -> None:
    """20 clients of one organisation ask at once; the budget pays for exactly 4 answers."""
    start = threading.Barrier(20)

    def ask() -> int:
        start.wait(timeout=30)
        return hub.query("dp-race", group_by="exploitation_type").status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = sorted(pool.map(lambda _: ask(), range(20)))
    assert codes == [200] * 4 + [429] * 16
    [budget] = hub.left("dp-race")
    assert budget["epsilon_spent"] == pytest.approx(BUDGET) and budget["epsilon_remaining"] == 0
    assert hub.debits("dp-race") == 4
    r = httpx.get(f"{hub.url}/v1/audit/verify", headers=hub.auth["hub-ops"])
    assert r.status_code == 200 and r.json()["ok"] is True, r.text


def test_a_new_release_opens_a_fresh_budget(hub: Hub) -> None:
    """The binding the issue asks for: (org, purpose, dataset RELEASE) — a new cut, new ε."""
    for _ in range(4):
        assert hub.query("dp-new").status_code == 200
    assert_problem(hub.query("dp-new"), 429, "privacy-budget-exhausted")
    hub.upload("ngo-a", 12, seed=21)
    hub.upload("ngo-b", 12, seed=22)
    release = cut_release(hub.url, hub.auth["hub-ops"], "incident_reports")
    r = hub.query("dp-new")
    assert r.status_code == 200, r.text
    assert _dp(r.json())["release"] == release["id"]
    assert _dp(r.json())["epsilon_remaining"] == pytest.approx(BUDGET - EPSILON)
    old, new = sorted(hub.left("dp-new"), key=lambda b: b["release_id"] == release["id"])
    assert (old["epsilon_remaining"], new["release_id"]) == (0, release["id"])
    # the old release can still be asked about (as_of), from its own, spent budget
    stale = hub.query("dp-new", as_of=old["release_id"])
    assert_problem(stale, 429, "privacy-budget-exhausted")
