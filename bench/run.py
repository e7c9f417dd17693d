"""Baseline benchmark: Beacon over HTTP next to raw pyarrow / DuckDB on the same data, one run.

    .venv/bin/python -m bench.run [--rows 1000000] [--chunk-rows 250000] [--queries 30]

The rows are uploaded as three organisations (batch i by organisation i mod 3) and one release
is cut with the normal settings, so a view answer, whose thresholds count only other
organisations' records (k) from >= P = 2 of them, has cells for every caller. Each view caller's
answer must have rows (asserted here) and its row count is printed beside its timing. Prints
ratios against baselines measured in the same run; never asserts timings.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from pydantic import SecretStr
from sqlmodel import Session

from bench.server import serve_process
from connectors.synthetic.synth import generate
from gateway.auth.service import create_client, create_org
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.releases import repository as releases
from gateway.releases.jobs import cut_all_releases
from gateway.settings import Settings
from gateway.store.delta import DeltaStore

REPO = Path(__file__).resolve().parents[1]
DATASET, VIEW = "incident_reports", "incident_hotspots"
VIEW_DIMS = "country,exploitation_type,month"
W = 60  # label column width
P = 2  # the grants' min_contributors: organisations other than the caller a cell rests on
# slug, sector, roles; the first three upload (batch i by UPLOADERS[i % 3])
ORGS = (
    ("national-referral-agency", "government", ["uploader", "analyst"]),
    ("safe-harbour", "ngo", ["uploader", "analyst"]),
    ("freedom-network", "ngo", ["uploader", "analyst"]),
    ("beacon-ops", "public", ["governance"]),
)
UPLOADERS = [slug for slug, _, roles in ORGS if "uploader" in roles]


@dataclass(frozen=True)
class Caller:
    slug: str
    grant: str  # the grant of policies/beacon/grants/data.json that answers it
    mode: str  # the disclosure mode that grant gives (checked against X-Beacon-Mode)


CALLERS = (
    Caller("national-referral-agency", "nra-incident-hotspots", "cellkey"),
    Caller("safe-harbour", "ngo-incident-hotspots", "cellkey"),
    Caller("beacon-ops", "beacon-ops-incident-hotspots", "suppression"),
)


@dataclass
class ViewRun:
    times: list[float]
    rows: int
    k: int
    mode: str


def _row(label: str, secs: float, rows: int, baseline: float) -> None:
    print(f"{label:<{W}}{secs:>9.2f}{rows / secs:>12,.0f}{secs / baseline:>12.1f}")


def _settings(root: Path, validator: str) -> Settings:
    s = Settings(data_dir=root / "var", contracts_dir=REPO / "contracts", log_level="WARNING")
    s.database.url = SecretStr(f"sqlite:///{root / 'beacon.db'}")
    s.store.uri = str(root / "store")
    s.policy.policy_dir = REPO / "policies"
    s.ingest.validator = validator  # type: ignore[assignment]
    s.ingest.max_body_bytes = 1 << 30
    return s  # privacy settings as shipped: a release needs >= 2 contributing organisations


def _clients(settings: Settings) -> dict[str, tuple[str, str]]:
    engine = build_engine(settings)
    upgrade_schema(engine)
    out: dict[str, tuple[str, str]] = {}
    with Session(engine) as session:
        for slug, sector, roles in ORGS:
            create_org(session, slug=slug, name=slug, sector=sector)
            client, secret = create_client(session, org_slug=slug, roles=roles)
            out[slug] = (client.client_id, secret)
    engine.dispose()
    return out


def _auth(base: str, cred: tuple[str, str]) -> dict[str, str]:
    r = httpx.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=cred)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _ipc_chunks(table: pa.Table, chunk_rows: int) -> list[bytes]:
    out = []
    for start in range(0, table.num_rows, chunk_rows):
        sink = io.BytesIO()
        part = table.slice(start, chunk_rows)
        with ipc.new_stream(sink, part.schema) as w:
            w.write_table(part)
        out.append(sink.getvalue())
    return out


def bench_pyarrow_write(table: pa.Table, root: Path) -> float:
    t = time.perf_counter()
    pq.write_table(table, root / "baseline.parquet", compression="zstd")
    return time.perf_counter() - t


def bench_http_ingest(base: str, auths: list[dict[str, str]], chunks: list[bytes]) -> float:
    """POST batch i as organisation i mod len(auths) (tokens fetched before the clock starts)."""
    t = time.perf_counter()
    with httpx.Client(timeout=600) as http:
        for i, body in enumerate(chunks):
            r = http.post(
                f"{base}/v1/datasets/{DATASET}/batches",
                content=body,
                headers={
                    **auths[i % len(auths)],
                    "Content-Type": "application/vnd.apache.arrow.stream",
                    "Idempotency-Key": str(uuid.uuid4()),
                },
            )
            r.raise_for_status()
    return time.perf_counter() - t


def _pcts(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(0.95 * len(s)))]


def bench_view(base: str, auth: dict[str, str], n: int, caller: Caller) -> ViewRun:
    """``n`` timed requests; each answer must be non-empty, in the caller's grant's mode."""
    times: list[float] = []
    counts: set[int] = set()
    k = 0
    with httpx.Client(timeout=600) as http:
        for _ in range(n):
            t = time.perf_counter()
            r = http.get(
                f"{base}/v1/views/{VIEW}",
                params={"group_by": VIEW_DIMS, "format": "arrow"},
                headers=auth,
            )
            r.raise_for_status()
            times.append(time.perf_counter() - t)
            mode, k = r.headers["X-Beacon-Mode"], int(r.headers["X-Beacon-Min-K"])
            assert mode == caller.mode, f"{caller.slug}: mode {mode}, grant {caller.grant}"
            rows = ipc.open_stream(r.content).read_all().num_rows
            assert rows > 0, f"{caller.slug}: empty answer ({r.headers.get('X-Beacon-Release')})"
            counts.add(rows)
    assert len(counts) == 1, f"{caller.slug}: the same query answered {sorted(counts)} rows"
    return ViewRun(times, counts.pop(), k, caller.mode)


def bench_duckdb(dataset: pads.Dataset, n: int, k: int, caller: str) -> tuple[list[float], int]:
    """The same aggregate over the released files, thresholds on other organisations' rows."""
    con = duckdb.connect()
    con.register("incidents", dataset)
    others = f"FILTER (WHERE _org <> '{caller}')"
    q = f"""SELECT country, exploitation_type, strftime(occurred_on, '%Y-%m') AS month,
                   count(*) AS report_count, CAST(sum(victim_count) AS BIGINT) AS victim_sum
            FROM incidents GROUP BY ALL
            HAVING count(*) {others} >= {k} AND count(DISTINCT _org) {others} >= {P}"""
    rows = con.sql(q).to_arrow_table().num_rows  # warm-up, as the HTTP side gets
    times = []
    for _ in range(n):
        t = time.perf_counter()
        con.sql(q).to_arrow_table()
        times.append(time.perf_counter() - t)
    return times, rows


