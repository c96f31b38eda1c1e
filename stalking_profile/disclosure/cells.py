"""The figures of an output as one system: counts, the sums that tie them together, and derived figures.

Every published count is a *cell* named by a :data:`Key`: the set of ``(dimension, value)``
pairs that say which crimes or people it counts (``measure=crimes, window=current,
district=BD, domestic=Domestic``). A dimension left out means "all of them", so the Force
total of a column is the key without ``district``, and the ``All`` row the key without
``domestic``. The same key in two tables is the same number: suppressing it in one suppresses
it everywhere.

A *relation* says a parent equals the sum of its children (Force = sum of districts, All =
Domestic + Non-Domestic, Totals = sum of outcome rows). Relations come from the dimensions that
add up (:class:`Dimension`) and from tables that state their own (months of a rolling total).
A child that is never published is *latent*: unknown to a reader, but possibly derivable.
A *derived figure* (a rate, a change %, an interval, a p-value) is computed from cells and is
withheld whenever one of them is suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Cell", "CellSystem", "Derived", "Dimension", "Key", "key", "with_value", "without"]

#: A cell's name: sorted ``(dimension, value)`` pairs.
Key = tuple[tuple[str, str], ...]


def key(**parts: str | None) -> Key:
    """A key from keyword parts; ``None`` parts are left out (meaning "all").

    Examples
    --------
    >>> key(measure="crimes", district="BD", domestic=None)
    (('district', 'BD'), ('measure', 'crimes'))
    """
    return tuple(sorted((k, v) for k, v in parts.items() if v is not None))


def without(k: Key, dimension: str) -> Key:
    """``k`` summed over ``dimension``."""
    return tuple(p for p in k if p[0] != dimension)


def with_value(k: Key, dimension: str, value: str) -> Key:
    """``k`` with ``dimension`` set to ``value``."""
    return tuple(sorted((*without(k, dimension), (dimension, value))))


@dataclass(frozen=True)
class Dimension:
    """A dimension whose values add up to the total without it.

    ``values`` is the complete list. ``known_zero``: a value that no table publishes is known
    to be zero (outcome labels: a label not listed had no crimes); otherwise it is latent (the
    crimes *not* arrested are never shown, but follow from crimes and arrested). ``measures``
    limits the addition to some measures (people are not additive across domestic: one person
    can be in both).
    """

    name: str
    values: tuple[str, ...]
    known_zero: bool = False
    measures: tuple[str, ...] | None = None

    def adds_up(self, k: Key) -> bool:
        measure = dict(k).get("measure", "")
        return self.measures is None or measure in self.measures


@dataclass(frozen=True)
class Cell:
    """A published count: where it is (table, row, column), what it counts and its value."""

    table: str
    row: int
    column: str
    key: Key
    value: int


@dataclass(frozen=True)
class Derived:
    """A published figure computed from the counts named by ``inputs``."""

    table: str
    row: int
    column: str
    inputs: tuple[Key, ...]


@dataclass
class CellSystem:
    """All the counts and derived figures of one output, and the relations between them."""

    cells: list[Cell] = field(default_factory=list)
    derived: list[Derived] = field(default_factory=list)
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    explicit: list[tuple[Key, tuple[Key, ...]]] = field(default_factory=list)
    known: dict[Key, int] = field(default_factory=dict)
    headline: set[Key] = field(default_factory=set)  # hidden only as a last resort

    def add(self, table: str, row: int, column: str, k: Key, value: int | None) -> None:
        """Publish ``value`` (skipped when None: the cell is blank) as cell ``k``."""
        if value is not None:
            self.cells.append(Cell(table, row, column, k, int(value)))

    def figure(self, table: str, row: int, column: str, *inputs: Key) -> None:
        """A derived figure in (table, row, column) computed from ``inputs``."""
        self.derived.append(Derived(table, row, column, tuple(inputs)))

    def know(self, k: Key, value: int) -> None:
        """A figure a reader can work out although no table shows it (never suppressed)."""
        self.known[k] = int(value)

    def relate(self, parent: Key, children: Iterable[Key]) -> None:
        """State that ``parent`` is the sum of ``children``."""
        self.explicit.append((parent, tuple(children)))

    def dimension(self, dim: Dimension) -> None:
        """Declare an additive dimension (merging values with an earlier declaration)."""
        old = self.dimensions.get(dim.name)
        if old is not None:
            dim = Dimension(dim.name, tuple(dict.fromkeys((*old.values, *dim.values))), dim.known_zero, dim.measures)
        self.dimensions[dim.name] = dim

    def values(self) -> dict[Key, int]:
        """Each published key's value; a key published twice with two values is a bug in a layout."""
        found: dict[Key, int] = {}
        for c in self.cells:
            if found.setdefault(c.key, c.value) != c.value:
                raise AssertionError(f"cell {c.key} published as {found[c.key]} and {c.value} ({c.table}.{c.column})")
        return found

    def relations(self) -> list[tuple[Key, tuple[Key, ...]]]:
        """Every relation: the explicit ones and those of the additive dimensions, closed upward
        from the published keys (a parent's own parents are related too)."""
        published = {**self.known, **self.values()}
        related: dict[tuple[Key, str], tuple[Key, ...]] = {}
        stated = [k for parent, children in self.explicit for k in (parent, *children)]
        seen = set(published) | set(stated)
        queue = sorted(seen)
        while queue:
            k = queue.pop()
            for name, value in k:
                dim = self.dimensions.get(name)
                if dim is None or value not in dim.values or not dim.adds_up(k) or (without(k, name), name) in related:
                    continue
                if dim.known_zero and k not in published:  # the children are the published ones: k is not among them
                    continue
                parent = without(k, name)
                children = tuple(with_value(k, name, v) for v in dim.values
                                 if not (dim.known_zero and with_value(k, name, v) not in published))
                related[(parent, name)] = children
                for x in (parent, *children):
                    if x not in seen:
                        seen.add(x)
                        queue.append(x)
        return [*dict.fromkeys(self.explicit), *((p, c) for (p, _), c in related.items())]
