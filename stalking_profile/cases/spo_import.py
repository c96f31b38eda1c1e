"""Import SPO case events (a file, or one event from the command line) as one append-only batch,
and export the stored events in the same layout.

The file is a CSV (or XLSX) with the template's columns in the template's order (see
:func:`write_template`): ``case_ref,crime_ref,event,event_date,district,outcome,reason,
duration_months,terms``. Dates are ISO or dd/mm/yyyy. ``district`` may be blank when the crime
is in the store: the crime's district is taken.

Every row is checked on its own (required values, known event, outcome, district, dates not
after today) and then, in date order, against the stored events of its case plus the file's
earlier accepted rows (:func:`~stalking_profile.cases.spo_events.check_sequence`). A rejected
row is kept in ``rejected_rows`` with its reasons, each reason in ``row_issues``, under the
batch's id; the accepted rows land in ``spo_events``. The batch is written in one transaction
(all of it or none of it), and re-importing the same file (same SHA-256) changes nothing.

:func:`export_events` writes the stored events in the template's layout (district resolved):
imported into a fresh store the file gives the same events; imported into the store it came
from, every row is rejected as a repeat of a stored event, so nothing is added.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from stalking_profile import __version__
from stalking_profile.cases.spo_events import COLUMNS, EVENTS, OUTCOMES, SpoEvent, check_sequence, sort_key
from stalking_profile.errors import InputFileError, MissingColumnError
from stalking_profile.force import Force, load_force
from stalking_profile.ingest.readers import read_extract
from stalking_profile.schema import parse
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.export import restore_text, write_records
from stalking_profile.store.loader import transaction
from stalking_profile.store.records import RecordImport, chunks, claim_batch, keep, open_import

__all__ = ["SOURCE_KIND", "SpoImportResult", "add_event", "export_events", "import_events", "load_events",
           "write_template"]

SOURCE_KIND = "spo_events"
_ADD_KIND = "spo_add"
_EXAMPLE = ("SPO-001", "C1", "enquiry", "2021-03-08", "BD", "", "", "", "")
Row = dict[str, str | None]


@dataclass
class SpoImportResult(RecordImport):
    """The accounting of one SPO import: read = accepted + rejected."""

    by_event: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # row number, reasons


@dataclass
class _Checked:
    accepted: list[tuple[int, SpoEvent]] = field(default_factory=list)
    rejected: list[tuple[int, str | None, list[tuple[str, str]], Row]] = field(default_factory=list)


def write_template(path: Path) -> Path:
    """Write the import template: the header and one example row.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     print(write_template(Path(d) / "spo.csv").read_text().splitlines()[0])
    case_ref,crime_ref,event,event_date,district,outcome,reason,duration_months,terms
    """
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(_EXAMPLE) + "\n", encoding="utf-8")
    return path


def load_events(store: Store, cases: Iterable[str] | None = None,
                as_of: int | None = None) -> dict[str, list[SpoEvent]]:
    """The stored events by case (optionally only ``cases``, or as the store stood after batch ``as_of``)."""
    t = store.table(tables.SPO_EVENTS)
    if as_of is not None:
        t = t.filter(t.batch_id <= as_of)
    wanted = None if cases is None else sorted(set(cases))
    parts = [t] if wanted is None else [t.filter(t.case_ref.isin(chunk)) for chunk in chunks(wanted)]
    out: dict[str, list[SpoEvent]] = {}
    for part in parts:
        rows = part.order_by(["batch_id", "row_number"]).drop("batch_id", "row_number").to_pyarrow().to_pylist()
        for r in rows:
            out.setdefault(r["case_ref"], []).append(SpoEvent(**r))
    return {k: sorted(v, key=sort_key) for k, v in out.items()}


def _crime_districts(store: Store, refs: set[str]) -> dict[str, str | None]:
    crimes = store.current_crimes()
    found: dict[str, str | None] = {}
    wanted = sorted(refs)
    for chunk in chunks(wanted):
        hits = crimes.filter(crimes.crime_ref.isin(chunk)).select("crime_ref", "district")
        found.update({r["crime_ref"]: r["district"] for r in hits.to_pyarrow().to_pylist()})
    return found


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _parse_row(raw: Row, force: Force, today: dt.date, districts: dict[str, str | None]
               ) -> tuple[SpoEvent | None, list[tuple[str, str]]]:
    """One row's event, or the (column, reason) pairs that reject it before any sequence check."""
    v = {c: _text(raw.get(c)) for c in COLUMNS}
    bad = [(c, f"missing {c} (required)") for c in ("case_ref", "crime_ref", "event", "event_date") if v[c] is None]
    event = re.sub(r"[\s\-]+", "_", (v["event"] or "").lower())
    if v["event"] and event not in EVENTS:
        bad.append(("event", f"event '{v['event']}' is not an SPO event (use {', '.join(EVENTS)})"))
    outcome = v["outcome"].lower().replace("_", " ").replace("-", " ") if v["outcome"] else None
    if outcome is not None and outcome not in OUTCOMES:
        bad.append(("outcome", f"outcome '{v['outcome']}' is not one of {', '.join(OUTCOMES)}"))
    day = parse.parse_date(pa.array([v["event_date"]], pa.string())).values[0].as_py()
    if v["event_date"] and day is None:
        bad.append(("event_date", f"event_date '{v['event_date']}' cannot be read (use YYYY-MM-DD or DD/MM/YYYY)"))
    elif day is not None and day > today:
        bad.append(("event_date", f"event_date '{v['event_date']}' is after today ({today})"))
    months = None
    if v["duration_months"]:
        try:
            months = int(v["duration_months"])
        except ValueError:
            bad.append(("duration_months", f"duration_months '{v['duration_months']}' is not a whole number"))
    district = force.district_aliases().get(v["district"].upper()) if v["district"] else None
    if v["district"] and district is None:
        bad.append(("district", f"district '{v['district']}' is not one of {', '.join(force.district_codes)}"))
    elif v["district"] is None and v["crime_ref"]:
        district = districts.get(v["crime_ref"])
        if district is None:
            bad.append(("district", f"district is blank and crime {v['crime_ref']} is not in the store "
                                    "with one: give the district"))
    if bad or v["case_ref"] is None or v["crime_ref"] is None or day is None:
        return None, bad
    return SpoEvent(v["case_ref"], v["crime_ref"], event, day, district, outcome, v["reason"], months,
                    v["terms"]), []


