"""The report read as a reader would: HTML parsed, PDF pages rendered, Word opened, every table
checked against the profile table it shows, and a public report checked for small counts."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from markupsafe import escape

from stalking_profile.metrics.profile import ProfileRequest
from stalking_profile.reporting.blocks import display_cell, label
from stalking_profile.reporting.document import TableBlock
from stalking_profile.reporting.page import render_html
from stalking_profile.reporting.pdf import render_pdf
from stalking_profile.reporting.report import Report, make_report, write_report
from stalking_profile.reporting.word import render_docx
from stalking_profile.store.connection import Store
from tests.conftest import run_cli

DAY = dt.date(2026, 11, 29)
#: Tables the report shows a selection of rows from (the rest are shown whole).
SELECTED = {"allocation", "demographics_victims", "demographics_suspects", "wards", "hotspot_adjusted"}


@pytest.fixture(scope="module")
def internal(seed_store: Store) -> Report:
    return make_report(seed_store, ProfileRequest(to="2021-09", permutations=99), generated=DAY)


@pytest.fixture(scope="module")
def public(seed_store: Store) -> Report:
    return make_report(seed_store, ProfileRequest(to="2021-09", permutations=99, audience="public"), generated=DAY)


class _Tables(HTMLParser):
    """Every <table data-table=...> of a page as (name, header, rows); and every URL it references."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[str], list[list[str]]]] = []
        self.urls: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name) and not str(a[name]).startswith(("#", "data:")):
                self.urls.append(str(a[name]))
        if tag in ("link", "script", "iframe"):
            self.urls.append(f"<{tag}>")
        if tag == "table":
            self.tables.append((str(a.get("data-table")), [], []))
        elif tag == "thead":
            self._head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            _, header, rows = self.tables[-1]
            if self._head:
                header.extend(self._row)
            else:
                rows.append(self._row)
            self._row = None
        elif tag == "thead":
            self._head = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parsed(page: str) -> _Tables:
    parser = _Tables()
    parser.feed(page)
    return parser


def _expected(report: Report, block: TableBlock) -> list[tuple[str, ...]]:
    """The rows the profile table gives for the block's columns, formatted as the report formats."""
    table = report.profile.tables[block.name]
    by_label = {label(c): c for c in table.column_names}
    columns = [by_label[h] for h in block.header]
    return [tuple(display_cell(c, r[c]) for c in columns) for r in table.select(columns).to_pylist()]


def test_every_table_matches_its_profile_table(internal: Report) -> None:
    blocks = internal.document.tables()
    assert {"volumes", "arrests", "risk_assessment", "outcome_groups", "outcomes_domestic",
            "cumulative_risk"} <= {b.name for b in blocks}
    for block in blocks:
        expected = _expected(internal, block)
        if block.name in SELECTED:
            assert set(block.rows) <= set(expected), block.name
        elif "first" in block.note:
            assert list(block.rows) == expected[:len(block.rows)], block.name
        else:
            assert list(block.rows) == expected, block.name


def test_html_is_one_self_contained_file_whose_tables_are_the_blocks(internal: Report) -> None:
    page = render_html(internal.document, "screen", internal.images)
    parsed = _parsed(page)
    assert parsed.urls == []  # no stylesheet, script, image or link fetched from anywhere
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= {"http://www.w3.org/2000/svg",
                                                                "http://www.w3.org/1999/xlink"}
    blocks = internal.document.tables()
    assert [name for name, _, _ in parsed.tables] == [b.name for b in blocks]
    for (name, header, rows), block in zip(parsed.tables, blocks, strict=True):
        assert header == list(block.header) and [tuple(r) for r in rows] == list(block.rows), name
    charts = internal.document.charts()
    assert charts and page.count("<svg") >= len(charts)
    assert all(f'aria-label="{escape(c.alt)}"' in page for c in charts)  # every chart says what it shows
    assert page.count("OFFICIAL-SENSITIVE") >= 3 and '<html lang="en-GB">' in page


def test_pdf_reads_as_a_report(internal: Report, tmp_path: Path) -> None:
    data = render_pdf(internal.document, tmp_path / "r.pdf", internal.images)
    pdf = pdfium.PdfDocument(data)
    assert pdfium_c.FPDFCatalog_IsTagged(pdf.raw)  # tagged (PDF/UA): headings, tables, alt text
    pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    assert len(pages) > 5
    assert "Stalking Problem Profile" in pages[0] and "12 months to September 2021" in pages[0]
    for i, text in enumerate(pages, start=1):
        assert "OFFICIAL-SENSITIVE" in text and f"Page {i} of {len(pages)}" in text
    contents = pages[1]
    listed = dict(re.findall(r"^(.*?)\s*\.{3,}\s*(\d+)\s*$", contents.replace("\r", ""), re.MULTILINE))
    first = "1. Recorded stalking: domestic and non-domestic"
    assert int(listed["2. Handling and victim support"]) > int(listed[first])
    heading_page = int(listed["4. Outcomes"])
    assert "4. Outcomes" in pages[heading_page - 1]  # the contents' page numbers are right
    image = pdf[3].render(scale=0.5).to_pil()
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert image.width > 100 and len(colours) > 10  # the page drew, not a blank


