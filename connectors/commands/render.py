"""Rich rendering of a prepared table, a local validation outcome and a push summary."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectors.push import PreparedTable, PushSummary
from gateway.contracts import ValidationOutcome

_SHOWN_REJECTIONS = 10


def local_summary(out: Console, prepared: PreparedTable, outcome: ValidationOutcome) -> None:
    contract = prepared.contract
    out.print(
        f"[bold]{prepared.dataset}[/] (contract {contract.version}): "
        f"{prepared.table.num_rows} rows prepared"
    )
    sent = Table(title="Columns sent", title_justify="left")
    sent.add_column("contract column")
    sent.add_column("from")
    sent.add_column("classification")
    for name, origin in prepared.sent_from.items():
        sent.add_row(name, escape(origin), contract.column(name).classification)
    out.print(sent)
    if prepared.dropped:
        out.print("Dropped (never sent): " + escape(", ".join(prepared.dropped)))
    if prepared.unmapped:
        out.print("Unmapped source columns (never sent): " + escape(", ".join(prepared.unmapped)))
    out.print(
        f"Local validation: [green]{outcome.accepted_count} valid[/], "
        f"[yellow]{outcome.rejected_count} rejected[/]"
    )
    if outcome.reason_counts:
        reasons = Table(title="Rejection reasons", title_justify="left")
        reasons.add_column("column:rule")
        reasons.add_column("cells", justify="right")
        for rule, n in sorted(outcome.reason_counts.items()):
            reasons.add_row(escape(rule), str(n))
        out.print(reasons)
        for rejection in outcome.rejections()[:_SHOWN_REJECTIONS]:
            out.print(f"  row {rejection.row}: {escape(rejection.message)}")


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
