"""Reading extracts: encodings, delimiters, XLSX, Parquet and file-level problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from stalking_profile.errors import InputFileError
from stalking_profile.ingest.pipeline import IngestOptions, ingest
from stalking_profile.ingest.readers import read_extract
from stalking_profile.store.connection import Store
from tests.conftest import rows_of, write_csv

MO = "Sent messages saying ‘I’ll find you’ – café on Ståtion Rd, £5 note"
ROWS = rows_of({"mo_text": MO, "recorded_date": "04/03/2021"}, {"district": "Wakefield", "victim_age": "31"})


@pytest.mark.parametrize(
    ("encoding", "delimiter", "detected"),
    [("utf-8", ",", "utf-8"), ("utf-8-sig", ",", "utf-8-sig"), ("cp1252", ",", "cp1252"),
     ("utf-8", ";", "utf-8"), ("cp1252", ";", "cp1252")],
    ids=["utf8", "utf8-bom", "windows-1252", "semicolon", "windows-1252-semicolon"],
)
def test_csv_encodings_and_delimiters(
    encoding: str, delimiter: str, detected: str, tmp_path: Path, store: Store, options: IngestOptions
) -> None:
    mo = MO.replace("Ståtion", "Station") if encoding == "cp1252" else MO  # å is not in Windows-1252
    rows = [dict(r, mo_text=mo) if r.get("mo_text") else r for r in ROWS]
    path = write_csv(tmp_path / "x.csv", rows, encoding=encoding, delimiter=delimiter)
    raw = read_extract(path)
    assert (raw.encoding, raw.delimiter) == (detected, delimiter)
    assert raw.table.column_names[0] == "crime_ref"  # no BOM left on the first header
    result = ingest(path, store, options)
    assert (result.rows_accepted, result.rows_rejected) == (2, 0)
    got = {r["crime_ref"]: r for r in store.current_crimes().to_pyarrow().to_pylist()}
    assert got["C1"]["mo_text"] == mo and str(got["C1"]["recorded_date"]) == "2021-03-04"
    assert got["C2"]["district"] == "WD" and got["C2"]["victim_age"] == 31


def _write_xlsx(path: Path, rows: list[dict[str, object]], sheet: str = "Sheet1") -> Path:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Notes")
    ws.write(0, 0, "not the data")
    ws = book.add_worksheet(sheet)
    date_fmt = book.add_format({"num_format": "dd/mm/yyyy"})
    header = list(dict.fromkeys(k for r in rows for k in r))
    for c, name in enumerate(header):
        ws.write(0, c, name)
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(header):
            value = row.get(name, "")
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            elif value not in ("", None):
                ws.write(r, c, value)
    book.close()
    return path


def test_xlsx_with_real_dates_and_numbers(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    rows: list[dict[str, object]] = [
        dict(ROWS[0], recorded_date=dt.date(2021, 3, 4), victim_age=25, latitude=53.79, longitude=-1.75),
        dict(ROWS[1], recorded_date="2021-03-06", victim_age=31, latitude="", longitude=""),
    ]
    path = _write_xlsx(tmp_path / "x.xlsx", rows, sheet="Extract")
    with pytest.raises(InputFileError, match="no sheet called 'Crimes'"):
        ingest(path, store, IngestOptions(sheet="Crimes", force=options.force, today=options.today))
    result = ingest(path, store, IngestOptions(sheet="Extract", force=options.force, today=options.today))
    assert (result.rows_accepted, result.rows_rejected) == (2, 0)
    got = {r["crime_ref"]: r for r in store.current_crimes().to_pyarrow().to_pylist()}
    assert str(got["C1"]["recorded_date"]) == "2021-03-04" and got["C1"]["victim_age"] == 25
    assert got["C1"]["latitude"] == pytest.approx(53.79) and got["C1"]["mo_text"] == MO


def test_parquet_with_typed_columns(tmp_path: Path, store: Store, options: IngestOptions) -> None:
    table = pa.table({
        "crime_ref": ["P1", "P2"],
        "recorded_date": pa.array([dt.date(2021, 1, 2), dt.date(2021, 1, 3)], pa.date32()),
        "offence_code": ["8Q", "8L"],
        "district": ["KD", "CD"],
        "domestic_flag": [True, False],
        "victim_age": pa.array([40, None], pa.int64()),
        "outcome_date": pa.array([dt.datetime(2021, 2, 1, 10, 30), None], pa.timestamp("us")),
    })
    path = tmp_path / "x.parquet"
    pq.write_table(table, path)
    result = ingest(path, store, options)
    assert (result.rows_accepted, result.rows_rejected) == (2, 0)
    got = {r["crime_ref"]: r for r in store.current_crimes().to_pyarrow().to_pylist()}
    assert got["P1"]["domestic_flag"] is True and got["P2"]["domestic_flag"] is False
    assert str(got["P1"]["outcome_date"]) == "2021-02-01" and got["P1"]["victim_age"] == 40


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("blank.csv", b"\n\n  \n", "is empty"),
        ("zip.csv", b"PK\x03\x04binary", "looks like a binary file"),
        ("utf16.csv", "crime_ref,recorded_date\n".encode("utf-16"), "not a text table"),
        ("ragged.csv", b"crime_ref,recorded_date\nC1,2021-01-01,extra,fields\n", "cannot be read as a table"),
        ("notes.docx", b"whatever", "files ending '.docx' are not supported"),
        ("broken.xlsx", b"this is not a workbook", "cannot be read as an Excel workbook"),
        ("broken.parquet", b"PAR1 nope", "cannot be read as Parquet"),
    ],
)
def test_file_level_problems(name: str, content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        read_extract(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        read_extract(tmp_path / "nope.csv")
