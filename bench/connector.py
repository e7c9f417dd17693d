"""Connector benchmark: ``beacon-connect push`` end to end over HTTP next to pyarrow reading the
same CSV, and the connector's peak RSS as the file grows (10^6 vs 10^7 rows).

    .venv/bin/python -m bench.connector [--rows 1000000] [--rss-rows 1000000,10000000]

Throughput: the real gateway (own uvicorn process, SQLite, local Delta, Arrow validator) takes
the push; the baseline is ``pyarrow.csv.read_csv`` of the same file (no mapping, no checks, no
network). Memory: the connector pushes to ``bench.sink`` (a process that acknowledges every
batch), so its own peak RSS (``ru_maxrss`` of the child) is what is measured; the whole-file
``pyarrow.csv.read_csv`` RSS is shown beside it. Never asserts timings.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from bench.run import _clients, _settings
from bench.server import serve_process
from connectors.synthetic.synth import generate
from gateway.serving import free_port

REPO = Path(__file__).resolve().parents[1]
PROFILE = """
gateway_url = "{url}"
client_id = "{client_id}"
client_secret_env = "BENCH_SECRET"
contracts_dir = "{contracts}"

[datasets.incident_reports]
identity = true
pseudonymised_upstream = ["report_id"]
send_free_text = ["narrative"]
"""


def write_csv(path: Path, rows: int, base: pa.Table) -> None:
    """``rows`` rows: copies of ``base`` with report ids made unique per copy."""
    with pacsv.CSVWriter(path, base.schema) as writer:
        copy = 0
        while copy * base.num_rows < rows:
            part = base.slice(0, min(base.num_rows, rows - copy * base.num_rows))
            ids = pc.binary_join_element_wise(part.column("report_id"), f"c{copy}", "-")
            writer.write_table(part.set_column(0, "report_id", ids))
            copy += 1


_LAUNCHER = (
    "import resource, subprocess, sys; "
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def child(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(seconds, peak RSS in MiB) of one child process.

    Started from a small launcher process: Linux keeps ``ru_maxrss`` across exec, so a child
    forked straight from this (large) runner would report the runner's size.
    """
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *cmd], env=env, cwd=REPO, capture_output=True, text=True
    )
    rc, kib = done.stdout.split()
    if rc != "0":
        raise RuntimeError(f"{cmd[:4]} exited with {rc}: {done.stderr[-500:]}")
    return time.perf_counter() - t, int(kib) // 1024


def push_cmd(profile: Path, csv: Path, batch_rows: int) -> list[str]:
    return [
        sys.executable, "-m", "connectors", "push", "-p", str(profile), "-d", "incident_reports",
        "--batch-rows", str(batch_rows), "--json", str(csv),
    ]  # fmt: skip


def read_cmd(csv: Path) -> list[str]:
    code = f"import pyarrow.csv as c; print(c.read_csv({str(csv)!r}).num_rows)"
    return [sys.executable, "-c", code]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rss-rows", default="1000000,10000000")
    parser.add_argument("--batch-rows", type=int, default=100_000)
    args = parser.parse_args()
    base = generate("incident_reports", min(args.rows, 1_000_000), seed=7)
    with tempfile.TemporaryDirectory(prefix="beacon-connect-bench-") as tmp:
        root = Path(tmp)
        csv = root / "push.csv"
        write_csv(csv, args.rows, base)
        mib = csv.stat().st_size / 2**20
        print(f"rows={args.rows:,} file={mib:,.0f} MiB batch_rows={args.batch_rows:,}")
        env = {**os.environ, "BEACON_CONNECT_STATE_DIR": str(root / "state")}

        read_s, read_rss = child(read_cmd(csv), env)
        settings = _settings(root, "arrow")
        client_id, secret = _clients(settings)["national-referral-agency"]
        env["BENCH_SECRET"] = secret
        with serve_process(settings) as url:
            profile = root / "gateway.toml"
            contracts = REPO / "contracts"
            profile.write_text(PROFILE.format(url=url, client_id=client_id, contracts=contracts))
            push_s, push_rss = child(push_cmd(profile, csv, args.batch_rows), env)
        print(f"{'what':<52}{'s':>8}{'rows/s':>12}{'x read':>8}{'RSS MiB':>9}")
        print(f"{'pyarrow.csv.read_csv (whole file)':<52}{read_s:>8.2f}"
              f"{args.rows / read_s:>12,.0f}{1:>8.1f}{read_rss:>9}")  # fmt: skip
        print(f"{'beacon-connect push -> gateway over HTTP':<52}{push_s:>8.2f}"
              f"{args.rows / push_s:>12,.0f}{push_s / read_s:>8.1f}{push_rss:>9}")  # fmt: skip

        port = free_port()
        sink = subprocess.Popen([sys.executable, "-m", "bench.sink", str(port)], cwd=REPO)
        try:
            time.sleep(1.0)
            profile = root / "sink.toml"
            url = f"http://127.0.0.1:{port}"
            profile.write_text(
                PROFILE.format(url=url, client_id="sink", contracts=REPO / "contracts")
            )
            print(f"\n{'peak RSS':<28}{'rows':>12}{'MiB file':>10}{'s':>8}{'RSS MiB':>9}")
            for n in (int(x) for x in args.rss_rows.split(",")):
                path = root / f"rss-{n}.csv"
                write_csv(path, n, base)
                size = path.stat().st_size / 2**20
                s, rss = child(push_cmd(profile, path, args.batch_rows), env)
                print(f"{'push -> sink':<28}{n:>12,}{size:>10,.0f}{s:>8.1f}{rss:>9}")
                s, rss = child(read_cmd(path), env)
                print(f"{'pyarrow read_csv (whole)':<28}{n:>12,}{size:>10,.0f}{s:>8.1f}{rss:>9}")
                path.unlink()
        finally:
            sink.terminate()
            sink.wait()
    runner = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"\nmax RSS of this runner: {runner} MiB")


if __name__ == "__main__":
    main()
