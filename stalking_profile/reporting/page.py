"""The report as one self-contained HTML page (and the print version WeasyPrint turns into PDF).

Everything is inline: the stylesheet, and the charts as SVG (screen) or PNG data URIs (print),
so the page makes no network request and can be mailed or archived as one file. Text is
escaped by Jinja2; only the SVG that vl-convert draws is inserted as markup.
"""

from __future__ import annotations

import base64
from importlib import resources
from typing import Any, Literal

import jinja2

from stalking_profile.reporting.document import Bullets, Chart, Document, Heading, Paragraph, TableBlock
from stalking_profile.reporting.maps import render

__all__ = ["ChartImages", "render_html"]

Mode = Literal["screen", "print"]


class ChartImages:
    """Each chart drawn once per format and kept, so HTML, PDF and Word share the drawings."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], bytes] = {}

    def get(self, chart: Chart, fmt: Literal["svg", "png"]) -> bytes:
        key = (id(chart), fmt)
        if key not in self._cache:
            self._cache[key] = render(chart.spec, fmt)
        return self._cache[key]


def _template() -> jinja2.Template:
    folder = resources.files("stalking_profile").joinpath("data/templates")
    env = jinja2.Environment(autoescape=True, trim_blocks=False, lstrip_blocks=False,
                             undefined=jinja2.StrictUndefined)
    return env.from_string(folder.joinpath("report.html.j2").read_text("utf-8"))


def _css() -> str:
    return resources.files("stalking_profile").joinpath("data/templates/report.css").read_text("utf-8")


def _block(block: Any, mode: Mode, images: ChartImages) -> dict[str, Any]:
    if isinstance(block, Heading):
        return {"kind": "heading", "level": min(block.level, 3), "text": block.text, "anchor": block.anchor}
    if isinstance(block, Paragraph):
        return {"kind": "paragraph", "style": block.style, "text": block.text}
    if isinstance(block, Bullets):
        return {"kind": "bullets", "entries": block.items}
    if isinstance(block, TableBlock):
        numeric = block.numeric or tuple(False for _ in block.header)
        return {"kind": "table", "name": block.name, "title": block.title, "header": block.header,
                "rows": block.rows, "numeric": numeric, "note": block.note}
    if isinstance(block, Chart):
        if mode == "screen":
            svg = images.get(block, "svg").decode("utf-8")
            svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
            return {"kind": "chart", "name": block.name, "title": block.title, "alt": block.alt, "svg": svg,
                    "png": ""}
        png = base64.b64encode(images.get(block, "png")).decode("ascii")
        return {"kind": "chart", "name": block.name, "title": block.title, "alt": block.alt, "svg": "", "png": png}
    raise TypeError(f"not a report block: {block!r}")


def render_html(document: Document, mode: Mode = "screen", images: ChartImages | None = None) -> str:
    """The document as one HTML page; ``print`` mode uses PNG charts and the print stylesheet's
    page furniture (marking, page numbers, contents with page numbers) for WeasyPrint.

    Examples
    --------
    >>> from stalking_profile.reporting.document import FrontPage
    >>> doc = Document(FrontPage("Stalking Problem Profile", "12 months to September 2021", "West Yorkshire",
    ...                          "public", "OFFICIAL", "2026-11-29", "batch 1"), [Heading("Summary"),
    ...                          Paragraph("Stalking <rose> by 86.5%.")])
    >>> page = render_html(doc)
    >>> 'id="summary"' in page, "Stalking &lt;rose&gt; by 86.5%." in page, page.count("OFFICIAL") >= 3
    (True, True, True)
    """
    images = images or ChartImages()
    blocks = [_block(b, mode, images) for b in document.blocks]
    return _template().render(front=document.front, toc=document.headings(), blocks=blocks, css=_css())