def released(settings: Settings) -> pads.Dataset:
    """The Delta files of the release the views read (not whatever was committed since)."""
    engine = build_engine(settings)
    try:
        with Session(engine) as session:
            release = releases.latest_published(session, DATASET)
            assert release is not None, "no release was cut"
            version = release.delta_version
    finally:
        engine.dispose()
    ds = DeltaStore.from_settings(settings).dataset(DATASET, version=version)
    assert ds is not None
    return ds


def _cut(settings: Settings) -> None:
    outcome = next(o for o in cut_all_releases(settings, actor="bench") if o.dataset == DATASET)
    assert outcome.release_id is not None, f"release refused: {outcome.problem} {outcome.detail}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--chunk-rows", type=int, default=250_000)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--validators", default="arrow,gx")
    ap.add_argument("--callers", default=",".join(c.slug for c in CALLERS))
    args = ap.parse_args()
    callers = [c for c in CALLERS if c.slug in args.callers.split(",")]

    print(
        f"machine: {platform.machine()} {platform.system()} cpus={os.cpu_count()} "
        f"python={platform.python_version()} rows={args.rows:,} uploaders={','.join(UPLOADERS)}"
    )
    t = time.perf_counter()
    table = generate(DATASET, args.rows, seed=42)
    print(f"generated {table.num_rows:,} rows in {time.perf_counter() - t:.2f}s")
    chunks = _ipc_chunks(table, args.chunk_rows)
    assert len(chunks) >= len(UPLOADERS), "fewer batches than uploading organisations"

    with tempfile.TemporaryDirectory(prefix="beacon-bench-") as tmp:
        root = Path(tmp)
        base_write = bench_pyarrow_write(table, root)
        print(
            f"\n{'ingest of ' + format(args.rows, ',') + ' rows':<{W}}"
            f"{'seconds':>9}{'rows/s':>12}{'x baseline':>12}"
        )
        _row("pyarrow Parquet write (zstd), no checks", base_write, args.rows, base_write)
        views: dict[str, ViewRun] = {}
        view_settings: Settings | None = None
        for validator in args.validators.split(","):
            vroot = root / validator
            vroot.mkdir()
            settings = _settings(vroot, validator)
            creds = _clients(settings)
            with serve_process(settings) as base:
                auths = [_auth(base, creds[slug]) for slug in UPLOADERS]
                secs = bench_http_ingest(base, auths, chunks)
                label = (
                    f"Beacon HTTP ingest, {validator} validator "
                    f"({len(chunks)} batches, {len(UPLOADERS)} orgs)"
                )
                _row(label, secs, args.rows, base_write)
                if view_settings is None:
                    view_settings = settings
                    _cut(settings)
                    for caller in callers:
                        auth = _auth(base, creds[caller.slug])
                        bench_view(base, auth, 3, caller)  # warm-up
                        views[caller.slug] = bench_view(base, auth, args.queries, caller)
        assert view_settings is not None
        ds = released(view_settings)
        print(
            f"\nview {VIEW} group_by={VIEW_DIMS}, {args.queries} queries each, "
            f"released snapshot, P={P}"
        )
        print(f"{'':<{W}}{'p50 ms':>9}{'p95 ms':>12}{'x baseline':>12}{'rows':>9}")
        for caller in callers:
            v = views[caller.slug]
            d_times, d_rows = bench_duckdb(ds, args.queries, v.k, caller.slug)
            dp50, dp95 = _pcts(d_times)
            hp50, hp95 = _pcts(v.times)
            print(
                f"{f'DuckDB direct, same files, others n >= {v.k}, orgs >= {P}':<{W}}"
                f"{dp50 * 1e3:>9.1f}{dp95 * 1e3:>12.1f}{1.0:>12.1f}{d_rows:>9,}"
            )
            print(
                f"{f'Beacon HTTP as {caller.slug} ({v.mode}, k={v.k})':<{W}}"
                f"{hp50 * 1e3:>9.1f}{hp95 * 1e3:>12.1f}{hp50 / dp50:>12.1f}{v.rows:>9,}"
            )


if __name__ == "__main__":
    main()
