"""Baseline benchmark: Beacon over HTTP next to raw pyarrow / DuckDB on the same data, one run.

    .venv/bin/python -m bench.run [--rows 1000000] [--chunk-rows 250000] [--queries 30]

Prints ratios against baselines measured in the same run; never asserts timings.
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
from gateway.releases.jobs import cut_all_releases
from gateway.settings import Settings

REPO = Path(__file__).resolve().parents[1]
VIEW_DIMS = "country,exploitation_type,month"
W = 56  # label column width


def _row(label: str, secs: float, rows: int, baseline: float) -> None:
    print(f"{label:<{W}}{secs:>9.2f}{rows / secs:>12,.0f}{secs / baseline:>12.1f}")


def _settings(root: Path, validator: str) -> Settings:
    s = Settings(data_dir=root / "var", contracts_dir=REPO / "contracts", log_level="WARNING")
    s.database.url = SecretStr(f"sqlite:///{root / 'beacon.db'}")
    s.store.uri = str(root / "store")
    s.policy.policy_dir = REPO / "policies"
    s.ingest.validator = validator  # type: ignore[assignment]
    s.ingest.max_body_bytes = 1 << 30
    s.privacy.release_min_orgs = 1  # one uploading agency here; views read the release it cuts
    return s


def _clients(settings: Settings) -> dict[str, tuple[str, str]]:
    """The government agency (uploads; k=5 on the view) and an NGO analyst (k=10)."""
    engine = build_engine(settings)
    upgrade_schema(engine)
    out: dict[str, tuple[str, str]] = {}
    with Session(engine) as session:
        for slug, sector, roles in (
            ("national-referral-agency", "government", ["uploader", "analyst"]),
            ("safe-harbour", "ngo", ["analyst"]),
        ):
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


def bench_http_ingest(base: str, auth: dict[str, str], chunks: list[bytes]) -> float:
    t = time.perf_counter()
    with httpx.Client(timeout=600) as http:
        for body in chunks:
            r = http.post(
                f"{base}/v1/datasets/incident_reports/batches",
                content=body,
                headers={
                    **auth,
                    "Content-Type": "application/vnd.apache.arrow.stream",
                    "Idempotency-Key": str(uuid.uuid4()),
                },
            )
            r.raise_for_status()
    return time.perf_counter() - t


def _pcts(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(0.95 * len(s)))]


def bench_view(base: str, auth: dict[str, str], n: int) -> list[float]:
    times = []
    with httpx.Client(timeout=60) as http:
        for _ in range(n):
            t = time.perf_counter()
            r = http.get(
                f"{base}/v1/views/incident_hotspots",
                params={"group_by": VIEW_DIMS, "format": "arrow"},
                headers=auth,
            )
            r.raise_for_status()
            times.append(time.perf_counter() - t)
    return times


def bench_duckdb(dataset: pads.Dataset, n: int, k: int) -> list[float]:
    con = duckdb.connect()
    con.register("incidents", dataset)
    q = f"""SELECT country, exploitation_type, strftime(occurred_on, '%Y-%m') AS month,
                   count(*) AS report_count, CAST(sum(victim_count) AS BIGINT) AS victim_sum
            FROM incidents GROUP BY ALL HAVING count(*) >= {k}"""
    con.sql(q).to_arrow_table()  # warm-up, as the HTTP side gets
    times = []
    for _ in range(n):
        t = time.perf_counter()
        con.sql(q).to_arrow_table()
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--chunk-rows", type=int, default=250_000)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--validators", default="arrow,gx")
    args = ap.parse_args()

    print(
        f"machine: {platform.machine()} {platform.system()} cpus={os.cpu_count()} "
        f"python={platform.python_version()} rows={args.rows:,}"
    )
    t = time.perf_counter()
    table = generate("incident_reports", args.rows, seed=42)
    print(f"generated {table.num_rows:,} rows in {time.perf_counter() - t:.2f}s")
    chunks = _ipc_chunks(table, args.chunk_rows)

    with tempfile.TemporaryDirectory(prefix="beacon-bench-") as tmp:
        root = Path(tmp)
        base_write = bench_pyarrow_write(table, root)
        print(
            f"\n{'ingest of ' + format(args.rows, ',') + ' rows':<{W}}"
            f"{'seconds':>9}{'rows/s':>12}{'x baseline':>12}"
        )
        _row("pyarrow Parquet write (zstd), no checks", base_write, args.rows, base_write)
        view_times: dict[str, list[float]] = {}
        view_settings: Settings | None = None
        for validator in args.validators.split(","):
            vroot = root / validator
            vroot.mkdir()
            settings = _settings(vroot, validator)
            creds = _clients(settings)
            with serve_process(settings) as base:
                secs = bench_http_ingest(
                    base, _auth(base, creds["national-referral-agency"]), chunks
                )
                label = f"Beacon HTTP ingest, {validator} validator ({len(chunks)} batches)"
                _row(label, secs, args.rows, base_write)
                if view_settings is None:
                    view_settings = settings
                    cut_all_releases(settings, actor="bench")
                    for slug in creds:
                        auth = _auth(base, creds[slug])
                        bench_view(base, auth, 3)  # warm-up
                        view_times[slug] = bench_view(base, auth, args.queries)
        assert view_settings is not None
        from gateway.store.delta import DeltaStore

        ds = DeltaStore.from_settings(view_settings).dataset("incident_reports")
        assert ds is not None
        print(f"\nview incident_hotspots group_by={VIEW_DIMS}, {args.queries} queries each")
        print(f"{'':<{W}}{'p50 ms':>9}{'p95 ms':>12}{'x baseline':>12}")
        for slug, k in (("national-referral-agency", 5), ("safe-harbour", 10)):
            dp50, dp95 = _pcts(bench_duckdb(ds, args.queries, k))
            hp50, hp95 = _pcts(view_times[slug])
            print(
                f"{f'DuckDB direct, same Delta files, HAVING n >= {k}':<{W}}"
                f"{dp50 * 1e3:>9.1f}{dp95 * 1e3:>12.1f}{1.0:>12.1f}"
            )
            print(
                f"{f'Beacon HTTP as {slug} (k={k})':<{W}}"
                f"{hp50 * 1e3:>9.1f}{hp95 * 1e3:>12.1f}{hp50 / dp50:>12.1f}"
            )


if __name__ == "__main__":
    main()
