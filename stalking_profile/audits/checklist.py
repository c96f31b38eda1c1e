"""The audit checklist: ordered items (key, question, guidance) and the answers, from a small TOML.

The items ship in ``data/audit_checklist.toml``; ``$STALKING_PROFILE_AUDIT_CHECKLIST`` names a
replacement. Every item is answered ``yes``, ``no`` or ``n/a``; a few spellings of each are accepted
(``y``, ``n``, ``na``, ``not applicable``, in any case).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from stalking_profile.errors import ConfigError, config_text, config_toml

__all__ = ["ANSWERS", "CHECKLIST_ENV", "RESERVED", "Checklist", "Item", "load_checklist", "parse_checklist",
           "resolve_answer"]

CHECKLIST_ENV = "STALKING_PROFILE_AUDIT_CHECKLIST"
#: The stored answers, in the order the workbook's dropdown offers them.
ANSWERS = ("yes", "no", "n/a")
_SYNONYMS = {"YES": "yes", "Y": "yes", "NO": "no", "N": "no", "NA": "n/a", "NOTAPPLICABLE": "n/a"}
#: Column names an item key may not take: the workbook's other columns.
RESERVED = ("audit_id", "crime_ref", "district", "recorded_date", "domestic", "offence_code", "audited_date",
            "finding")


def resolve_answer(text: str | None) -> str | None:
    """The stored answer a spelling means (``yes``, ``no`` or ``n/a``), or None.

    Examples
    --------
    >>> [resolve_answer(t) for t in ("Y", "no", "N/A", "not applicable", "maybe", None)]
    ['yes', 'no', 'n/a', 'n/a', None, None]
    """
    if text is None:
        return None
    return _SYNONYMS.get(re.sub(r"[^A-Z]", "", text.upper()))


@dataclass(frozen=True)
class Item:
    """One checklist item: its stored key, the question the auditor answers and what it means."""

    key: str
    question: str
    guidance: str


@dataclass(frozen=True)
class Checklist:
    """The configured items (file order) and the file they came from."""

    items: tuple[Item, ...]
    source: str

    @property
    def keys(self) -> tuple[str, ...]:
        """The item keys, in file order."""
        return tuple(i.key for i in self.items)

    def question(self, key: str) -> str:
        """The question of the item ``key``."""
        return next(i.question for i in self.items if i.key == key)


def _item(entry: object, source: str, seen: set[str]) -> Item:
    key, question, guidance = (entry.get(k) for k in ("key", "question", "guidance")) if isinstance(entry, dict) \
        else (None, None, None)
    guidance = "" if guidance is None else guidance
    if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", key) or not isinstance(question, str) \
            or not question.strip() or not isinstance(guidance, str):
        raise ConfigError(f"audit checklist {source}: an item lacks a key (lower-case letters, digits, _) or a "
                          "question, or has guidance that is not text",
                          'give each [[items]] key = "...", question = "..." and optionally guidance = "..."')
    if key in seen:
        raise ConfigError(f"audit checklist {source}: item '{key}' is listed twice", "give each item its own key")
    if key in RESERVED:
        raise ConfigError(f"audit checklist {source}: item key '{key}' is a column of the workbook already",
                          f"choose a key other than {', '.join(RESERVED)}")
    seen.add(key)
    return Item(key, question.strip(), guidance.strip())


def parse_checklist(text: str, source: str) -> Checklist:
    """The checklist from TOML ``text``; a :class:`ConfigError` names what is wrong.

    Examples
    --------
    >>> c = parse_checklist('[[items]]\\nkey = "a"\\nquestion = "A was done"\\n', "x.toml")
    >>> c.keys, c.question("a"), c.items[0].guidance
    (('a',), 'A was done', '')
    """
    data = config_toml(text, source, "audit checklist")
    entries = data.get("items")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"audit checklist {source} lists no items",
                          "add [[items]] tables, each with a key and a question")
    seen: set[str] = set()
    return Checklist(tuple(_item(e, source, seen) for e in entries), source)


def load_checklist(path: str | None = None) -> Checklist:
    """The checklist from ``path``, ``$STALKING_PROFILE_AUDIT_CHECKLIST`` or the shipped file.

    Examples
    --------
    >>> load_checklist().keys[:3]
    ('risk_form', 'sdash', 'cumulative_risk')
    """
    return _load(path or os.environ.get(CHECKLIST_ENV) or None)


@lru_cache(maxsize=8)
def _load(path: str | None) -> Checklist:
    return parse_checklist(*config_text(path, "audit checklist", f"${CHECKLIST_ENV}", "data/audit_checklist.toml"))