def _check(store: Store, rows: list[tuple[int, Row]], force: Force, today: dt.date) -> _Checked:
    refs = {r for _, raw in rows if (r := _text(raw.get("crime_ref")))}
    districts = _crime_districts(store, refs) if refs else {}
    parsed = [(n, raw, *_parse_row(raw, force, today, districts)) for n, raw in rows]
    cases = load_events(store, {e.case_ref for _, _, e, _ in parsed if e is not None})
    seen: dict[SpoEvent, int] = {}
    out = _Checked()
    for n, raw, event, bad in sorted(parsed, key=lambda p: (*sort_key(p[2]), p[0]) if p[2] else (dt.date.min, 0, p[0])):
        if event is not None:
            history = cases.setdefault(event.case_ref, [])
            if event in seen:
                bad = [("event", f"repeats row {seen[event]}")]
            elif event in history:
                bad = [("event", f"repeats an event already stored for case {event.case_ref}")]
            else:
                bad = [("event", reason) for reason in check_sequence(history, event)]
            if not bad:
                history.append(event)
                seen[event] = n
                out.accepted.append((n, event))
                continue
        out.rejected.append((n, _text(raw.get("crime_ref")), bad, raw))
    out.accepted.sort()
    out.rejected.sort(key=lambda r: r[0])
    return out


def _tables(checked: _Checked) -> tuple[pa.Table, pa.Table, pa.Table]:
    schema = pa.schema([f for f in tables.SCHEMAS[tables.SPO_EVENTS].to_pyarrow() if f.name != "batch_id"])
    events = pa.Table.from_pylist([{"row_number": n, **e.__dict__} for n, e in checked.accepted], schema=schema)
    issues = pa.Table.from_pylist(
        [{"row_number": n, "crime_ref": ref, "column_name": col, "severity": "error", "reason": why}
         for n, ref, bad, _ in checked.rejected for col, why in bad],
        schema=pa.schema([f for f in tables.SCHEMAS[tables.ROW_ISSUES].to_pyarrow() if f.name != "batch_id"]))
    rejected = pa.Table.from_pylist(
        [{"row_number": n, "crime_ref": ref, "reasons": "; ".join(why for _, why in bad),
          "raw_json": json.dumps({c: raw.get(c) for c in COLUMNS}, ensure_ascii=False)}
         for n, ref, bad, raw in checked.rejected],
        schema=pa.schema([f for f in tables.SCHEMAS[tables.REJECTED_ROWS].to_pyarrow() if f.name != "batch_id"]))
    return events, issues, rejected


