"""The rejected-rows CSV that lands next to the source: which source rows the gateway refused.

One line per rejected row: its 1-based row number in the source (data rows, header excluded),
the batch it travelled in and the gateway's reasons (``column:rule: message``). Values are not
repeated: the partner has them in the source, and the file should not become a second copy of
personal data. When the gateway caps the rows it reports for a batch, the file says so.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from connectors.client import BatchResult, GatewayClient
from connectors.errors import GatewayProblem


def rejects_path_for(source: Path | str) -> Path:
    """``cases.csv`` → ``cases.rejected.csv`` beside it (a URL source: in the working folder)."""
    return beside(source, ".rejected.csv")


def beside(source: Path | str, suffix: str) -> Path:
    """A file next to a source file; for URLs (SQL, feeds) one named after it, in the cwd."""
    text = str(source)
    if "://" in text:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", text.rsplit("@", 1)[-1]).strip("_")[:80]
        return Path.cwd() / f"{name}{suffix}"
    path = Path(text)
    return path.with_name(f"{path.stem}{suffix}")


class RejectsWriter:
    """Appends rejected rows as batches report them; the file exists only if a row was refused."""

    def __init__(self, path: Path, *, append: bool = False) -> None:
        self.path = path
        self.rows = 0
        self.unreported = 0
        # A resumed push keeps the rows earlier runs wrote; a new push starts the file afresh.
        self._started = append and path.exists()
        if not append:
            path.unlink(missing_ok=True)

    def add_batch(self, client: GatewayClient, result: BatchResult, offset: int) -> None:
        try:
            report = client.get_rejections(result.batch_id)
        except GatewayProblem:
            self.unreported += result.rejected  # e.g. the client may not read batches
            return
        lines = [
            [
                str(offset + int(row["row_number"]) + 1),
                result.batch_id,
                "; ".join(f"{r['column']}:{r['rule']}: {r['message']}" for r in row["reasons"]),
            ]
            for row in report.get("rows", [])
        ]
        self.unreported += max(result.rejected - len(lines), 0)
        self._write(lines)

    def _write(self, lines: list[list[str]]) -> None:
        if not lines:
            return
        mode = "a" if self._started else "w"
        with self.path.open(mode, encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            if not self._started:
                writer.writerow(["source_row", "batch_id", "reasons"])
            writer.writerows(lines)
        self._started = True
        self.rows += len(lines)
