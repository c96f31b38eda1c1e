"""The report as PDF: the print version of the HTML page laid out by WeasyPrint.

A4, the protective marking at the top and bottom of every page, "Page N of M", a contents
page with page numbers, tables whose header repeats and whose rows never split across pages,
PNG charts with their alt text, and a tagged PDF (WeasyPrint's PDF/UA-1 variant) so that
screen readers get the headings, tables and alt text.
"""

from __future__ import annotations

import logging
from pathlib import Path

from stalking_profile.reporting.document import Document
from stalking_profile.reporting.page import ChartImages, render_html

__all__ = ["render_pdf"]


def render_pdf(document: Document, out: Path | None = None, images: ChartImages | None = None) -> bytes:
    """The document as PDF bytes (written to ``out`` too when given)."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # font-fallback chatter is not the user's concern
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    page = render_html(document, "print", images)
    pdf: bytes = weasyprint.HTML(string=page).write_pdf(pdf_variant="pdf/ua-1")
    if out is not None:
        out.write_bytes(pdf)
    return pdf