def _write(store: Store, kind: str, result: SpoImportResult, checked: _Checked, started: dt.datetime) -> int:
    events, issues, rejected = _tables(checked)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    batch = pa.table({
        "source_kind": [kind], "file_name": [result.file_name], "file_sha256": [result.file_sha256],
        "file_format": ["csv"], "encoding": ["utf-8"], "mapping": ["spo template"], "key_fingerprint": [None],
        "tool_version": [__version__], "started_at": [started], "finished_at": [now],
        "rows_read": [result.rows_read], "rows_accepted": [result.rows_accepted],
        "rows_rejected": [result.rows_rejected], "rows_new": [result.rows_accepted], "rows_changed": [0],
        "rows_unchanged": [0], "rows_warned": [0]}, schema=tables.SCHEMAS[tables.BATCHES].to_pyarrow().remove(0))
    with transaction(store) as tx:
        batch_id = claim_batch(tx, store, kind, result.file_sha256)
        keep(tx, batch_id, (tables.SPO_EVENTS, events), (tables.ROW_ISSUES, issues),
             (tables.REJECTED_ROWS, rejected), (tables.BATCHES, batch))
    return batch_id


def _account(result: SpoImportResult, checked: _Checked) -> None:
    result.rows_accepted, result.rows_rejected = len(checked.accepted), len(checked.rejected)
    result.rows_read = result.rows_accepted + result.rows_rejected
    kinds = [e.event for _, e in checked.accepted]
    result.by_event = {k: kinds.count(k) for k in EVENTS if k in kinds}
    result.rejected = [(n, "; ".join(why for _, why in bad)) for n, _, bad, _ in checked.rejected]


def _file_rows(path: Path) -> tuple[list[tuple[int, Row]], int]:
    table = read_extract(path, None).table
    headers = [re.sub(r"[\s\-]+", "_", h.strip().lower()) for h in table.column_names]
    if headers != list(COLUMNS):
        missing = [c for c in COLUMNS if c not in headers]
        what = f"has no {', '.join(missing)} column" if missing else "does not have the template's columns in order"
        error = MissingColumnError if missing else InputFileError
        raise error(f"{path.name} {what}", f"use the template (`stalking-profile spo template`): {','.join(COLUMNS)}")
    raw = table.rename_columns(list(COLUMNS)).to_pylist()
    rows = [(i + 2, {k: restore_text(None if v is None else str(v)) for k, v in r.items()})
            for i, r in enumerate(raw)]
    kept = [(n, r) for n, r in rows if any(_text(v) for v in r.values())]
    return kept, len(rows) - len(kept)


def import_events(path: Path, store: Store, *, force: Force | None = None,
                  today: dt.date | None = None) -> SpoImportResult:
    """Import a file of SPO events as a new batch and return its accounting.

    A file imported before is not read again (``already_imported``); file-level problems raise
    :class:`InputFileError`.
    """
    result, started = open_import(path, store, SOURCE_KIND, SpoImportResult)
    if result.already_imported:
        return result
    rows, result.rows_blank = _file_rows(path)
    if not rows:
        raise InputFileError(f"{path.name} has a header but no events", "add one row per event, as in the template")
    checked = _check(store, rows, force or load_force(), today or dt.date.today())
    _account(result, checked)
    result.batch_id = _write(store, SOURCE_KIND, result, checked, started)
    return result


def add_event(store: Store, row: Row, *, force: Force | None = None, today: dt.date | None = None) -> SpoImportResult:
    """Store one event given column by column; an illegal event raises :class:`InputFileError` and writes nothing."""
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    checked = _check(store, [(1, row)], force or load_force(), today or dt.date.today())
    if checked.rejected:
        reasons = "; ".join(why for _, why in checked.rejected[0][2])
        raise InputFileError(f"the event was not stored: {reasons}",
                             "see `stalking-profile spo list --case CASE` for the case's events so far")
    text = json.dumps([row.get(c) for c in COLUMNS]) + started.isoformat()
    result = SpoImportResult("(spo add)", hashlib.sha256(text.encode()).hexdigest())
    _account(result, checked)
    result.batch_id = _write(store, _ADD_KIND, result, checked, started)
    return result


def export_events(store: Store, out: Path, district: str | None = None) -> int:
    """Write the stored events (optionally one district's) to ``out`` (.csv or .xlsx) in the
    template's layout, case by case in event order; returns the rows written.

    The district is written as stored (resolved from the crime when the import left it blank),
    so the file imports into a store that does not hold the crimes.
    """
    events = load_events(store)
    rows = [{c: getattr(e, c) for c in COLUMNS} for ref in sorted(events) for e in events[ref]
            if district is None or e.district == district]
    schema = pa.schema([tables.SCHEMAS[tables.SPO_EVENTS].to_pyarrow().field(c) for c in COLUMNS])
    return write_records(pa.Table.from_pylist(rows, schema=schema), out, "spo_events")
