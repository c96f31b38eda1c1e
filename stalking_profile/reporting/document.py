"""The report as a document model: a front page and a flat list of blocks that every renderer reads.

The report is composed once (:mod:`stalking_profile.reporting.compose`) from one profile, and
then rendered to HTML, PDF and Word from the same blocks, so that every format says the same
thing. Blocks hold finished text and display-ready table cells; renderers only lay them out.

Examples
--------
>>> doc = Document(FrontPage("Stalking Problem Profile", "12 months to September 2021", "West Yorkshire",
...                          "internal", "OFFICIAL-SENSITIVE", "2026-11-29", "extract batch 1"),
...                [Heading("Recorded stalking", 1), Paragraph("Stalking rose by 86.5%.")])
>>> [type(b).__name__ for b in doc.blocks], doc.headings()
(['Heading', 'Paragraph'], [(1, 'Recorded stalking', 'recorded-stalking')])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Block", "Bullets", "Chart", "Document", "FrontPage", "Heading", "Paragraph", "TableBlock", "anchor"]

ParagraphStyle = Literal["body", "question", "note", "placeholder"]


def anchor(text: str) -> str:
    """A stable HTML id for a heading.

    Examples
    --------
    >>> anchor("1. Recorded stalking: DA and non-DA")
    '1-recorded-stalking-da-and-non-da'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Heading:
    """A section heading; level 1 is a chapter."""

    text: str
    level: int = 1

    @property
    def anchor(self) -> str:
        return anchor(self.text)


@dataclass(frozen=True)
class Paragraph:
    """Prose. ``question`` opens a section with its question in plain words; ``note`` is small
    print; ``placeholder`` says honestly that the store has no data for something yet."""

    text: str
    style: ParagraphStyle = "body"


@dataclass(frozen=True)
class Bullets:
    """A list of short findings."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class TableBlock:
    """A table as the reader sees it: header labels and display-ready cell text.

    ``name`` is the profile table it shows (tests check the two agree); ``numeric`` marks the
    columns to right-align.
    """

    name: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite chart or map with the alt text that says what it shows."""

    name: str
    title: str
    spec: dict[str, Any]
    alt: str


Block = Heading | Paragraph | Bullets | TableBlock | Chart


@dataclass(frozen=True)
class FrontPage:
    """What the front page says."""

    title: str
    period: str
    force: str
    audience: str
    marking: str
    generated: str
    source: str


@dataclass
class Document:
    """A front page and the blocks that follow it, in reading order."""

    front: FrontPage
    blocks: list[Block] = field(default_factory=list)

    def headings(self, up_to: int = 2) -> list[tuple[int, str, str]]:
        """``(level, text, anchor)`` of the headings down to ``up_to``: the table of contents."""
        return [(b.level, b.text, b.anchor) for b in self.blocks if isinstance(b, Heading) and b.level <= up_to]

    def tables(self) -> list[TableBlock]:
        """Every table block, in order."""
        return [b for b in self.blocks if isinstance(b, TableBlock)]

    def charts(self) -> list[Chart]:
        """Every chart block, in order."""
        return [b for b in self.blocks if isinstance(b, Chart)]
