"""``beacon-connect sample``: write synthetic, contract-shaped rows to test a profile with.

The rows use contract column names, so they suit an ``identity = true`` profile (or a copy of
the file renamed to your own columns). Nothing in them describes a real person.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer

from connectors.commands._shared import consoles, exit_on_errors
from connectors.errors import UsageError
from connectors.synthetic.corrupt import inject_errors
from connectors.synthetic.synth import DATASETS, contract_for, generate


def sample(
    dataset: Annotated[str, typer.Argument(help=f"One of: {', '.join(DATASETS)}.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write (.csv or .parquet).")
    ],
    rows: Annotated[int, typer.Option("--rows", "-n", min=1, help="Rows to generate.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same rows).")] = 0,
    invalid: Annotated[
        float,
        typer.Option(min=0.0, max=0.5, help="Fraction of rows that break one contract rule each."),
    ] = 0.0,
    contracts_dir: Annotated[
        Path | None, typer.Option(help="Contracts folder (default: the checkout's contracts/).")
    ] = None,
) -> None:
    """Write ROWS synthetic rows of DATASET to OUTPUT."""
    out, err = consoles()
    with exit_on_errors(err):
        if dataset not in DATASETS:
            raise UsageError(f"unknown dataset {dataset!r} (one of: {', '.join(DATASETS)})")
        suffix = output.suffix.lower()
        if suffix not in (".csv", ".parquet"):
            raise UsageError(f"{output}: write .csv or .parquet, not {suffix!r}")
        table = generate(dataset, rows, seed=seed, contracts_dir=contracts_dir)
        broken: set[int] = set()
        if invalid > 0:
            contract = contract_for(dataset, contracts_dir)
            table, broken = inject_errors(table, invalid, seed=seed, contract=contract)
        if suffix == ".csv":
            pacsv.write_csv(table, output)
        else:
            pq.write_table(table, output)
        out.print(
            f"Wrote {table.num_rows} rows of {dataset} to {output} ({len(broken)} invalid).",
            soft_wrap=True,
        )
