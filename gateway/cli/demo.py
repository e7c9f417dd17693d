"""`beacon demo`: embedded defaults, demo partners, synthetic data pushed through the connector.

The orchestration lives with the gateway's CLI because it creates organisations and clients and
starts the app (gateway internals); the data comes from ``connectors.synthetic`` and travels the
partner path (``connectors.push`` over HTTP), so the demo exercises what a partner runs.
"""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr
from rich.console import Console
from sqlmodel import Session

from gateway.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEMO_DATA_DIR = Path("var/demo")  # the README's admin commands export this as BEACON_DATA_DIR


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its state.")] = DEMO_DATA_DIR,
    scale: Annotated[float, typer.Option(help="Multiply the demo data volume.")] = 1.0,
    keep: Annotated[bool, typer.Option(help="Keep earlier demo state, don't start fresh.")] = False,
    exit_after_seed: Annotated[
        bool, typer.Option(help="Stop once the data is loaded (for CI and scripts).")
    ] = False,
) -> None:
    """Start the gateway on embedded defaults with demo partners and synthetic data."""
    code = run_demo(
        port=port, data_dir=data_dir, scale=scale, keep=keep, exit_after_seed=exit_after_seed
    )
    raise typer.Exit(code)


@dataclass(frozen=True)
class DemoPartner:
    slug: str
    name: str
    sector: str
    roles: tuple[str, ...]
    uploads: tuple[tuple[str, int], ...]  # (dataset, rows at scale 1)


DEMO_PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner(
        "safe-harbour",
        "Safe Harbour Foundation",
        "ngo",
        ("uploader", "analyst"),
        (("incident_reports", 30_000), ("open_source_items", 2_000)),
    ),
    DemoPartner(
        "freedom-network",
        "Freedom Network",
        "ngo",
        ("uploader", "analyst"),
        (("incident_reports", 20_000), ("open_source_items", 2_000)),
    ),
    DemoPartner(
        "northbank",
        "Northbank plc",
        "financial",
        ("uploader", "analyst"),
        (("financial_indicators", 6_000),),
    ),
    DemoPartner(
        "meridian-bank",
        "Meridian Bank",
        "financial",
        ("uploader", "analyst"),
        (("financial_indicators", 4_000),),
    ),
    DemoPartner(
        "atlas-apparel",
        "Atlas Apparel Group",
        "business",
        ("uploader", "analyst"),
        (("supply_chain_findings", 5_000),),
    ),
    DemoPartner(
        "national-referral-agency",
        "National Referral Agency",
        "government",
        ("uploader", "analyst"),
        (("incident_reports", 15_000),),
    ),
    DemoPartner(  # a second contributor: a release must rest on >= 2 organisations
        "harbour-textiles",
        "Harbour Textiles Ltd",
        "business",
        ("uploader", "analyst"),
        (("supply_chain_findings", 3_000),),
    ),
    DemoPartner("beacon-ops", "Beacon governance team", "public", ("governance", "admin"), ()),
)


def demo_settings(data_dir: Path, port: int) -> Settings:
    from gateway.cli._common import load_settings

    s = load_settings(data_dir=data_dir, contracts_dir=REPO / "contracts")
    s.database.url = SecretStr(f"sqlite:///{data_dir / 'beacon.db'}")
    s.store.uri = str(data_dir / "store")
    s.policy.policy_dir = REPO / "policies"
    s.policy.backend = "embedded"
    s.auth.issuer = f"http://127.0.0.1:{port}"
    return s


def create_partners(settings: Settings) -> dict[str, dict[str, str]]:
    """Create the demo organisations and one client each; returns slug → credentials."""
    from gateway.auth.service import create_client, create_org
    from gateway.db import build_engine
    from gateway.migrations import upgrade_schema

    engine = build_engine(settings)
    upgrade_schema(engine)
    creds: dict[str, dict[str, str]] = {}
    with Session(engine) as session:
        for p in DEMO_PARTNERS:
            create_org(session, slug=p.slug, name=p.name, sector=p.sector)
            client, secret = create_client(
                session, org_slug=p.slug, roles=list(p.roles), name="demo"
            )
            creds[p.slug] = {
                "client_id": client.client_id,
                "client_secret": secret,
                "sector": p.sector,
                "roles": ",".join(p.roles),
            }
    engine.dispose()
    return creds


