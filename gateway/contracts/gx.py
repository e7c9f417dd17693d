"""The contract's rules as a Great Expectations 1.24 suite, run on pandas.

GX is imported lazily on first use (1.5-3 s) and one ephemeral context, suite and validation
definition is reused per contract: building them costs far more than a small batch. Validation
goes through ``ValidationDefinition.run(batch_parameters={"dataframe": df})``, which fingerprints
the DataFrame once instead of twice (see MEASUREMENTS.md).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from gateway.contracts.conform import ConformResult
from gateway.contracts.model import ColumnSpec, Contract
from gateway.contracts.outcome import ValidationOutcome
from gateway.contracts.report import Failure, build_outcome, later_duplicates

if TYPE_CHECKING:
    import great_expectations as gx_types
    import pandas as pd  # like GX, imported on first use: the connector installs neither

ROW_COLUMN = "__beacon_row__"
# COMPLETE is what returns every failing row. The row number is the DataFrame's named index, so
# with ``exclude_unexpected_values`` GX lists failing rows as ``[{ROW_COLUMN: [row, ...]}]``
# straight from the index instead of looking each cell up (``.at``) and counting values; the
# index query (a string of every failing index) is never read, so it is not built.
_RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW_COLUMN],
    "partial_unexpected_count": 0,
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
}


def build_gx_suite(contract: Contract) -> gx_types.ExpectationSuite:
    """One expectation per (column, rule); ``meta`` carries the Beacon rule name."""
    import great_expectations as gx
    import great_expectations.expectations as gx_expectations

    gxe: Any = gx_expectations  # GX re-exports these without __all__

    suite = gx.ExpectationSuite(
        name=f"{contract.dataset}-{contract.version}",
        meta={"dataset": contract.dataset, "contract_version": contract.version},
    )
    for spec in contract.columns:
        col = spec.name

        def add(rule: str, exp_cls: Any, _col: str = col, **kwargs: Any) -> None:
            suite.add_expectation(exp_cls(column=_col, meta={"rule": rule}, **kwargs))

        if spec.required:
            add("required", gxe.ExpectColumnValuesToNotBeNull)
        if spec.allowed is not None:
            add("allowed", gxe.ExpectColumnValuesToBeInSet, value_set=list(spec.allowed))
        if spec.minimum is not None:
            add("minimum", gxe.ExpectColumnValuesToBeBetween, min_value=_bound(spec, spec.minimum))
        if spec.maximum is not None:
            add("maximum", gxe.ExpectColumnValuesToBeBetween, max_value=_bound(spec, spec.maximum))
        if spec.pattern is not None:
            add("pattern", gxe.ExpectColumnValuesToMatchRegex, regex=python_regex(spec.pattern))
        if spec.unique:
            add("unique", gxe.ExpectColumnValuesToBeUnique)
    return suite


def _bound(spec: ColumnSpec, bound: int | float | str) -> Any:
    import pandas as pd

    if spec.type == "date":
        return pd.Timestamp(str(bound))  # date columns reach pandas as datetime64
    if spec.type == "timestamp":
        return pd.Timestamp(str(bound)).tz_convert("UTC")
    return bound


class GxValidator:
    """Runs the generated suite; failing rows come from ``unexpected_index_list``."""

    name = "gx"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: Any = None
        self._definitions: dict[Contract, Any] = {}

    def prepare(self, contract: Contract) -> None:
        """Import GX and build the contract's suite now, not on the first upload (~2 s)."""
        with self._lock:
            self._definition(contract)

    def validate(self, contract: Contract, conformed: ConformResult) -> ValidationOutcome:
        df = _to_pandas(contract, conformed.table)
        with self._lock:
            definition = self._definition(contract)
            result = definition.run(
                batch_parameters={"dataframe": df}, result_format=_RESULT_FORMAT
            )
        failures = [
            f for r in result.results if (f := _failure(contract, conformed, r)) is not None
        ]
        return build_outcome(contract, conformed, failures)

    def _definition(self, contract: Contract) -> Any:
        if contract not in self._definitions:
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            if self._context is None:
                self._context = gx.get_context(mode="ephemeral")
                self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
                self._source = self._context.data_sources.add_pandas("beacon")
            name = f"{contract.dataset}-{contract.version}-{len(self._definitions)}"
            asset = self._source.add_dataframe_asset(name)
            batch = asset.add_batch_definition_whole_dataframe("whole")
            suite = self._context.suites.add(build_gx_suite(contract))
            suite.name  # noqa: B018 - the suite must be saved before the definition refers to it
            self._definitions[contract] = self._context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite)
            )
        return self._definitions[contract]


