"""Rich rendering of a prepared table, a local validation outcome and a push summary."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectors.dryrun import DryRunReport
from connectors.plan import Plan
from connectors.push import PushSummary

_SHOWN_REJECTIONS = 10


def dry_run(out: Console, plan: Plan, report: DryRunReport) -> None:
    """What would leave: columns with origin, classification, samples as sent, scrub counts."""
    contract = plan.contract
    out.print(f"[bold]{plan.dataset}[/] (contract {contract.version}): {report.rows} rows prepared")
    sent = Table(title="Columns sent", title_justify="left")
    for name in ("contract column", "from", "classification"):
        sent.add_column(name)
    samples = Table(title="Sample values as sent", title_justify="left")
    samples.add_column("contract column")
    samples.add_column("samples", overflow="fold")
    for col in report.columns:
        sent.add_row(col["column"], escape(col["from"]), col["classification"])
        samples.add_row(col["column"], escape(" | ".join(s[:60] for s in col["samples"])))
    out.print(sent)
    out.print(samples)
    scrubbed = [c for c in report.columns if "(scrubbed)" in c["from"]]
    if scrubbed:
        removed = Table(title="Removed from free text by scrubbing", title_justify="left")
        removed.add_column("contract column")
        removed.add_column("removed", overflow="fold")
        for col in scrubbed:
            kinds = ", ".join(f"{k}: {n}" for k, n in sorted(col["scrubbed"].items()))
            removed.add_row(col["column"], kinds or "nothing found")
        out.print(removed)
    if report.dropped:
        out.print("Dropped (never sent): " + escape(", ".join(report.dropped)))
    if report.unmapped:
        out.print("Unmapped source columns (never sent): " + escape(", ".join(report.unmapped)))
    _unmatched(out, report)
    _validation(out, report)
    out.print("[bold]Dry run:[/] nothing was sent.")


def _unmatched(out: Console, report: DryRunReport) -> None:
    for column, values in sorted(report.unmatched.items()):
        hints = report.fuzzy.get(column, {})
        for value, n in sorted(values.items()):
            hint = f" — did you mean {hints[value]}? add it to value_maps" if value in hints else ""
            out.print(
                f"[yellow]Not converted[/] {column}: {escape(value)!r} ({n} rows){escape(hint)}"
            )


def _validation(out: Console, report: DryRunReport) -> None:
    out.print(
        f"Local validation: [green]{report.valid} valid[/], [yellow]{report.rejected} rejected[/]"
    )
    if report.reasons:
        reasons = Table(title="Rejection reasons", title_justify="left")
        reasons.add_column("column:rule")
        reasons.add_column("cells", justify="right")
        for rule, n in sorted(report.reasons.items()):
            reasons.add_row(escape(rule), str(n))
        out.print(reasons)
        for example in report.examples:
            out.print(f"  {escape(example)}")


def push_summary(out: Console, err: Console, summary: PushSummary) -> None:
    table = Table(title=f"Uploaded to {summary.dataset}", title_justify="left")
    # Batch ids are needed for follow-up requests: never truncate them.
    id_width = max((len(b.batch_id) for b in summary.batches), default=8)
    table.add_column("batch id", overflow="fold", min_width=id_width)
    for name, justify in (
        ("rows", "right"),
        ("accepted", "right"),
        ("rejected", "right"),
        ("reasons", "left"),
        ("replayed", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for b in summary.batches:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(b.reasons.items())) or "-"
        table.add_row(
            b.batch_id,
            str(b.rows),
            str(b.accepted),
            str(b.rejected),
            escape(reasons),
            "yes" if b.replayed else "no",
        )
    out.print(table)
    out.print(
        f"Total: {summary.rows} rows, [green]{summary.accepted} accepted[/], "
        f"{summary.rejected} rejected, {summary.replayed} of {len(summary.batches)} "
        "batch(es) replayed"
    )
    if summary.rejected:
        err.print(
            f"[yellow]Warning:[/] the gateway rejected {summary.rejected} row(s); they are in "
            "your organisation's quarantine (see each batch's rejected-row report)."
        )
    versions = {b.contract_version for b in summary.batches if b.contract_version}
    if versions - {summary.contract_version}:
        err.print(
            f"[yellow]Warning:[/] validated locally against contract {summary.contract_version} "
            f"but the gateway used {', '.join(sorted(versions))}; update contracts_dir."
        )
