"""The audit checklist workbook: one row per sampled crime to answer, and a guide to the sample.

Sheet ``Checklist`` has the columns ``audit_id, crime_ref, district, recorded_date, domestic,
offence_code``, one column per checklist item (a dropdown of yes, no and n/a) and then
``audited_date`` and ``finding``. Sheet ``Guide`` says what each item means, how to answer, how the
sample was drawn (district, period, seed, allocation, each stratum's crimes and sample) and how to
import the completed sheet. The same layout is written as CSV (no guide) when the file ends ``.csv``.
It is record-level data: internal only, marked OFFICIAL-SENSITIVE.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from stalking_profile.audits.checklist import ANSWERS, Checklist
from stalking_profile.audits.reviews import Review, current_reviews
from stalking_profile.audits.sample import AuditSample, load_sample
from stalking_profile.errors import ConfigError
from stalking_profile.force import Force
from stalking_profile.store.connection import Store
from stalking_profile.store.export import check_out, csv_cell

__all__ = ["COLUMNS_BEFORE", "MARKING", "checklist_columns", "checklist_rows", "export_checklist",
           "write_checklist"]

#: The Checklist sheet's columns before the items.
COLUMNS_BEFORE = ("audit_id", "crime_ref", "district", "recorded_date", "domestic", "offence_code")
MARKING = "OFFICIAL-SENSITIVE"
_WIDTHS = {"audit_id": 9, "crime_ref": 16, "district": 9, "recorded_date": 13, "domestic": 14, "offence_code": 13,
           "audited_date": 13, "finding": 60}


def checklist_columns(checklist: Checklist) -> tuple[str, ...]:
    """Every column of the Checklist sheet, in order.

    Examples
    --------
    >>> from stalking_profile.audits.checklist import load_checklist
    >>> checklist_columns(load_checklist())[5:8]
    ('offence_code', 'risk_form', 'sdash')
    """
    return (*COLUMNS_BEFORE, *checklist.keys, "audited_date", "finding")


def checklist_rows(sample: AuditSample, checklist: Checklist,
                   reviews: dict[tuple[int, str], Review] | None = None) -> list[dict[str, Any]]:
    """One row per sampled crime (stratum then draw order), with its current review filled in if any."""
    rows: list[dict[str, Any]] = []
    for crime in sample.crimes.to_pylist():
        review = (reviews or {}).get((sample.audit_id, crime["crime_ref"]))
        row: dict[str, Any] = {"audit_id": sample.audit_id, "crime_ref": crime["crime_ref"],
                               "district": sample.spec.district, "recorded_date": crime["recorded_date"],
                               "domestic": crime["stratum"], "offence_code": crime["offence_code"]}
        row.update({k: review.answers.get(k) if review else None for k in checklist.keys})
        row["audited_date"] = review.audited_date if review else None
        row["finding"] = review.finding if review else None
        rows.append(row)
    return rows


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("x", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)


def _guide_lines(sample: AuditSample, checklist: Checklist, force: Force | None) -> list[tuple[str, ...]]:
    spec = sample.spec
    name = next((f" ({d.name})" for d in (force.districts if force else ()) if d.code == spec.district), "")
    lines: list[tuple[str, ...]] = [
        (f"Dip-sample audit {sample.audit_id}: {spec.family} crimes in {spec.district}{name}, "
         f"recorded {spec.period.start} to {spec.period.end}",),
        (f"{MARKING}: record-level data for internal use only. Do not share this workbook outside the force.",),
        (),
        ("The sample",),
        ("district", spec.district), ("offence family", spec.family),
        ("period", f"{spec.period.start} to {spec.period.end}"), ("seed", str(spec.seed)),
        ("allocation", spec.allocation), ("size asked for", str(spec.size)), ("crimes drawn", str(sample.size)),
        ("crimes in the period", str(sample.population)), ("crimes as stored after batch", str(spec.crimes_batch)),
        (),
        ("stratum", "crimes in the period", "sampled", "each sampled crime stands for"),
        *((s.label, str(s.population), str(s.sample), f"{s.weight:.2f} crimes") for s in sample.strata),
        (),
        ("Completing the Checklist sheet",),
        ("answers", f"{', '.join(ANSWERS)} (also y, n, na). n/a means the item does not apply to the crime; it is "
                    "left out of that item's compliance rate."),
        ("every item", "Answer every item for a crime, or none yet: a row with some items blank is not imported."),
        ("audited_date", "The date you reviewed the crime (YYYY-MM-DD); optional."),
        ("finding", "Free text: what you found, and any action needed."),
        ("do not change", "audit_id, crime_ref and the rows themselves: they tie each answer to the sample."),
        (),
        ("The checklist", "question", "what it means"),
        *((i.key, i.question, i.guidance) for i in checklist.items),
        (),
        ("Importing it back",),
        ("command", "stalking-profile audit import FILE"),
        ("", "Rows with every item answered are stored; rows with nothing answered are reported as not audited "
             "yet and can be imported later. A corrected row imported again replaces the earlier review."),
    ]
    return lines


def _write_xlsx(path: Path, sample: AuditSample, checklist: Checklist, columns: tuple[str, ...],
                rows: list[dict[str, Any]], force: Force | None) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True,
                              "valign": "top"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("Checklist")
    sheet.freeze_panes(1, 2)
    sheet.set_header(f"&C{MARKING}")
    for c, name in enumerate(columns):
        sheet.write_string(0, c, name, header)
        sheet.set_column(c, c, _WIDTHS.get(name, max(12, len(name) + 2)),
                         date if name in ("recorded_date", "audited_date") else wrap if name == "finding" else None)
        if name in checklist.keys:
            sheet.write_comment(0, c, checklist.question(name))
            if rows:
                sheet.data_validation(1, c, len(rows), c, {
                    "validate": "list", "source": list(ANSWERS), "input_title": name[:32],
                    "input_message": checklist.question(name)[:255], "error_title": "Not an answer",
                    "error_message": f"Answer {', '.join(ANSWERS)}."})
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(columns):
            value = row[name]
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))  # a string cell is never run as a formula
    guide = book.add_worksheet("Guide")
    guide.set_column(0, 0, 28)
    guide.set_column(1, 1, 60, wrap)
    guide.set_column(2, 3, 60, wrap)
    bold = book.add_format({"bold": True})
    for r, line in enumerate(_guide_lines(sample, checklist, force)):
        for c, text in enumerate(line):
            guide.write_string(r, c, text, bold if len(line) == 1 or c == 0 else None)
    try:
        book.close()
    except xlsxwriter.exceptions.FileCreateError as exc:
        raise ConfigError(f"cannot write {path}: {exc}", "check the folder exists and the file is not open") from None


def write_checklist(path: Path, sample: AuditSample, checklist: Checklist,
                    reviews: dict[tuple[int, str], Review] | None = None, force: Force | None = None) -> Path:
    """Write the sample's checklist to ``path`` (``.xlsx`` with its guide, or ``.csv``), its current
    reviews filled in when given; an existing file is never overwritten (:class:`InputFileError`)."""
    check_out(path)
    columns = checklist_columns(checklist)
    rows = checklist_rows(sample, checklist, reviews)
    if path.suffix.lower() == ".csv":
        _write_csv(path, columns, rows)
    else:
        _write_xlsx(path, sample, checklist, columns, rows, force)
    return path


def export_checklist(store: Store, audit_id: int, path: Path, checklist: Checklist,
                     force: Force | None = None, as_of: int | None = None) -> tuple[AuditSample, int]:
    """Write audit ``audit_id``'s checklist with its current reviews filled in; returns the sample and
    how many of its crimes are reviewed. Importing the file back into the same store changes nothing."""
    check_out(path)
    sample = load_sample(store, audit_id)
    reviews = current_reviews(store, [audit_id], as_of)
    write_checklist(path, sample, checklist, reviews, force)
    return sample, len(reviews)
