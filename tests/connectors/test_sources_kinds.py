"""The xlsx, JSON Lines, TSV/encoding and SQL sources: what they read and how they refuse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
import xlsxwriter

from connectors.errors import SourceError
from connectors.sources import open_source, read_all, read_source
from tests.fixtures.postgres import fresh_pg_database


def _xlsx(path: Path, rows: list[list[object]], *, merge: str | None = None) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Cases")
    as_date = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), as_date)
            elif value is not None:
                sheet.write(r, c, value)
    if merge:
        sheet.merge_range(merge, "Location")
    book.close()
    return path


def test_xlsx_cells_read_as_a_partner_sees_them(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "cases.xlsx",
        [
            ["case", "victims", "date", "flag"],
            ["C-1", 3, dt.date(2024, 5, 1), True],
            [None, None, None, None],
            ["C-2", 2.5, "unknown", False],
        ],
    )
    source = open_source("xlsx", path, {"sheet": "Cases", "batch_rows": 1})
    assert source.schema == pa.schema(
        [(n, pa.string()) for n in ("case", "victims", "date", "flag")]
    )
    assert [b.num_rows for b in source.batches()] == [1, 1]
    assert read_all(source).to_pylist() == [
        {"case": "C-1", "victims": "3", "date": "2024-05-01", "flag": "true"},
        {"case": "C-2", "victims": "2.5", "date": "unknown", "flag": "false"},
    ]


def test_xlsx_merged_or_empty_header_cells_are_refused_naming_the_cells(tmp_path: Path) -> None:
    merged = _xlsx(tmp_path / "m.xlsx", [["case", None, None], ["C-1", "TH", "10"]], merge="B1:C1")
    with pytest.raises(SourceError, match=r"header cells B1:C1 are merged"):
        read_source(merged)
    gap = _xlsx(tmp_path / "g.xlsx", [["case", None, "country"], ["C-1", "x", "TH"]])
    with pytest.raises(SourceError, match=r"header cell B1 is empty"):
        read_source(gap)
    with pytest.raises(SourceError, match=r"no sheet named 'Other' \(sheets: Cases\)"):
        open_source("xlsx", gap, {"sheet": "Other"})


def test_xlsx_that_is_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceError, match=r"bad\.xlsx: unreadable spreadsheet"):
        read_source(bad)


def test_jsonl_mixed_types_become_text_and_bad_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"a": 1, "b": "x"}\n\n{"a": "two", "c": [1, 2]}\n{"a": 3.5, "b": true}\n')
    table = read_source(path)
    assert table.to_pylist() == [
        {"a": "1", "b": "x", "c": None},
        {"a": "two", "b": None, "c": "[1,2]"},
        {"a": "3.5", "b": "true", "c": None},
    ]
    path.write_text('{"a": 1}\n{"a": 2,\n')
    with pytest.raises(SourceError, match=r"items\.jsonl: line 2 is not valid JSON"):
        read_source(path)


def test_tsv_and_a_latin1_semicolon_csv_are_detected(tmp_path: Path) -> None:
    tsv = tmp_path / "a.tsv"
    tsv.write_text("country\tnote\nTH\tone, two\n")
    assert read_source(tsv).to_pylist() == [{"country": "TH", "note": "one, two"}]
    latin = tmp_path / "export.csv"
    latin.write_bytes("pays;région\nCôte d'Ivoire;Abidjan\nSénégal;Thiès\n".encode("latin-1"))
    source = open_source("csv", latin)
    assert (source.delimiter, source.encoding != "utf-8") == (";", True)
    assert read_all(source).to_pylist()[1] == {"pays": "Sénégal", "région": "Thiès"}


def test_a_utf8_csv_with_a_bad_byte_names_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n" + b"x,y\n" * 10 + b"\xff\xfe,z\n")
    with pytest.raises(
        SourceError, match=r"bad\.csv: text is not valid .*source\.options\.encoding"
    ):
        read_all(open_source("csv", path, {"encoding": "utf-8"}))


@pytest.fixture
def pg_cases(pg_admin_url: str) -> str:
    url = fresh_pg_database(pg_admin_url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE cases (id int, country text, seen date, at timestamptz, n numeric)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO cases SELECT i, 'TH', DATE '2024-01-01' + i, "
                "TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 hour', i / 2.0 "
                "FROM generate_series(1, 25) i"
            )
        )
    engine.dispose()
    return url


def test_sql_table_and_query_stream_from_postgresql(pg_cases: str) -> None:
    source = open_source("sql", pg_cases, {"table": "cases", "batch_rows": 10})
    assert [b.num_rows for b in source.batches()] == [10, 10, 5]
    first = read_all(source).to_pylist()[0]
    assert (first["id"], first["country"], first["seen"]) == ("1", "TH", "2024-01-02")
    assert dt.datetime.fromisoformat(first["at"]) == dt.datetime(2024, 1, 1, 1, tzinfo=dt.UTC)
    assert float(first["n"]) == 0.5
    query = open_source("sql", pg_cases, {"query": "SELECT id FROM cases WHERE id > 20"})
    assert read_all(query).column("id").to_pylist() == ["21", "22", "23", "24", "25"]


def test_sql_refusals_name_the_database_never_the_password(
    pg_cases: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SourceError, match="exactly one of the options table or query"):
        open_source("sql", pg_cases, {})
    with pytest.raises(SourceError, match='relation "nope" does not exist'):
        open_source("sql", pg_cases, {"table": "nope"})
    monkeypatch.setenv("SRC_PW", "hunter2-secret")
    closed = "postgresql+psycopg://reader@127.0.0.1:1/cases"
    with pytest.raises(SourceError) as caught:
        open_source("sql", closed, {"table": "cases", "password_env": "SRC_PW"})
    assert "127.0.0.1:1" in str(caught.value) and "hunter2" not in str(caught.value)
