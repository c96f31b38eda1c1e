"""The report as a Word document that analysts can edit: real headings, tables and a contents field.

Every block of a :class:`~stalking_profile.reporting.document.Document` becomes native Word
content, so the navigation pane, the accessibility checker and "Update Field" all work:

- headings use the built-in "Heading 1/2/3" styles; a question that opens a section uses
  "Intense Quote", small print a "Note" style and placeholders a "Placeholder" style, so
  restyling one changes them all;
- tables are Word tables with a bold header row that repeats on every page, rows that never
  break across pages and right-aligned numbers; tables wider than eight columns use smaller type
  so that they fit A4 portrait;
- charts and maps are PNGs (drawn offline by :func:`stalking_profile.reporting.maps.render`)
  whose alt text is the chart's ``alt``;
- the protective marking is centred and bold in every page's header and footer, above the page
  number.

python-docx cannot lay out pages, so the table of contents is a real ``TOC`` field holding the
headings without page numbers until the reader updates it (right-click, Update Field).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl
from docx.section import Section
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph as WordParagraph

from stalking_profile.reporting import maps
from stalking_profile.reporting.document import Bullets, Chart, Document, FrontPage, Heading, Paragraph, TableBlock

__all__ = ["TOC_HINT", "WIDE_TABLE", "render_docx"]

#: The line the contents field shows until Word computes page numbers.
TOC_HINT = "Right-click and choose Update Field to fill in the page numbers."
#: Tables with more columns than this are set in smaller type.
WIDE_TABLE = 8

_TEXT_WIDTH = Cm(17)  # A4 (21 cm) less two 2 cm margins
_CHART_WIDTH = Cm(16)
_CHART_MAX_HEIGHT = Cm(22)  # a tall chart still fits one page with its caption
_GREY = RGBColor(0x59, 0x59, 0x59)  # 7:1 contrast on white
_PARAGRAPH_STYLES = {"body": "Normal", "question": "Intense Quote", "note": "Note", "placeholder": "Placeholder"}


def render_docx(document: Document, out: Path | None = None, png: Callable[[Chart], bytes] | None = None) -> bytes:
    """The report as .docx bytes, also written to ``out`` when given.

    Parameters
    ----------
    document
        The composed report: front page and blocks in reading order.
    out
        Where to write the file; nothing is written when ``None``.
    png
        Draws a chart as PNG; the report passes its shared drawings so that PDF and Word draw each
        chart once. By default each chart is drawn here with vl-convert.

    Returns
    -------
    bytes
        The Word (Office Open XML) document.

    Raises
    ------
    ValueError
        A table has no header, or a row with a different number of cells from its header.

    Examples
    --------
    >>> from stalking_profile.reporting.document import FrontPage
    >>> front = FrontPage("Stalking Problem Profile", "12 months to September 2021", "West Yorkshire",
    ...                   "public", "OFFICIAL", "2026-11-29", "extract batch 1")
    >>> data = render_docx(Document(front, [Heading("Recorded stalking"), Paragraph("Stalking rose.")]))
    >>> word = docx.Document(io.BytesIO(data))
    >>> [(p.style.name, p.text) for p in word.paragraphs[-2:]]
    [('Heading 1', 'Recorded stalking'), ('Normal', 'Stalking rose.')]
    >>> word.sections[0].header.paragraphs[0].text
    'OFFICIAL'
    """
    for table in document.tables():
        _check(table)
    writer = _Writer(document.front, png or (lambda chart: maps.render(chart.spec, "png")))
    writer.contents(document.headings(up_to=2))
    for block in document.blocks:
        if isinstance(block, Heading):
            writer.paragraph(block.text, f"Heading {max(1, min(block.level, 9))}")
        elif isinstance(block, Paragraph):
            writer.paragraph(block.text, _PARAGRAPH_STYLES[block.style])
        elif isinstance(block, Bullets):
            for item in block.items:
                writer.paragraph(item, "List Bullet")
        elif isinstance(block, TableBlock):
            writer.table(block)
        else:
            writer.chart(block)
    buffer = io.BytesIO()
    writer.word.save(buffer)
    data = buffer.getvalue()
    if out is not None:
        out.write_bytes(data)
    return data


def _check(block: TableBlock) -> None:
    if not block.header:
        raise ValueError(f"table {block.name!r} has no header labels")
    for number, row in enumerate(block.rows, 1):
        if len(row) != len(block.header):
            raise ValueError(f"table {block.name!r}: row {number} has {len(row)} cells for "
                             f"{len(block.header)} header labels")


class _Writer:
    """A Word document being written: page set-up, styles and front page on creation, then one
    method per kind of block.

    Paragraph styles are set by id from a table made once: python-docx's lookup by name scans
    every style (about a millisecond a paragraph).
    """

    def __init__(self, front: FrontPage, png: Callable[[Chart], bytes]) -> None:
        self._png = png
        self.word = docx.Document()
        _set_up(self.word, front)
        self.ids = {style.name: style.style_id for style in self.word.styles}
        self.front_page(front)

    def paragraph(self, text: str = "", style: str = "Normal") -> WordParagraph:
        paragraph = self.word.add_paragraph(text)
        if style != "Normal":
            paragraph._p.style = self.ids[style]
        return paragraph

    def page_break(self) -> None:
        self.paragraph().add_run().add_break(WD_BREAK.PAGE)

    def front_page(self, front: FrontPage) -> None:
        self.paragraph(front.title, "Title")
        lines = (("Period", front.period), ("Force", front.force), ("Audience", front.audience),
                 ("Protective marking", front.marking), ("Generated", front.generated), ("Data source", front.source))
        for label, value in lines:
            paragraph = self.paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(value)
        self.page_break()

    def contents(self, headings: list[tuple[int, str, str]]) -> None:
        """A TOC field over headings 1-2. Until Word updates it, its result is the hint followed
        by the headings without page numbers; updating replaces both with the real contents."""
        self.paragraph("Contents", "TOC Heading")
        last = first = self.paragraph()
        _field(first, r'TOC \o "1-2" \h \z \u', TOC_HINT, end=False)
        for level, text, _ in headings:
            last = self.paragraph(text)
            last.paragraph_format.left_indent = Cm(0.6 * (level - 1))
            last.paragraph_format.space_after = Pt(2)
        _field_char(last, "end")
        self.page_break()

    def table(self, block: TableBlock) -> None:
        """Caption, then the table, then its note. Rows are built as XML directly: python-docx's
        cell API takes about a millisecond a cell, and a profile table can have a thousand rows."""
        self.paragraph(block.title, "Caption").paragraph_format.keep_with_next = True
        table = self.word.add_table(rows=0, cols=len(block.header))
        table.style = self.word.styles["Table Grid"]
        tbl = table._tbl
        tbl.tblPr.append(OxmlElement("w:tblCaption", {qn("w:val"): block.title}))  # read by screen readers
        widths = _column_widths(block)
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        numeric = [i < len(block.numeric) and block.numeric[i] for i in range(len(block.header))]
        layout = [(str(width.twips), right) for width, right in zip(widths, numeric, strict=True)]
        style = self.ids["Table Text Small" if len(block.header) > WIDE_TABLE else "Table Text"]
        _rows(tbl, block, layout, style)
        if block.note:
            self.paragraph(block.note, "Note")

    def chart(self, chart: Chart) -> None:
        """The chart as a PNG at 16 cm wide (less if it would be taller than a page allows), its alt
        text in ``wp:docPr/@descr`` and its title in ``@title``, then a caption.

        vl-convert takes most of a report's render time (a map of every LSOA about 0.3 s); threads
        did not help once maps were among the charts."""
        png = self._png(chart)
        paragraph = self.paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = True
        shape = paragraph.add_run().add_picture(io.BytesIO(png), width=_CHART_WIDTH)
        if shape.height > _CHART_MAX_HEIGHT:
            shape.width = Emu(shape.width * _CHART_MAX_HEIGHT // shape.height)
            shape.height = _CHART_MAX_HEIGHT
        properties = shape._inline.docPr
        properties.set("name", chart.name)
        properties.set("title", chart.title)
        properties.set("descr", chart.alt)
        self.paragraph(chart.title, "Caption")


def _set_up(word: WordDocument, front: FrontPage) -> None:
    """A4 portrait with 2 cm margins, British English, the marking on every page, our own styles
    and the document properties."""
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2)
    _header_footer(section, front.marking)
    lang = word.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    if lang is not None:
        lang.set(qn("w:val"), "en-GB")
    _style(word, "Note", size=9, colour=_GREY)
    _style(word, "Placeholder", italic=True)
    _style(word, "Table Text", size=9, compact=True)
    _style(word, "Table Text Small", size=7.5, compact=True)
    props = word.core_properties
    props.title, props.category, props.author = front.title, front.marking, "stalking-profile"
    props.subject = f"{front.force}, {front.period}"
    props.comments = f"Audience: {front.audience}. Data source: {front.source}. Generated {front.generated}."
    props.last_modified_by, props.revision = "stalking-profile", 1
    props.created = props.modified = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _style(word: WordDocument, name: str, *, size: float | None = None, italic: bool = False,
           colour: RGBColor | None = None, compact: bool = False) -> None:
    style = word.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = word.styles["Normal"]
    style.quick_style = True
    if size is not None:
        style.font.size = Pt(size)
    style.font.italic = italic or None
    style.font.color.rgb = colour
    if compact:  # table cells: no gap after each paragraph, single line spacing
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.line_spacing = 1.0


def _header_footer(section: Section, marking: str) -> None:
    """The marking, centred and bold, in the header and footer; "Page N" under it in the footer."""
    _marking(section.header.paragraphs[0], marking)
    footer = section.footer
    _marking(footer.paragraphs[0], marking)
    page = footer.add_paragraph(style="Footer")
    page.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page.add_run("Page ")
    _field(page, "PAGE", "1", end=True)


def _marking(paragraph: WordParagraph, marking: str) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(marking).bold = True


def _field_char(paragraph: WordParagraph, kind: str) -> None:
    paragraph.add_run()._r.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): kind}))


def _field(paragraph: WordParagraph, instruction: str, result: str, *, end: bool) -> None:
    """A complex field (``w:fldChar`` begin, instruction, separate, result); ``end`` closes it
    here, otherwise the result runs on into later paragraphs and the caller closes it."""
    _field_char(paragraph, "begin")
    instr = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    _field_char(paragraph, "separate")
    paragraph.add_run(result)
    if end:
        _field_char(paragraph, "end")


def _column_widths(block: TableBlock) -> list[Emu]:
    """Widths across the text block in proportion to each column's longest cell (capped, so one
    long label cannot squeeze the numbers), counting header labels by their longest word."""
    weights = []
    for i, label in enumerate(block.header):
        longest = max((len(row[i]) for row in block.rows), default=0)
        weights.append(max(3, min(30, longest), max((len(word) for word in label.split()), default=0)))
    total = sum(weights)
    return [Emu(_TEXT_WIDTH * weight // total) for weight in weights]


def _rows(tbl: CT_Tbl, block: TableBlock, layout: list[tuple[str, bool]], style: str) -> None:
    """Append the header row and the body rows, each a copy of a template row with its text filled in
    (copying is a C call; building every cell's elements in Python was most of the render time)."""
    header, body = _template(layout, style, header=True), _template(layout, style, header=False)
    for template, values in ((header, block.header), *((body, row) for row in block.rows)):
        tr = copy.deepcopy(template)
        for text_element, text in zip(list(tr.iter(qn("w:t"))), values, strict=True):
            lines = text.split("\n")
            text_element.text = lines[0]
            for line in lines[1:]:  # a line break inside a cell
                run = text_element.getparent()
                _sub(run, "w:br")
                _sub(run, "w:t", {"xml:space": "preserve"}).text = line
        tbl.append(tr)


def _template(layout: list[tuple[str, bool]], style: str, *, header: bool) -> Any:
    """An empty ``w:tr``: never split across pages (``w:cantSplit``), repeated on every page when
    it is the header (``w:tblHeader``, bold); cells of the given width (twips), numbers right-aligned."""
    tr = OxmlElement("w:tr")
    properties = _sub(tr, "w:trPr")
    _sub(properties, "w:cantSplit")  # the schema puts cantSplit before tblHeader
    if header:
        _sub(properties, "w:tblHeader")
    for width, right in layout:
        tc = _sub(tr, "w:tc")
        _sub(_sub(tc, "w:tcPr"), "w:tcW", {"w:w": width, "w:type": "dxa"})
        paragraph = _sub(tc, "w:p")
        pPr = _sub(paragraph, "w:pPr")
        _sub(pPr, "w:pStyle", {"w:val": style})
        if right:
            _sub(pPr, "w:jc", {"w:val": "right"})
        run = _sub(paragraph, "w:r")
        if header:
            _sub(_sub(run, "w:rPr"), "w:b")
        _sub(run, "w:t", {"xml:space": "preserve"})
    return tr


def _sub(parent: Any, tag: str, attributes: dict[str, str] | None = None) -> Any:
    """A new child element (lxml, untyped) with namespaced tag and attribute names."""
    child = parent.makeelement(qn(tag), {qn(key): value for key, value in (attributes or {}).items()})
    parent.append(child)
    return child
