"""Utility of the disclosure-control modes on the demo data (issue 7 item 8): what analysts keep.

Seeds a gateway exactly as ``beacon demo`` does (its partners, the connector push, the synthetic
generator and seeds, one release per dataset), at ``--scale`` (default 1.4: >= 90k incident
reports from the demo's three incident contributors), then for each mode — suppression only,
cell-key noise, DP at epsilon = 1 — serves the app on 127.0.0.1 with the demo grants switched to
that mode (a copy of ``policies/``; k, P and everything else as the demo's), and asks the real
view endpoint, as the demo NGO analyst (safe-harbour), for

- ``country x exploitation_type x month`` and
- ``admin1 x exploitation_type x month`` within the country with the most reports.

The truth per cell comes from the release's own Delta snapshot (read directly). Printed per
mode and table: the share of non-empty cells released, the share of reports in released cells,
the share of threshold-passing cells (>= k reports from organisations other than the caller,
from >= P such organisations) that are released (1 - secondary protection cost), and the mean
relative error on released cells of >= 50 reports; then the issue's three targets (cell-key
mode, country table) with PASS/FAIL. Run with ``make utility``; never a timed test.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console

from bench.run import released
from gateway.app import create_app
from gateway.cli.demo import create_partners, demo_settings, push_demo_data
from gateway.releases.jobs import cut_all_releases
from gateway.serving import free_port, serve_in_thread
from gateway.settings import Settings

REPO = Path(__file__).resolve().parents[1]
VIEW, DATASET, GRANT = "incident_hotspots", "incident_reports", "ngo-incident-hotspots"
CALLER = "safe-harbour"
K, P = 10, 2
BIG = 50  # relative error is reported on released cells of >= BIG reports
MODES = ("cellkey", "dp", "suppression")
TARGETS = {"reports": 0.80, "passing": 0.90, "mre": 0.10}


@dataclass
class Figures:
    cells: int
    released: int
    share_cells: float
    share_reports: float
    share_passing: float
    mre: float | None
    big: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.4)
    parser.add_argument("--dir", type=Path, default=None, help="state folder (default: temp)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per query")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="beacon-utility-"))
    console = Console(width=250, highlight=False)
    console.print(f"beacon utility: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {_machine()}")
    try:
        run(root, args.scale, console, modes=args.modes.split(","), timeout=args.timeout)
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


def run(
    root: Path, scale: float, console: Console, *, modes: list[str], timeout: float
) -> dict[str, dict[str, Figures]]:
    port = free_port()
    settings = demo_settings(root / "state", port)
    settings.log_level = "WARNING"
    known = type(settings.privacy).model_fields
    if "dp_max_cells" in known:  # a DP answer releases every cell of its public domain
        settings.privacy.dp_max_cells = 250_000
    (root / "state").mkdir(parents=True, exist_ok=True)
    creds = create_partners(settings)
    with serve_in_thread(create_app(settings), port=port) as url:
        push_demo_data(url, creds, scale=scale, console=Console(quiet=True))
    cut_all_releases(settings)
    truth = _truth(settings)
    country = str(_largest_country(truth))
    console.print(
        f"scale {scale}: {truth.num_rows:,} incident reports in the release, from"
        f" {len(set(truth['_org'].to_pylist()))} organisations; caller {CALLER} (k={K}, P={P});"
        f" admin1 table within {country}"
    )
    queries = {
        "country x type x month": ([("group_by", "country,exploitation_type,month")], None),
        f"admin1 x type x month ({country})": (
            [("group_by", "admin1,exploitation_type,month"), ("filter[country]", country)],
            country,
        ),
    }
    out: dict[str, dict[str, Figures]] = {}
    for mode in modes:
        with _policies(mode) as policy_dir:
            if policy_dir is None:
                console.print(f"{mode:<12} not available on this branch (no such grant mode)")
                continue
            mode_settings = settings.model_copy(deep=True)
            mode_settings.policy.policy_dir = policy_dir
            with serve_in_thread(create_app(mode_settings), port=port) as url:
                auth = _bearer(url, creds[CALLER])
                for name, (params, within) in queries.items():
                    rows, note = _ask(url, auth, params, timeout)
                    if rows is None:
                        console.print(f"{mode:<12} {name}: refused ({note})")
                        continue
                    dims = params[0][1].split(",")
                    figures = _figures(truth, rows, dims, within)
                    out.setdefault(mode, {})[name] = figures
                    console.print(_line(mode, name, figures, note))
    _targets(console, out.get("cellkey", {}).get("country x type x month"))
    return out


def _machine() -> str:
    return f"{platform.machine()} {platform.system()}, Python {platform.python_version()}"


def _truth(settings: Settings) -> pa.Table:
    """The latest release's records (dimension columns and _org) with the view's month."""
    data = released(settings)
    table = data.to_table(columns=["country", "admin1", "exploitation_type", "occurred_on", "_org"])
    month = pc.strftime(table["occurred_on"], format="%Y-%m")
    return table.append_column("month", month)


def _largest_country(truth: pa.Table) -> Any:
    return Counter(truth["country"].to_pylist()).most_common(1)[0][0]


def _bearer(url: str, cred: dict[str, str]) -> dict[str, str]:
    r = httpx.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cred["client_id"], cred["client_secret"]),
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@contextmanager
def _policies(mode: str) -> Iterator[Path | None]:
    """A copy of ``policies/`` with the demo grants in ``mode`` (None: the mode is unknown)."""
    data = json.loads((REPO / "policies/beacon/grants/data.json").read_text())
    grants = [g for v in data["views"].values() for g in v["grants"]]
    if mode != "suppression" and not all("mode" in g for g in grants):
        yield None  # before the obligations landed there is only today's path
        return
    for g in grants:
        if "mode" in g:
            g["mode"] = mode
        if mode == "dp":
            g["dp"] = {**(g.get("dp") or {}), "epsilon": 1.0, "budget": 1000.0}
    with tempfile.TemporaryDirectory(prefix="beacon-policies-") as tmp:
        target = Path(tmp) / "policies"
        shutil.copytree(REPO / "policies", target)
        (target / "beacon/grants/data.json").write_text(json.dumps(data, indent=2))
        yield target


def _ask(
    url: str, auth: dict[str, str], params: list[tuple[str, str]], timeout: float
) -> tuple[Any, str]:
    try:
        r = httpx.get(f"{url}/v1/views/{VIEW}", params=params, headers=auth, timeout=timeout)
    except httpx.TimeoutException:
        return None, f"no answer within {timeout:g} s"
    if r.status_code != 200:
        return None, f"{r.status_code} {r.json().get('type', '')}"
    body = r.json()
    note = body.get("mode") or ("noise" if "receipt" in body else "")
    return body["rows"], str(note)


def _figures(
    truth: pa.Table, rows: list[dict[str, Any]], dims: list[str], within: str | None
) -> Figures:
    if within is not None:
        truth = truth.filter(pc.equal(truth["country"], within))
    n: dict[tuple[Any, ...], int] = {}
    other: dict[tuple[Any, ...], int] = {}
    orgs: dict[tuple[Any, ...], set[str]] = {}
    columns = [truth[d].to_pylist() for d in dims]
    for key, org in zip(zip(*columns, strict=True), truth["_org"].to_pylist(), strict=True):
        n[key] = n.get(key, 0) + 1
        if org != CALLER:
            other[key] = other.get(key, 0) + 1
            orgs.setdefault(key, set()).add(org)
    passing = {c for c in n if other.get(c, 0) >= K and len(orgs.get(c, ())) >= P}
    released = {
        tuple(r[d] for d in dims): r["report_count"]
        for r in rows
        if r.get("report_count") is not None
    }
    errors = [abs(v - n[c]) / n[c] for c, v in released.items() if c in n and n[c] >= BIG]
    total = sum(n.values())
    shown = set(released) & set(n)  # DP answers every cell of the domain, empty ones too
    return Figures(
        cells=len(n),
        released=len(shown),
        share_cells=len(shown) / len(n),
        share_reports=sum(n.get(c, 0) for c in released) / total,
        share_passing=len(passing & set(released)) / len(passing) if passing else 1.0,
        mre=sum(errors) / len(errors) if errors else None,
        big=len(errors),
    )


def _line(mode: str, name: str, f: Figures, note: str) -> str:
    mre = "n/a" if f.mre is None else f"{100 * f.mre:.2f} %"
    return (
        f"{mode:<12} {name:<34} cells released {f.released:>5}/{f.cells:<5}"
        f" ({100 * f.share_cells:5.1f} %)  reports in released {100 * f.share_reports:5.1f} %"
        f"  passing released {100 * f.share_passing:5.1f} %"
        f"  MRE(n>={BIG}, {f.big} cells) {mre}" + (f"  [{note}]" if note else "")
    )


def _targets(console: Console, f: Figures | None) -> None:
    if f is None:
        console.print("targets: cell-key mode not measured on this branch")
        return
    checks = (
        ("released cells carry >= 80 % of the reports", f.share_reports >= TARGETS["reports"]),
        (">= 90 % of threshold-passing cells released", f.share_passing >= TARGETS["passing"]),
        (
            "mean relative error <= 10 % on released cells of >= 50 reports",
            f.mre is not None and f.mre <= TARGETS["mre"],
        ),
    )
    for text, ok in checks:
        console.print(
            f"target (cell-key, country x type x month): {text}: {'PASS' if ok else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
