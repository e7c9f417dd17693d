"""``--dry-run``: exactly what would leave, column by column, without sending anything.

Streams the whole source through the same ``Plan`` a push uses and the gateway's own contract
checks, so the counts are the push's counts. Shows per column where it comes from, its
classification, a few sample values *as they would be sent* (pseudonyms, scrubbed text), what
scrubbing removed by kind, and values that did not map (with fuzzy suggestions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.plan import Plan
from connectors.push import Progress, stream_chunks, validate_chunk
from connectors.sources import Source

SHOWN_REJECTIONS = 10


@dataclass
class DryRunReport:
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    fuzzy: dict[str, dict[str, str]] = field(default_factory=dict)
    unmatched: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "valid": self.valid,
            "rejected": self.rejected,
            "reasons": self.reasons,
            "examples": self.examples,
            "columns": self.columns,
            "dropped": self.dropped,
            "unmapped": self.unmapped,
            "fuzzy_matches": self.fuzzy,
            "unmatched_values": self.unmatched,
        }


def dry_run(
    plan: Plan, source: Source, batch_rows: int, *, progress: Progress | None = None
) -> DryRunReport:
    report = DryRunReport(dropped=plan.dropped, unmapped=plan.unmapped)
    offset = 0
    for chunk in stream_chunks(source.batches(), batch_rows, schema=source.schema):
        outcome = validate_chunk(plan.contract, plan.apply(chunk))
        report.valid += outcome.accepted_count
        report.rejected += outcome.rejected_count
        for rule, n in outcome.reason_counts.items():
            report.reasons[rule] = report.reasons.get(rule, 0) + n
        for rejection in outcome.rejections()[: SHOWN_REJECTIONS - len(report.examples)]:
            report.examples.append(f"row {offset + rejection.row + 1}: {rejection.message}")
        offset += chunk.num_rows
        if progress is not None:
            progress(chunk.num_rows)
    report.rows = offset
    pr = plan.report
    for name, origin in plan.sent_from.items():
        report.columns.append(
            {
                "column": name,
                "from": origin,
                "classification": plan.contract.column(name).classification,
                "samples": pr.samples.get(name, []),
                "scrubbed": pr.scrubbed.get(name, {}),
                "converted": pr.derived.converted.get(name, 0),
            }
        )
    report.fuzzy = pr.derived.fuzzy
    report.unmatched = pr.derived.unmatched
    return report
