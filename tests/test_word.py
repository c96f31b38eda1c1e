"""Word output: real headings, tables and fields, read back with python-docx."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph as WordParagraph

from stalking_profile.reporting.document import (
    Block,
    Bullets,
    Chart,
    Document,
    FrontPage,
    Heading,
    Paragraph,
    TableBlock,
)
from stalking_profile.reporting.word import TOC_HINT, render_docx

BAR = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"month": "2021-07", "n": 12}, {"month": "2021-08", "n": 15}, {"month": "2021-09", "n": 9}]},
    "mark": "bar",
    "encoding": {"x": {"field": "month", "type": "ordinal"}, "y": {"field": "n", "type": "quantitative"}},
    "width": 400,
    "height": 200,
}
TABLE = TableBlock("by_month", "Stalking by month", ("Month", "Offences", "Change"),
                   (("July 2021", "12", "-"), ("August 2021", "15", "+25.0%"), ("September 2021", "9", "-40.0%")),
                   numeric=(False, True, True), note="Source: crime records, extract batch 1.")
CHART = Chart("by_month_chart", "Stalking offences by month", BAR,
              "Bar chart of stalking offences by month: 12 in July, 15 in August and 9 in September 2021.")
BLOCKS: list[Block] = [
    Heading("1. Recorded stalking", 1),
    Paragraph("How much stalking is recorded, and is it rising?", "question"),
    Paragraph("Stalking rose by 86.5% on the year before."),
    Bullets(("Most offences are domestic.", "Most victims are women.")),
    TABLE,
    Heading("1.1 By month", 2),
    CHART,
    Paragraph("Counts under five are suppressed.", "note"),
    Paragraph("The store holds no SPO data yet.", "placeholder"),
]


def _front(marking: str = "OFFICIAL-SENSITIVE") -> FrontPage:
    audience = "internal" if marking == "OFFICIAL-SENSITIVE" else "partner"
    return FrontPage("Stalking Problem Profile", "12 months to September 2021", "West Yorkshire", audience, marking,
                     "2026-11-29", "extract batch 1")


@pytest.fixture(scope="module")
def rendered() -> Any:
    return docx.Document(io.BytesIO(render_docx(Document(_front(), BLOCKS))))


def _body(word: Any) -> list[WordParagraph | Table]:
    return list(word.iter_inner_content())


def test_front_page_then_contents_then_the_report(rendered: Any) -> None:
    texts = [p.text for p in rendered.paragraphs]
    assert rendered.paragraphs[0].style.name == "Title" and texts[0] == "Stalking Problem Profile"
    for line in ("Period: 12 months to September 2021", "Force: West Yorkshire", "Audience: internal",
                 "Generated: 2026-11-29", "Data source: extract batch 1"):
        assert line in texts[:8]
    breaks = [i for i, p in enumerate(rendered.paragraphs) if p._p.xpath(".//w:br[@w:type='page']")]
    contents = texts.index("Contents")
    first_heading = next(i for i, p in enumerate(rendered.paragraphs) if p.style.name == "Heading 1")
    assert len(breaks) == 2 and breaks[0] < contents < breaks[1] < first_heading


def test_headings_and_paragraph_styles_in_order(rendered: Any) -> None:
    start = next(i for i, p in enumerate(rendered.paragraphs) if p.style.name == "Heading 1")
    styled = [(p.style.name, p.text) for p in rendered.paragraphs[start:]]
    assert [s for s in styled if s[0].startswith("Heading")] == [("Heading 1", "1. Recorded stalking"),
                                                                   ("Heading 2", "1.1 By month")]
    assert styled[1:5] == [("Intense Quote", "How much stalking is recorded, and is it rising?"),
                           ("Normal", "Stalking rose by 86.5% on the year before."),
                           ("List Bullet", "Most offences are domestic."),
                           ("List Bullet", "Most victims are women.")]
    assert styled[-2:] == [("Note", "Counts under five are suppressed."),
                           ("Placeholder", "The store holds no SPO data yet.")]
    note = rendered.styles["Note"]
    assert note.font.size == Pt(9) and note.font.color.rgb == RGBColor(0x59, 0x59, 0x59)  # body text is 11 pt
    assert rendered.styles["Placeholder"].font.italic is True


def test_table_cells_header_row_and_row_properties(rendered: Any) -> None:
    (table,) = rendered.tables
    cells = [tuple(cell.text for cell in row.cells) for row in table.rows]
    assert cells == [TABLE.header, *TABLE.rows]
    rows = table._tbl.tr_lst
    assert rows[0].trPr.find(qn("w:tblHeader")) is not None
    assert all(row.trPr.find(qn("w:tblHeader")) is None for row in rows[1:])
    assert all(row.trPr.find(qn("w:cantSplit")) is not None for row in rows)
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    alignments = [cell.paragraphs[0].alignment for cell in table.rows[1].cells]
    assert [a is not None and a.name == "RIGHT" for a in alignments] == [False, True, True]
    assert table.style.name == "Table Grid"


def test_table_has_a_caption_before_and_its_note_after(rendered: Any) -> None:
    body = _body(rendered)
    at = next(i for i, item in enumerate(body) if isinstance(item, Table))
    before, after = body[at - 1], body[at + 1]
    assert isinstance(before, WordParagraph) and isinstance(after, WordParagraph)
    assert (before.style.name, before.text) == ("Caption", "Stalking by month")
    assert (after.style.name, after.text) == ("Note", "Source: crime records, extract batch 1.")


def test_wide_tables_use_smaller_type() -> None:
    header = tuple(f"c{i}" for i in range(10))
    wide = TableBlock("wide", "Wide", header, (tuple("1" for _ in header),), numeric=(True,) * 10)
    word = docx.Document(io.BytesIO(render_docx(Document(_front(), [TABLE, wide]))))
    narrow_style, wide_style = (t.rows[1].cells[0].paragraphs[0].style for t in word.tables)
    assert (narrow_style.name, wide_style.name) == ("Table Text", "Table Text Small")
    assert wide_style.font.size < narrow_style.font.size


def test_chart_is_an_image_with_alt_text_and_a_caption(rendered: Any) -> None:
    (shape,) = rendered.inline_shapes
    assert shape._inline.docPr.get("descr") == CHART.alt
    assert shape._inline.docPr.get("title") == CHART.title
    assert shape.width == Cm(16)
    image = rendered.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed]
    assert image.content_type == "image/png" and image.blob[:4] == b"\x89PNG"
    body = _body(rendered)
    at = next(i for i, item in enumerate(body) if isinstance(item, WordParagraph) and item._p.xpath(".//w:drawing"))
    assert (body[at + 1].style.name, body[at + 1].text) == ("Caption", CHART.title)


def test_a_tall_chart_is_shrunk_to_fit_the_page() -> None:
    tall = Chart("tall", "Tall", {**BAR, "width": 100, "height": 600}, "A tall bar chart.")
    (shape,) = docx.Document(io.BytesIO(render_docx(Document(_front(), [tall])))).inline_shapes
    assert shape.height == Cm(22) and shape.width < Cm(16)


def test_contents_is_a_toc_field(rendered: Any) -> None:
    body = rendered.element.body
    instructions = [t.text.strip() for t in body.iter(qn("w:instrText"))]
    assert instructions == ['TOC \\o "1-2" \\h \\z \\u']
    kinds = [c.get(qn("w:fldCharType")) for c in body.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    texts = [p.text for p in rendered.paragraphs]
    at = texts.index(TOC_HINT)
    assert texts[at + 1:at + 3] == ["1. Recorded stalking", "1.1 By month"]  # until Word updates the field


@pytest.mark.parametrize("marking", ["OFFICIAL-SENSITIVE", "OFFICIAL"])
def test_marking_in_every_header_and_footer_with_page_numbers(marking: str) -> None:
    word = docx.Document(io.BytesIO(render_docx(Document(_front(marking), BLOCKS[:3]))))
    (section,) = word.sections
    for part in (section.header, section.footer):
        first = part.paragraphs[0]
        assert first.text == marking and first.alignment.name == "CENTER"
        assert all(run.bold for run in first.runs)
    page = section.footer.paragraphs[1]
    instructions = [t.text.strip() for t in page._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE"] and page.text.startswith("Page ")
    assert not section.different_first_page_header_footer  # the front page is marked too
    assert word.core_properties.category == marking


def test_a4_with_2_cm_margins(rendered: Any) -> None:
    (section,) = rendered.sections
    assert (round(section.page_width.cm, 2), round(section.page_height.cm, 2)) == (21, 29.7)
    margins = (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin)
    assert {round(margin.cm, 2) for margin in margins} == {2}


def test_writes_the_file_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "profile.docx"
    data = render_docx(Document(_front(), BLOCKS[:2]), out)
    assert out.read_bytes() == data and data[:2] == b"PK"


def test_line_breaks_in_cells_and_empty_tables() -> None:
    table = TableBlock("t", "Two lines", ("Area", "Count"), (("Leeds\nCity", "3"),), numeric=(False, True))
    empty = TableBlock("e", "Nothing yet", ("Area", "Count"), ())
    word = docx.Document(io.BytesIO(render_docx(Document(_front(), [table, empty]))))
    assert word.tables[0].rows[1].cells[0].text == "Leeds\nCity"
    assert [cell.text for cell in word.tables[1].rows[0].cells] == ["Area", "Count"] and len(word.tables[1].rows) == 1


def test_a_row_of_the_wrong_length_is_refused() -> None:
    bad = TableBlock("bad", "Bad", ("a", "b"), (("1", "2"), ("3",)))
    with pytest.raises(ValueError, match="table 'bad': row 2 has 1 cells for 2 header labels"):
        render_docx(Document(_front(), [bad]))
    with pytest.raises(ValueError, match="table 'none' has no header labels"):
        render_docx(Document(_front(), [TableBlock("none", "None", (), ())]))