def test_word_holds_the_same_tables(internal: Report, tmp_path: Path) -> None:
    render_docx(internal.document, tmp_path / "r.docx")
    word = docx.Document(str(tmp_path / "r.docx"))
    blocks = internal.document.tables()
    assert len(word.tables) == len(blocks)
    for table, block in zip(word.tables, blocks, strict=True):
        cells = [tuple(c.text for c in row.cells) for row in table.rows]
        assert cells[0] == block.header and cells[1:] == list(block.rows), block.name
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert headings[:2] == ["Summary of key findings", "1. Recorded stalking: domestic and non-domestic"]


def _count_cells(block: TableBlock) -> list[str]:
    numeric = block.numeric or tuple(False for _ in block.header)
    keep = [i for i, (h, n) in enumerate(zip(block.header, numeric, strict=True))
            if n and not any(w in h.lower() for w in ("%", "rate", "ci", "p-value", "value", "ratio", "expected"))]
    return [row[i] for row in block.rows for i in keep]


def test_public_report_shows_no_small_count(public: Report, tmp_path: Path) -> None:
    assert public.profile.marking == "OFFICIAL" and public.profile.suppression is not None
    assert public.profile.suppression.primary  # the seed window has small counts to hide
    names = {b.name for b in public.document.tables()}
    assert not names & {"cumulative_risk", "allocation", "outcome_maturity", "demographics_quality"}
    for block in public.document.tables():
        for cell in _count_cells(block):
            value = cell.replace(",", "")
            assert not (value.isdigit() and 1 <= int(value) <= 4), (block.name, cell)
    page = render_html(public.document, "screen", public.images)
    assert "OFFICIAL-SENSITIVE" not in page and "worklist" not in page.split("Annex")[0].lower()
    for sentence in (p for p in re.findall(r"<p class=\"body\">(.*?)</p>", page)):
        assert "&lt;5" not in sentence and "[c]" not in sentence
    text = "\n".join(pdfium.PdfDocument(render_pdf(public.document, None, public.images))[i]
                     .get_textpage().get_text_range() for i in range(2))
    assert "OFFICIAL" in text and "OFFICIAL-SENSITIVE" not in text


def test_report_command(seed_store: Store, tmp_path: Path) -> None:
    db = seed_store.target  # the seed store is a DuckDB file
    out = tmp_path / "report.html"
    code, stdout, _ = run_cli("report", "--db", db, "--to", "2021-09", "--permutations", "99", "--out", str(out))
    assert code == 0 and out.stat().st_size > 10_000 and "written to" in stdout
    code, _, err = run_cli("report", "--db", db, "--to", "2021-09", "--out", str(tmp_path / "report.odt"))
    assert code == 2 and "cannot tell the report format" in err and "Traceback" not in err
    assert not (tmp_path / "report.odt").exists()


def test_write_report_refuses_a_folder(internal: Report, tmp_path: Path) -> None:
    from stalking_profile.errors import ConfigError

    with pytest.raises(ConfigError, match="is a folder"):
        write_report(internal, "html", tmp_path)


def test_maps_by_audience(internal: Report, public: Report) -> None:
    """Every reader gets the district map; small-area maps are for internal readers only."""
    inside = {c.name for c in internal.document.charts()}
    hotspots = internal.profile.tables.get("hotspots")
    placed = hotspots is not None and "lsoa" in hotspots.column("level").to_pylist()
    assert "map_district" in inside and placed == ({"map_lsoa_value", "map_lsoa_gi"} <= inside)
    district = next(c for c in public.document.charts() if c.name == "map_district")
    volumes = {r["district"]: r["current"] for r in public.profile.tables["volumes"].to_pylist()
               if r["domestic"] == "All"}
    assert f"Leeds {volumes['LD']:,}" in district.alt  # the alt text gives the figures it shows
    assert not {c.name for c in public.document.charts()} & {"map_lsoa_value", "map_lsoa_gi"}
    notes = [b.text for b in public.document.blocks if getattr(b, "text", "").startswith("Map not drawn")]
    assert len(notes) == 1 and "public audience" in notes[0]
