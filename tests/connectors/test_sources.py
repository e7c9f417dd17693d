"""Connector sources: the registry by kind, and the CSV/Parquet readers streaming batches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from connectors.cli import app
from connectors.errors import SourceError
from connectors.sources import (
    Source,
    SourceOptions,
    kind_for_path,
    open_source,
    read_all,
    read_source,
    register_source,
    source_kinds,
)
from connectors.sources import base as sources_base
from tests.connectors.conftest import write_profile


def test_unknown_kind_is_a_clear_error_naming_the_known_kinds(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        open_source("excel", tmp_path / "cases.xlsx")
    assert str(caught.value) == (
        "unknown source kind 'excel' (known: csv, jsonl, parquet, sql, tsv, xlsx)"
    )


def test_unknown_suffix_points_at_source_kind(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"unsupported source format '\.dbf'.*source\.kind"):
        kind_for_path(tmp_path / "cases.dbf")


def test_builtin_kinds_and_suffixes() -> None:
    assert source_kinds() == ["csv", "jsonl", "parquet", "sql", "tsv", "xlsx"]
    names = ("a.csv", "b.PARQUET", "c.pq", "d.tsv", "e.xlsx", "f.jsonl", "g.ndjson")
    assert [kind_for_path(p) for p in names] == [
        "csv",
        "parquet",
        "parquet",
        "tsv",
        "xlsx",
        "jsonl",
        "jsonl",
    ]


class _ListSource:
    """A fake source for the registry: batches from memory."""

    kind = "memory"

    def __init__(self, batches: list[pa.RecordBatch]) -> None:
        self._batches = batches

    @property
    def schema(self) -> pa.Schema:
        return self._batches[0].schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        yield from self._batches


def test_a_registered_kind_is_opened_with_its_location_and_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sources_base, "_REGISTRY", dict(sources_base._REGISTRY))
    seen: list[tuple[str, SourceOptions]] = []
    batch = pa.record_batch({"country": ["NG", "GH"]})

    def factory(location: str, options: SourceOptions) -> Source:
        seen.append((location, options))
        return _ListSource([batch, batch])

    register_source("memory", factory)
    source = open_source("memory", "db://cases", {"query": "select 1"})
    assert isinstance(source, Source)
    assert seen == [("db://cases", {"query": "select 1"})]
    assert read_all(source).to_pydict() == {"country": ["NG", "GH", "NG", "GH"]}
    with pytest.raises(ValueError, match="already registered"):
        register_source("memory", lambda location, options: _ListSource([batch]))


def test_csv_streams_batches_of_strings(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,count\n" + "".join(f"{i},{i * 2}\n" for i in range(2000)))
    source = open_source("csv", path, {"block_bytes": 1024})
    batches = list(source.batches())
    assert len(batches) > 1
    assert source.schema == pa.schema([("id", pa.string()), ("count", pa.string())])
    table = read_all(source)
    assert table.num_rows == 2000
    assert table.column("count")[1999].as_py() == "3998"


def test_csv_empty_cell_is_null_and_quoted_empty_is_not(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text('a,b\n,""\n')
    assert read_source(path).to_pylist() == [{"a": None, "b": ""}]


def test_csv_malformed_row_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n1,2,3\n")
    with pytest.raises(SourceError, match="malformed CSV"):
        read_source(path)


def test_parquet_streams_batches_with_stored_types(tmp_path: Path) -> None:
    path = tmp_path / "cases.parquet"
    pq.write_table(pa.table({"n": pa.array(range(10), pa.int32())}), path, row_group_size=4)
    source = open_source("parquet", path, {"batch_rows": 3})
    assert [b.num_rows for b in source.batches()] == [3, 3, 3, 1]
    assert read_all(source).column("n").type == pa.int32()


def test_parquet_unreadable_and_missing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(SourceError, match="unreadable Parquet"):
        read_source(bad)
    with pytest.raises(SourceError, match="file not found"):
        read_source(tmp_path / "none.parquet")


@pytest.mark.parametrize(
    ("options", "message"),
    [({"block_bytes": 0}, "block_bytes must be a positive integer"), ({"x": 1}, "option(s): x")],
)
def test_csv_bad_options(tmp_path: Path, options: SourceOptions, message: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n")
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_source("csv", path, options)


def test_profile_source_kind_reads_a_file_without_a_known_suffix(
    tmp_path: Path, ngo_profile_path: Path, ngo_csv: Path
) -> None:
    export = tmp_path / "cases.export"
    export.write_bytes(ngo_csv.read_bytes())
    text = ngo_profile_path.read_text().replace(
        '"../../../contracts"', f'"{ngo_profile_path.parents[3] / "contracts"}"'
    )
    args = ["validate", "-d", "incident_reports", str(export)]
    without = CliRunner().invoke(app, [*args, "-p", str(write_profile(tmp_path, text))])
    assert without.exit_code == 2
    assert "unsupported source format '.export'" in without.stderr
    text += '\n[datasets.incident_reports.source]\nkind = "csv"\n'
    with_kind = CliRunner().invoke(app, [*args, "-p", str(write_profile(tmp_path, text))])
    assert with_kind.exit_code == 0, with_kind.output
    assert "47 valid" in with_kind.stdout
