"""Technology in MO text: an explainable detector for the cyber-enabled audit.

A text is split into clauses (at sentence ends and at contrastive words such as "but"). In each
clause every lexicon term is found on word boundaries; a mention then counts unless

- it is **negated**: a negation cue ("no", "not", "hasn't", "denies" ...) comes before it in the
  clause, within the lexicon's window, or a cue such as "nil" follows it ("S/M contact: nil");
- it is **someone else's use**: an own-use verb near it ("recorded", "rang", "blocked" ...) has as
  its subject the victim, the police or a third party ("Victim recorded him on her phone");
- it is **damage to a device**: "smashed her phone" is not use of the phone.

- it is **not technology** in its phrase ("by post", "phone repair shop", "chalked messages").

A text is *detected* when at least one mention counts and not every counted mention is a device
named alone (the lexicon's ``devices_alone``: "mobile phone seized" says a device exists, not that
it was used to offend); the counted mentions (as written) and their categories are returned, so
every decision can be checked by a reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from stalking_profile.online.lexicon import Lexicon, load_lexicon

__all__ = ["Detection", "detect", "detect_many"]

_SENTENCE = re.compile(r"[.;!?\n]+(?=\s|$)|\n")
_WORD = re.compile(r"[\w'/]+")
_SUSPECT = re.compile(
    r"(?<![\w'])(?:suspects?|susp|offenders?|off|accused|ap|alleged perpetrator|he|his ex|her ex|ex|ex-?p|"
    r"ex-?partner|ex-?husband|ex-?wife|ex-?b/f|ex-?g/f|husband|wife|boyfriend|girlfriend|b/f|g/f|(?:unknown )?male|"
    r"(?:unknown )?female|man|woman|client|customer|neighbour|colleague)(?![\w'/-])", re.IGNORECASE)
_OBJECT = re.compile(r"(?:^|\s)(?:of|to|from|with|for|by|at|on|towards|about|into)(?:\s+\w+)?\s+$", re.IGNORECASE)
_PASSIVE = re.compile(r"(?:was|were|been|being|is|are|gets?|got)\s+$", re.IGNORECASE)
_DEVICE = re.compile(r"(?:phones?|mobiles?|laptops?|computers?|i ?pads?|tablets?|devices?|sim cards?)$", re.IGNORECASE)


@dataclass(frozen=True)
class Detection:
    """Whether a text shows technology used in the offending, and why."""

    detected: bool
    terms: tuple[str, ...] = ()  # counted mentions as written, lower case, in order of first appearance
    categories: tuple[str, ...] = ()  # their lexicon categories, in lexicon order


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    text: str
    category: int


def _words_between(text: str, start: int, end: int) -> int:
    return len(_WORD.findall(text[start:end])) if end > start else 0


def _clauses(text: str, lexicon: Lexicon) -> list[str]:
    clauses = []
    for sentence in _SENTENCE.split(text):
        last = 0
        for m in lexicon.scope_breaker.finditer(sentence):
            clauses.append(sentence[last:m.start()])
            last = m.end()
        clauses.append(sentence[last:])
    return [c for c in clauses if c.strip()]


def _hits(clause: str, lexicon: Lexicon) -> list[_Hit]:
    if lexicon.any_term is not None and lexicon.any_term.search(clause) is None:
        return []  # the union of every category's terms finds nothing, so no category can
    found = [_Hit(m.start(), m.end(), m.group(0), i)
             for i, cat in enumerate(lexicon.categories) for m in cat.pattern.finditer(clause)]
    found.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[_Hit] = []
    for hit in found:  # overlapping mentions: the earliest, then longest, wins
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def _negated(clause: str, hit: _Hit, lexicon: Lexicon) -> bool:
    if lexicon.hypothetical.search(clause, 0, hit.start):
        return True
    for cue in lexicon.negation.finditer(clause, 0, hit.start):
        if _words_between(clause, cue.end(), hit.start) <= lexicon.negation_window:
            exception = lexicon.negation_exception.match(clause, cue.start())
            if exception is None:
                return True
    after = lexicon.negation_after.search(clause, hit.end)
    return after is not None and _words_between(clause, hit.end, after.start()) <= lexicon.after_window


def _damaged(clause: str, hit: _Hit, lexicon: Lexicon) -> bool:
    if not _DEVICE.search(hit.text):
        return False
    return any(_words_between(clause, m.end(), hit.start) <= lexicon.damage_window
               for m in lexicon.damage.finditer(clause, 0, hit.start))


def _actors(clause: str, before: int, lexicon: Lexicon, possessive: bool) -> list[tuple[int, int, str]]:
    """Actor words before ``before``: (start, end, ``other`` or ``suspect``), in text order."""
    found = [(m.start(), m.end(), kind) for kind, pattern in (("other", lexicon.other_actor), ("suspect", _SUSPECT))
             for m in pattern.finditer(clause, 0, before)
             if (possessive or not m.group(0).lower().endswith("'s"))
             and not _OBJECT.search(clause, max(0, m.start() - 30), m.start())]  # "carer of VIC": not a subject
    return sorted(found)


def _subject(clause: str, before: int, lexicon: Lexicon, possessive: bool = False) -> str | None:
    """``other``, ``suspect`` or None: who does what starts at ``before``. The nearest actor a few
    words before it (not across a comma), else the actor that opens the clause."""
    actors = _actors(clause, before, lexicon, possessive)
    for _start, end, kind in reversed(actors):
        gap = clause[end:before]
        if _words_between(clause, end, before) <= 4 and "," not in gap:
            return kind
    if actors and _words_between(clause, 0, actors[0][0]) <= 2:
        return actors[0][2]
    return None


def _others_use(clause: str, hit: _Hit, lexicon: Lexicon) -> bool:
    """The term is the act, or the object, of someone other than the suspect ("OIC emailed the
    victim", "Victim recorded him on her phone", "her doorbell camera captured him")."""
    verbs = [v for v in lexicon.own_use.finditer(clause, 0, hit.end)
             if v.start() <= hit.start and _words_between(clause, v.end(), hit.start) <= 8]
    if verbs:  # the nearest verb before the term governs it ("After IP blocked him, SUSP messaged her")
        verb = verbs[-1]
        passive = _PASSIVE.search(clause, 0, verb.start())  # "victim was contacted": done to her, not by her
        if not passive and _subject(clause, verb.start(), lexicon) == "other":
            return True
    for verb in lexicon.evidence_verb.finditer(clause, hit.end):
        if _words_between(clause, hit.end, verb.start()) <= 4 and \
                _subject(clause, hit.start, lexicon, possessive=True) == "other":
            return True
    return False


class _NotTechnology:
    """The clause's not-technology phrases ("by post", "phone repair shop"), found once, when first asked."""

    def __init__(self, clause: str, lexicon: Lexicon) -> None:
        self.clause, self.pattern = clause, lexicon.not_technology
        self.spans: list[tuple[int, int]] | None = None

    def covers(self, hit: _Hit) -> bool:
        if self.spans is None:
            self.spans = [m.span() for m in self.pattern.finditer(self.clause)]
        return any(start <= hit.start and hit.end <= end for start, end in self.spans)


def detect(text: str | None, lexicon: Lexicon | None = None) -> Detection:
    """Technology used by the suspect in one MO text.

    Examples
    --------
    >>> detect("Ex-partner has sent 40 WhatsApp messages and set up a fake Instagram account.").terms
    ('whatsapp', 'messages', 'fake instagram account')
    >>> detect("No social media contact reported. Suspect follows her home.").detected
    False
    >>> detect("Victim recorded the incident on her phone.").detected
    False
    >>> detect("No texts but he has rung her 40 times.").terms
    ('rung',)
    """
    if not text or not text.strip():
        return Detection(False)
    lexicon = lexicon or load_lexicon()
    normal = text.replace("\u2019", "'").replace("\u2018", "'")
    terms: list[str] = []
    categories: set[int] = set()
    for clause in _clauses(normal, lexicon):
        not_technology = _NotTechnology(clause, lexicon)
        for hit in _hits(clause, lexicon):
            if (_negated(clause, hit, lexicon) or _damaged(clause, hit, lexicon) or _others_use(clause, hit, lexicon)
                    or not_technology.covers(hit)):
                continue
            term = " ".join(hit.text.lower().split())
            if term not in terms:
                terms.append(term)
            categories.add(hit.category)
    if not terms or (lexicon.devices_alone is not None and all(lexicon.devices_alone.fullmatch(t) for t in terms)):
        return Detection(False)  # nothing, or only devices named: one exists, not that it was used to offend
    names = tuple(lexicon.categories[i].name for i in sorted(categories))
    return Detection(True, tuple(terms), names)


def detect_many(texts: Iterable[str | None], lexicon: Lexicon | None = None) -> pa.Table:
    """Detections for many texts, as a table with ``detected``, ``terms`` and ``categories``
    (``;``-separated). Repeated texts are examined once."""
    lexicon = lexicon or load_lexicon()
    seen: dict[str | None, Detection] = {}
    rows = []
    for text in texts:
        found = seen.get(text)
        if found is None:
            found = seen[text] = detect(text, lexicon)
        rows.append(found)
    return pa.table({
        "detected": pa.array([d.detected for d in rows], pa.bool_()),
        "terms": pa.array(["; ".join(d.terms) for d in rows], pa.string()),
        "categories": pa.array(["; ".join(d.categories) for d in rows], pa.string()),
    })