def push_demo_data(
    base_url: str, creds: dict[str, dict[str, str]], *, scale: float, console: Console
) -> list[dict[str, object]]:
    """Each partner pushes its synthetic data through the connector SDK over HTTP."""
    from connectors.client import GatewayClient
    from connectors.profile import Profile
    from connectors.push import push_table
    from connectors.synthetic.corrupt import inject_errors
    from connectors.synthetic.synth import generate

    results: list[dict[str, object]] = []
    for i, p in enumerate(DEMO_PARTNERS):
        for j, (dataset, rows) in enumerate(p.uploads):
            n = max(100, int(rows * scale))
            table = generate(dataset, n, seed=1000 + 10 * i + j, contracts_dir=REPO / "contracts")
            # A few bad rows per upload so the quarantine has something to show.
            table, _bad = inject_errors(table, 0.002, seed=7 + i)
            profile = Profile.identity(
                base_url,
                creds[p.slug]["client_id"],
                creds[p.slug]["client_secret"],
                dataset,
                contracts_dir=REPO / "contracts",
            )
            with GatewayClient.from_profile(profile) as client:
                summary = push_table(client, profile, dataset, table)
            results.append(
                {
                    "partner": p.slug,
                    "dataset": dataset,
                    "rows": n,
                    "accepted": summary.accepted,
                    "rejected": summary.rejected,
                    "batches": ",".join(summary.batch_ids),
                }
            )
            console.print(
                f"  {p.slug:<26} {dataset:<22} accepted {summary.accepted:>7,}"
                f"  quarantined {summary.rejected:>4,}",
                soft_wrap=True,
            )
    return results


def run_demo(*, port: int, data_dir: Path, scale: float, keep: bool, exit_after_seed: bool) -> int:
    from gateway.app import create_app
    from gateway.logging import configure_logging
    from gateway.releases.jobs import cut_all_releases
    from gateway.serving import serve_in_thread
    from gateway.state import private_state

    console = Console()
    data_dir = data_dir.resolve()
    creds_file = data_dir / "credentials.json"
    reuse = keep and creds_file.exists()
    settings = demo_settings(data_dir, port)  # a bad setting fails before state is wiped
    if data_dir.exists() and not reuse:
        shutil.rmtree(data_dir)
    private_state(settings)  # the demo's database, Delta store and credentials: 0700 / 0600
    console.rule("[bold]Beacon demo")
    if reuse:
        creds = json.loads(creds_file.read_text())
    else:
        creds = create_partners(settings)
        creds_file.write_text(json.dumps(creds, indent=2))
        creds_file.chmod(0o600)
    settings.log_level = "WARNING"  # keep the seeding output readable
    with serve_in_thread(create_app(settings), port=port) as base_url:
        if reuse:
            console.print(f"Gateway up at [bold]{base_url}[/] with the kept demo state")
        else:
            console.print(
                f"Gateway up at [bold]{base_url}[/] — pushing synthetic data via the connector"
            )
            push_demo_data(base_url, creds, scale=scale, console=console)
            cut_all_releases(settings, console=console)  # views read releases only
        _print_guide(console, base_url, creds, data_dir)
        if exit_after_seed:
            return 0
        configure_logging(json=settings.log_json, level="INFO")
        console.print("[dim]Gateway requests are logged below. Ctrl-C to stop.[/]")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopping")
    return 0


def _print_guide(
    console: Console, base_url: str, creds: dict[str, dict[str, str]], data_dir: Path
) -> None:
    console.print("\n[bold]Demo credentials[/] (also in credentials.json)", soft_wrap=True)
    for slug, c in creds.items():
        console.print(
            f"  {slug:<26} {c['sector']:<11} {c['roles']:<20}"
            f" client_id={c['client_id']}  client_secret={c['client_secret']}",
            soft_wrap=True,
            highlight=False,
        )
    ngo = creds["safe-harbour"]
    state = f"BEACON_DATA_DIR={data_dir}"
    console.print(
        f"""
[bold]Where to look[/]
  API docs (OpenAPI):  {base_url}/docs
  Readiness:           {base_url}/readyz
  State:               {data_dir}  (SQLite metadata, Delta store, quarantine, signing key)

[bold]Try it[/] as the NGO safe-harbour (copy-paste):
  TOKEN=$(curl -s -u '{ngo["client_id"]}:{ngo["client_secret"]}' -d grant_type=client_credentials {base_url}/oauth/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer $TOKEN" {base_url}/v1/views
  curl -s -H "Authorization: Bearer $TOKEN" "{base_url}/v1/views/incident_hotspots?group_by=country,exploitation_type&format=csv"
  curl -s -H "Authorization: Bearer $TOKEN" "{base_url}/v1/views/financial_typologies?group_by=country,typology&filter%5Byear%5D=2023"
  curl -s -H "Authorization: Bearer $TOKEN" "{base_url}/v1/views/incident_hotspots?group_by=month&filter%5Badmin1%5D=IT-75&format=csv"   # planted hotspot: Apulia harvest surge, Aug-Sep 2023
  curl -s -H "Authorization: Bearer $TOKEN" "{base_url}/v1/views/incident_hotspots?group_by=h3_cell"   # 403: not in the NGO grant
  curl -s -H "Authorization: Bearer $TOKEN" {base_url}/v1/datasets

[bold]Administration and audit[/] (the admin commands act on BEACON_DATA_DIR; point it here):
  export {state}
  .venv/bin/beacon audit verify
  .venv/bin/beacon audit tail -n 20
  .venv/bin/beacon clients list
""",
        soft_wrap=True,
        highlight=False,
    )
