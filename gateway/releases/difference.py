"""What a candidate release adds to the previous one: pure functions over two snapshots.

Defends against differencing across releases (issue 7 #1): the rows a new release adds are
exactly what subtracting two answers could isolate, so that difference must itself rest on
enough distinct entities and organisations before it is published. Any one organisation knows
its own rows and can subtract them too (an attacker pads a victim's 9-row batch with 1 row of
its own), so the difference is also counted without its largest organisation
(``rows_without_largest``: its entities minus those of the organisation contributing most):
whichever single partner looks, that many entities it did not send remain. The difference is
taken by batch: rows whose ``_batch_id`` is not in the previous release's version. Legacy rows
without ``_org`` (written before the column existed) count for no organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from gateway.store.delta import BATCH_ID, ORG

if TYPE_CHECKING:
    import pyarrow.dataset as pads


@dataclass(frozen=True)
class SnapshotStats:
    rows: int  # distinct entities (the entity key), or rows when the contract has none
    orgs: int  # distinct contributing organisations
    rows_without_largest: int = 0  # entities not from the organisation contributing most


@dataclass(frozen=True)
class Difference:
    total: SnapshotStats  # the whole candidate release
    added: SnapshotStats  # what it adds to the previous release


def difference(
    current: pads.Dataset | None, previous: pads.Dataset | None, *, entity_key: str | None
) -> Difference:
    """Counts of ``current`` and of its rows from batches absent from ``previous``."""
    if current is None:
        empty = SnapshotStats(0, 0, 0)
        return Difference(empty, empty)
    columns = [c for c in (BATCH_ID, ORG, entity_key) if c and c in current.schema.names]
    table = current.to_table(columns=columns)
    old = _batches(previous)
    added = table.filter(pc.invert(pc.is_in(table.column(BATCH_ID), value_set=old)))
    return Difference(_stats(table, entity_key), _stats(added, entity_key))


def _batches(snapshot: pads.Dataset | None) -> pa.Array:
    if snapshot is None:
        return pa.array([], pa.string())
    ids = snapshot.to_table(columns=[BATCH_ID]).column(BATCH_ID)
    return pc.unique(ids)


def _stats(table: pa.Table, entity_key: str | None) -> SnapshotStats:
    keyed = bool(entity_key) and entity_key in table.column_names
    rows = _distinct(table.column(entity_key)) if keyed else table.num_rows
    if ORG not in table.column_names:
        return SnapshotStats(rows=rows, orgs=0, rows_without_largest=rows)
    orgs = _distinct(table.column(ORG))
    largest = _largest(table, entity_key if keyed else None)
    return SnapshotStats(rows=rows, orgs=orgs, rows_without_largest=rows - largest)


def _largest(table: pa.Table, entity_key: str | None) -> int:
    """Distinct entities (or rows) of the organisation contributing the most of them."""
    valid = pc.is_valid(table.column(ORG))
    if entity_key is not None:
        valid = pc.and_(valid, pc.is_valid(table.column(entity_key)))
    own = table.filter(valid)
    if own.num_rows == 0:
        return 0
    if entity_key is None:
        grouped = own.group_by(ORG).aggregate([([], "count_all")])
        return int(pc.max(grouped.column("count_all")).as_py())
    pairs = own.select([ORG, entity_key]).group_by([ORG, entity_key]).aggregate([])
    per_org = pairs.group_by(ORG).aggregate([([], "count_all")])
    return int(pc.max(per_org.column("count_all")).as_py())


def _distinct(column: pa.ChunkedArray) -> int:
    return len(pc.unique(pc.drop_null(column)))