def _to_pandas(contract: Contract, table: pa.Table) -> pd.DataFrame:
    """Only the checked columns, in dtypes GX compares vectorised (int64/float64/datetime64[ns]).

    Other dtypes (nullable Int32, datetime64[ms]) send GX's between-check through a Python call
    per value. Integer columns with nulls become float64: exact for the bounds contracts use.
    String columns checked only for presence or an allowed set become categoricals: GX copies
    the whole DataFrame (every column) with a boolean mask several times per expectation, and a
    categorical is copied by its integer codes rather than string by string. ``notnull`` and
    ``isin`` answer on a categorical exactly as on the strings it encodes. Pattern and unique
    columns stay strings: GX's regex check calls ``astype(str)``, which would rebuild every
    string from a categorical, and a unique column would have as many categories as rows.
    """
    import pandas as pd

    data: dict[str, object] = {}
    for spec in contract.columns:
        if not (spec.required or spec.allowed or spec.pattern or spec.unique) and (
            spec.minimum is None and spec.maximum is None
        ):
            continue
        column = table.column(spec.name)
        if spec.type in ("int32", "int64", "float64"):
            target = (
                pa.int64() if spec.type != "float64" and not column.null_count else pa.float64()
            )
            data[spec.name] = column.cast(target).to_numpy()
        elif spec.type in ("date", "timestamp"):
            series = column.to_pandas(date_as_object=False)
            data[spec.name] = series.dt.as_unit("ns") if spec.type == "date" else series
        elif spec.type == "string" and spec.pattern is None and not spec.unique:
            data[spec.name] = column.combine_chunks().dictionary_encode().to_pandas()
        else:
            # One chunk: GX looks failing rows up one by one, and each take() on a many-chunk
            # Arrow-backed pandas column walks every chunk.
            data[spec.name] = pa.chunked_array([column.combine_chunks()]).to_pandas()
    index = pd.RangeIndex(table.num_rows, name=ROW_COLUMN)
    return pd.DataFrame(data, index=index)


def _failure(contract: Contract, conformed: ConformResult, result: Any) -> Failure | None:
    cfg = result.expectation_config
    info = result.exception_info or {}
    if info.get("raised_exception"):
        raise RuntimeError(
            f"GX expectation {cfg.type} on {cfg.kwargs.get('column')} raised: "
            f"{info.get('exception_message')}"
        )
    if result.success:
        return None
    column = cfg.kwargs["column"]
    rule = (cfg.meta or {})["rule"]
    # [{ROW_COLUMN: [row, ...]}] (see _RESULT_FORMAT); [] when nothing failed.
    index_list = result.result.get("unexpected_index_list") or [{ROW_COLUMN: []}]
    rows = np.sort(np.asarray(index_list[0][ROW_COLUMN], dtype=np.int64))
    if rule == "unique" and rows.size:
        # GX flags every occurrence of a repeated value; Beacon keeps the first one.
        values = conformed.table.column(column).take(pa.array(rows))
        rows = rows[later_duplicates(values)]
    return Failure(column, rule, rows) if rows.size else None


def python_regex(pattern: str) -> str:
    """The contract pattern (RE2 semantics) for Python ``re``, which GX's pandas engine runs.

    In Python ``$`` also matches before a final newline, so ``"TH-10\\n"`` would pass a
    ``...$`` pattern that RE2 refuses; a trailing ``$`` becomes ``\\Z`` (end of text only).
    """
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[:-1] + "\\Z"
    return pattern
