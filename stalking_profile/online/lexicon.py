"""The technology lexicon: categories of terms and the context rules, from a TOML file.

The default ships in ``data/technology.toml``; ``$STALKING_PROFILE_LEXICON`` or ``--lexicon``
names another file. Every term is compiled on load, so a bad pattern is reported with its
category before any text is read.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stalking_profile.errors import ConfigError, config_text, config_toml

__all__ = ["LEXICON_ENV", "Category", "Lexicon", "load_lexicon", "parse_lexicon"]

LEXICON_ENV = "STALKING_PROFILE_LEXICON"


def _alternation(terms: list[str] | tuple[str, ...]) -> str:
    # Longest first, so "voice mail" wins over "voice" where both could match at one place.
    return "|".join(f"(?:{t})" for t in sorted(terms, key=len, reverse=True))


def _bounded(terms: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    r"""One pattern matching any term as whole words (no letter, digit or ``'`` either side):
    :func:`_alternation`, with each word start sent to the terms that can begin with its letter
    (:func:`_dispatched`): the same matches, found without trying every term at every word.

    Examples
    --------
    >>> p = _bounded(["texts?", "text(?:ed|ing)", r"\w+\.com", "(?:face|snap)book"])
    >>> [m.group(0) for m in p.finditer("Texted her, then texts on example.com; not facebooked")]
    ['Texted', 'texts', 'example.com']
    """
    return re.compile(rf"(?<![\w/])(?<!\w')(?:{_dispatched(terms)})(?![\w/]|'\w)", re.IGNORECASE)


def _first_letter(term: str) -> str | None:
    """The letter or digit (lower case) every match of ``term`` begins with, or None when that is
    not plain from its text (a group, a class, a quantified first letter, a top-level ``|``)."""
    first = term[:1].lower()
    if first.isascii() and first.isalnum() and term[1:2] not in ("?", "*", "+", "{") and not _top_level_bar(term):
        return first
    return None


def _dispatched(terms: list[str] | tuple[str, ...]) -> str:
    """:func:`_alternation` of ``terms`` as one group per first letter, each holding, in the same
    order, the terms that begin with that letter and those that may begin with any character; then
    those last on their own. A term opening with a group of alternatives counts as one term per
    alternative, in its place (:func:`_opening_alternatives`). At any place, the terms tried and
    their order are those of :func:`_alternation` less the terms that cannot begin there: the same
    match, found without trying every term at every word."""
    if any(_groups(t) for t in terms):  # copies of a group would be defined twice and numbered anew
        return _alternation(terms)
    ordered = [each for whole in sorted(terms, key=len, reverse=True) for each in _opening_alternatives(whole)]
    firsts = [_first_letter(t) for t in ordered]
    groups = []
    for letter in sorted({f for f in firsts if f is not None}):
        these = [t for t, f in zip(ordered, firsts, strict=True) if f in (letter, None)]
        groups.append(f"(?={re.escape(letter)})(?:{'|'.join(f'(?:{t})' for t in these)})")
    anywhere = [t for t, f in zip(ordered, firsts, strict=True) if f is None]
    if anywhere:
        groups.append("|".join(f"(?:{t})" for t in anywhere))
    return "|".join(groups)


def _top_level(term: str) -> Iterator[tuple[int, str, int]]:
    """``(index, character, depth)`` for each character of ``term`` outside any character class
    and not escaped, ``depth`` being the groups open before it."""
    depth, in_class, escaped, opened = 0, False, False, 0
    for k, ch in enumerate(term):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]" or k == opened  # a "]" first in a class ("[]x]", "[^]x]") is itself
        elif ch == "[":
            in_class, opened = True, k + 1 + (term[k + 1:k + 2] == "^")
        else:
            if ch == ")":
                depth -= 1
            yield k, ch, depth
            if ch == "(":
                depth += 1


def _groups(term: str) -> int:
    """How many capturing groups ``term`` has (a term with none cannot refer back to one)."""
    return re.compile(term, re.IGNORECASE).groups


def _top_level_bar(term: str) -> bool:
    """Whether ``term`` has a ``|`` outside any group or character class ("a|b", not "(?:a|b)")."""
    return any(ch == "|" and depth == 0 for _, ch, depth in _top_level(term))


def _opening_alternatives(term: str) -> list[str]:
    """``term`` as the terms its opening group's alternatives make: ``(?:a|b)c`` is ``ac`` and
    ``bc``, and so on into each of them. A term that does not open with a plain group (``(?:``,
    no quantifier after it) is itself.

    Examples
    --------
    >>> _opening_alternatives("(?:x ?box|ps[345]) (?:chats?|party)")
    ['x ?box (?:chats?|party)', 'ps[345] (?:chats?|party)']
    >>> _opening_alternatives("(?:(?:air|apple) ?tag|tile)s? found")
    ['air ?tags? found', 'apple ?tags? found', 'tiles? found']
    >>> _opening_alternatives("(?:new )?(?:profiles?|accounts?)")  # the group is optional: left whole
    ['(?:new )?(?:profiles?|accounts?)']
    >>> _opening_alternatives("(?:x|a b)c|a"), _opening_alternatives("(?:[]|]x|y)z")
    (['(?:x|a b)c|a'], ['[]|]xz', 'yz'])
    >>> _opening_alternatives("(?:a|b)(c)")  # a capturing group: left whole
    ['(?:a|b)(c)']
    """
    if not term.startswith("(?:") or _top_level_bar(term) or _groups(term):
        return [term]  # "(?:a|b)c|d" is not "ac|d" and "bc|d"; a group copied would be defined twice
    cuts, end = [2], None
    for k, ch, depth in _top_level(term):
        if k > 0 and depth == 1 and ch == "|":
            cuts.append(k)
        elif depth == 0 and ch == ")":
            end = k
            break
    if end is None or term[end + 1:end + 2] in ("?", "*", "+", "{"):
        return [term]
    cuts.append(end)
    rest = term[end + 1:]
    return [expanded for a, b in itertools.pairwise(cuts) for expanded in _opening_alternatives(term[a + 1:b] + rest)]


def _any_term(terms: list[str]) -> re.Pattern[str]:
    """Whether any term occurs, for a quick first test: the same terms as :func:`_bounded`, grouped by
    their first letter so that a word start is tried against its letter's terms only (one big
    alternation was tried whole at every word, 80 us a text). A term opening with a group of
    alternatives is first made into one term per alternative (:func:`_opening_alternatives`), so
    that they too are grouped; terms that still do not start with a plain letter or digit (a
    class, a quantified first letter) are tried everywhere.

    Examples
    --------
    >>> p = _any_term(["texts?", "(?:air ?tag|tile)s?", "fb", "a+b", "x|y"])
    >>> [bool(p.search(t)) for t in ("sent texts", "an AirTag", "on FB", "aab", "y", "tex")]
    [True, True, True, True, True, False]
    """
    groups: dict[str, list[str]] = {}
    anywhere: list[str] = []
    for term in (each for whole in terms for each in _opening_alternatives(whole)):
        first = _first_letter(term)
        if first is None:
            anywhere.append(term)
        else:
            groups.setdefault(first, []).append(term)
    parts = [f"(?={re.escape(ch)})(?:{_alternation(ts)})" for ch, ts in sorted(groups.items())]
    if anywhere:
        parts.append(f"(?:{_alternation(anywhere)})")
    return re.compile(rf"(?<![\w/])(?<!\w')(?:{'|'.join(parts)})(?![\w/]|'\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Category:
    """A named kind of technology and the pattern matching its terms."""

    name: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Lexicon:
    """Term categories and the context rules that decide whether a mention counts."""

    source: str
    categories: tuple[Category, ...]
    negation: re.Pattern[str]
    negation_exception: re.Pattern[str]
    negation_window: int
    negation_after: re.Pattern[str]
    after_window: int
    hypothetical: re.Pattern[str]
    scope_breaker: re.Pattern[str]
    other_actor: re.Pattern[str]
    own_use: re.Pattern[str]
    evidence_verb: re.Pattern[str]
    not_technology: re.Pattern[str]
    evidence: re.Pattern[str]
    damage: re.Pattern[str]
    damage_window: int
    #: Any term of any category: a clause it does not find in has no mention at all (a quick first test).
    any_term: re.Pattern[str] | None = None
    #: Devices that, named alone, do not count (optional ``[context] devices_alone``).
    devices_alone: re.Pattern[str] | None = None


def _strings(value: Any, what: str, source: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{source}: {what} must be a non-empty list of strings",
                          "start from the shipped data/technology.toml")
    return value


def _compile(terms: list[str], what: str, source: str) -> re.Pattern[str]:
    for term in terms:
        try:
            re.compile(term)
        except re.error as exc:
            raise ConfigError(f"{source}: {what} term '{term}' is not a valid pattern ({exc})",
                              "fix the term; it is a Python regular expression matched on word boundaries") from exc
    return _together(_bounded, terms, what, source)


def _together(make: Callable[[list[str]], re.Pattern[str]], terms: list[str], what: str, source: str
              ) -> re.Pattern[str]:
    """``make(terms)``, each term valid alone; two terms naming the same group are not valid together."""
    try:
        return make(terms)
    except re.error as exc:
        raise ConfigError(f"{source}: the {what} terms are not a valid pattern together ({exc})",
                          "give no two terms a group of the same name, or use (?:...) groups") from exc


def parse_lexicon(text: str, source: str) -> Lexicon:
    """Parse a lexicon document.

    Examples
    --------
    >>> lexicon = load_lexicon()
    >>> [c.name for c in lexicon.categories][:3]
    ['social media', 'messaging', 'calls and texts']
    """
    data = config_toml(text, source)
    raw = data.get("category")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{source} has no [[category]] entries", "start from the shipped data/technology.toml")
    categories, every_term = [], []
    for entry in raw:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{source}: a [[category]] has no name", "give every category a name and terms")
        terms = _strings(entry.get("terms"), name, source)
        categories.append(Category(name, _compile(terms, name, source)))
        every_term += terms
    ctx = data.get("context")
    if not isinstance(ctx, dict):
        raise ConfigError(f"{source} has no [context] table", "start from the shipped data/technology.toml")

    def words(key: str) -> re.Pattern[str]:
        return _compile(_strings(ctx.get(key), f"[context] {key}", source), key, source)

    def number(key: str) -> int:
        value = ctx.get(key)
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{source}: [context] {key} must be a whole number of words, 1 or more",
                              f"set e.g. {key} = 5")
        return value

    return Lexicon(source, tuple(categories), words("negation_cues"), words("negation_exceptions"),
                   number("negation_window"),
                   words("negation_after"), number("after_window"), words("hypothetical_cues"), words("scope_breakers"),
                   words("other_actors"), words("own_use_verbs"), words("evidence_verbs"),
                   words("not_technology"), words("evidence_terms"), words("damage_verbs"),
                   number("damage_window"), _together(_any_term, every_term, "category", source),
                   words("devices_alone") if "devices_alone" in ctx else None)


def load_lexicon(path: str | None = None) -> Lexicon:
    """The lexicon from ``path``, ``$STALKING_PROFILE_LEXICON`` or the shipped default."""
    return _load(path or os.environ.get(LEXICON_ENV) or None)


@lru_cache(maxsize=4)
def _load(path: str | None) -> Lexicon:
    return parse_lexicon(*config_text(path, "technology lexicon", f"--lexicon or ${LEXICON_ENV}",
                                      "data/technology.toml"))
