"""Small-count suppression with secondary suppression, and the audit that proves it holds.

*Primary* suppression hides every count from 1 to ``threshold - 1``. *Secondary* suppression
then hides further counts until no hidden count can be worked out from what is published: not
from one sum (a total minus the other rows), not from several sums together (a district's
domestic cell through the Force column and the All row), and not with what a reader knows of
the bounds (a hidden primary count is between 1 and ``threshold - 1``, a hidden secondary one is
``threshold`` or more, and nothing is negative).

The audit, :func:`recoverable`, solves that question exactly for the linear system of the
output: a hidden count is *recoverable* when the sums and bounds leave it only one whole-number
value. It first checks the equations alone (the null space of the hidden part of the system:
a count outside every null-space direction is fixed), then the bounds by linear programming
(the smallest and largest value the count can take). Secondary cells are chosen greedily: in a
sum that fixes a hidden count, a published count of at least ``threshold`` that is not a total,
preferring one that shares sums with other hidden counts (it closes a cycle) and then the
smallest; deterministic on ties.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import qr

from stalking_profile.disclosure.cells import CellSystem, Key

__all__ = ["Protection", "protect", "recoverable"]

_TOL = 1e-7


@dataclass(frozen=True)
class Protection:
    """What was hidden: primary and secondary counts, and derived figures withheld."""

    threshold: int
    primary: frozenset[Key]
    secondary: frozenset[Key]
    withheld: frozenset[tuple[str, int, str]]

    @property
    def suppressed(self) -> frozenset[Key]:
        return self.primary | self.secondary


class _System:
    """The relations as equations over the keys, split into what a reader knows and does not."""

    def __init__(self, system: CellSystem) -> None:
        self.published = system.values()
        self.values = {**system.known, **self.published}  # what a reader knows
        self.relations = [(p, c) for p, c in system.relations() if c]
        keys: set[Key] = set(self.values)
        for parent, children in self.relations:
            keys.add(parent)
            keys.update(children)
        self.keys = sorted(keys)
        self.member: dict[Key, list[int]] = {k: [] for k in self.keys}
        for r, (parent, children) in enumerate(self.relations):
            for k in (parent, *children):
                self.member[k].append(r)
        self.parent_of = {k: sum(1 for r in self.member[k] if self.relations[r][0] == k) for k in self.keys}
        self.headline = system.headline

    def terms(self, r: int) -> list[tuple[Key, int]]:
        parent, children = self.relations[r]
        return [(parent, 1), *((c, -1) for c in children)]

    def components(self, unknown: set[Key]) -> list[tuple[list[Key], list[int]]]:
        """Groups of unknown keys tied together by relations, with the relations that touch them."""
        parent = {k: k for k in unknown}

        def find(k: Key) -> Key:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for r in range(len(self.relations)):
            members = [k for k, _ in self.terms(r) if k in unknown]
            for other in members[1:]:
                a, b = find(members[0]), find(other)
                if a != b:
                    parent[a] = b
        groups: dict[Key, list[Key]] = {}
        for k in sorted(unknown):
            groups.setdefault(find(k), []).append(k)
        out = []
        for members in groups.values():
            rows = sorted({r for k in members for r in self.member[k]})
            out.append((members, rows))
        return out


def _bounds(k: Key, primary: set[Key], secondary: set[Key], values: dict[Key, int], threshold: int) -> tuple[
        float, float | None]:
    if k in primary:
        return 1.0, float(threshold - 1)
    if k in secondary:
        return (float(threshold), None) if values[k] >= threshold else (0.0, None)
    return 0.0, None  # latent: never published, only known not to be negative


def _pinned_by_bounds(a: np.ndarray, b: np.ndarray, bounds: list[tuple[float, float | None]],
                      candidates: list[int]) -> list[int]:
    """The columns among ``candidates`` that ``a x = b`` and the bounds leave one whole number.

    One HiGHS model is solved for the smallest and largest value of each candidate, warm-started
    from the last basis; every solution found also widens the seen range of every other column, and
    a column already seen at two whole numbers apart needs no solve of its own.
    """
    import highspy

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    n = a.shape[1]
    h.addVars(n, np.array([lo for lo, _ in bounds]), np.array([inf if hi is None else hi for _, hi in bounds]))
    for i in range(a.shape[0]):
        cols = np.flatnonzero(a[i])
        h.addRow(float(b[i]), float(b[i]), len(cols), cols.astype(np.int32), a[i, cols])
    seen_low, seen_high = np.full(n, np.inf), np.full(n, -np.inf)
    pinned = []
    previous: int | None = None
    for col in candidates:
        if seen_high[col] - seen_low[col] >= 1 and \
                math.floor(seen_high[col] + _TOL) - math.ceil(seen_low[col] - _TOL) >= 1:
            continue  # already seen at two whole numbers
        if previous is not None:
            h.changeColCost(previous, 0.0)
        h.changeColCost(col, 1.0)
        previous = col
        ends = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            h.changeObjectiveSense(sense)
            h.run()
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kUnbounded:  # no limit that way: it cannot be pinned
                ends.append(math.inf if sense == highspy.ObjSense.kMaximize else -math.inf)
                continue
            if status != highspy.HighsModelStatus.kOptimal:
                raise AssertionError(f"disclosure audit: the published figures are inconsistent ({status})")
            x = np.asarray(h.getSolution().col_value)
            np.minimum(seen_low, x, out=seen_low)
            np.maximum(seen_high, x, out=seen_high)
            ends.append(x[col])
        if ends[1] - ends[0] < 1 or (math.isfinite(ends[1] - ends[0])
                                     and math.floor(ends[1] + _TOL) - math.ceil(ends[0] - _TOL) < 1):
            pinned.append(col)
    return pinned


def _moving(a: np.ndarray, hidden: list[bool]) -> np.ndarray:
    """Which columns of ``a x = b`` are not fixed by the equations (some null-space direction moves them).

    A latent column in one equation only makes that equation say nothing about the others, so both
    are set aside first (repeatedly): the null space is then taken of a much smaller matrix.
    """
    n = a.shape[1]
    moving = np.ones(n, bool)
    rows, cols = np.ones(a.shape[0], bool), np.ones(n, bool)
    nonzero = a != 0
    while True:
        degree = nonzero[rows].sum(axis=0)
        loose = np.flatnonzero(cols & (degree == 1) & ~np.asarray(hidden, bool))
        if loose.size == 0:
            break
        for c in loose:
            if not cols[c]:
                continue
            (row,) = np.flatnonzero(rows & nonzero[:, c])[:1] if (rows & nonzero[:, c]).any() else (None,)
            cols[c] = False
            if row is not None:
                rows[row] = False
    keep = np.flatnonzero(cols)
    sub = a[np.ix_(np.flatnonzero(rows), keep)]
    if sub.shape[0] == 0 or keep.size == 0:
        return moving
    # a column is fixed when its unit vector lies in the row space of the equations: its projection
    # onto an orthonormal basis of that space (rank-revealing QR of the transpose) has length one
    q, r, _ = qr(sub.T, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int((diagonal > 1e-9 * max(1.0, float(diagonal[0]) if diagonal.size else 1.0)).sum())
    reach = (q[:, :rank] ** 2).sum(axis=1)
    moving[keep] = reach < 1 - 1e-9
    return moving


def _component_recoverable(
    s: _System, members: list[Key], rows: list[int], primary: set[Key], secondary: set[Key], threshold: int,
    with_bounds: bool,
) -> list[Key]:
    # a hidden zero (used only when nothing else could protect a count) may be worked out: zeros are shown anyway
    hidden = [k for k in members if k in primary or (k in secondary and s.values[k] > 0)]
    if not hidden:
        return []
    col = {k: i for i, k in enumerate(members)}
    a = np.zeros((len(rows), len(members)))
    b = np.zeros(len(rows))
    for i, r in enumerate(rows):
        for k, coef in s.terms(r):
            if k in col:
                a[i, col[k]] += coef
            else:
                b[i] -= coef * s.values[k]
    moving = _moving(a, [k in primary or k in secondary for k in members])
    found = [k for k in hidden if not moving[col[k]]]
    if found or not with_bounds:
        return found
    bounds = [_bounds(k, primary, secondary, s.values, threshold) for k in members]
    return [members[c] for c in _pinned_by_bounds(a, b, bounds, [col[k] for k in hidden])]


def recoverable(system: CellSystem, primary: Iterable[Key], secondary: Iterable[Key], threshold: int) -> list[Key]:
    """The hidden counts that what is published pins to one whole number (empty = safe). A zero
    hidden as a secondary cell is not counted: zeros are published anyway.

    Examples
    --------
    >>> from stalking_profile.disclosure.cells import key
    >>> s = CellSystem()
    >>> total, a, b = key(m="c"), key(m="c", d="A"), key(m="c", d="B")
    >>> for k, v in ((total, 9), (a, 3), (b, 6)):
    ...     s.add("t", 0, "x", k, v)
    >>> s.relate(total, (a, b))
    >>> recoverable(s, {a}, set(), 5) == [a]  # 9 - 6
    True
    >>> recoverable(s, {a}, {b}, 5)  # 9 = A + B with A in 1..4 and B 5 or more: A could be 1 to 4
    []
    """
    groups = _exposed(_System(system), set(primary), set(secondary), threshold, {}, with_bounds=True)
    return sorted(k for group in groups for k in group)


_Cache = dict[tuple[frozenset[Key], frozenset[Key], bool], list[Key]]


def _exposed(s: _System, primary: set[Key], secondary: set[Key], threshold: int, cache: _Cache,
             with_bounds: bool) -> list[list[Key]]:
    """The recoverable hidden counts, grouped by the component of the system they sit in."""
    unknown = {k for k in s.keys if k not in s.values} | primary | secondary
    groups: list[list[Key]] = []
    for members, rows in s.components(unknown):
        signature = (frozenset(members), frozenset(k for k in members if k in primary or k in secondary), with_bounds)
        if signature not in cache:
            cache[signature] = _component_recoverable(s, members, rows, primary, secondary, threshold, with_bounds)
        if cache[signature]:
            groups.append(sorted(cache[signature]))
    return groups


def _best(s: _System, candidates: set[Key], hidden: set[Key], threshold: int) -> Key:
    """The candidate cheapest to hide: not a headline figure (the volumes table), unless nothing
    else will do; not below the threshold; the total of fewer sums (hiding a
    headline total costs most); sitting in sums with other hidden counts (it closes a cycle); the
    smallest; deterministic on ties."""
    def cost(k: Key) -> tuple[bool, bool, int, int, int, Key]:
        shared = sum(1 for r in s.member[k] if any(o in hidden for o, _ in s.terms(r)))
        return (k in s.headline, s.values[k] < threshold, s.parent_of[k], -shared, s.values[k], k)

    return min(candidates, key=cost)


def _complement(s: _System, target: Key, hidden: set[Key], threshold: int) -> Key | None:
    """The published count to hide next to protect ``target``: in the sums containing it, then in
    sums reaching it through other hidden or latent counts."""
    frontier, seen_rows, seen = [target], set(), {target}
    candidates: set[Key]
    kept_back: set[Key] = set()  # headline figures and zeros: hidden only when nothing else is within reach
    while frontier:
        candidates = set()
        nxt = []
        for k in frontier:
            for r in s.member[k]:
                if r in seen_rows:
                    continue
                seen_rows.add(r)
                for other, _ in s.terms(r):
                    if other in s.published and other not in hidden:
                        last_resort = other in s.headline or s.values[other] == 0
                        (kept_back if last_resort else candidates).add(other)
                    elif other not in seen:
                        seen.add(other)
                        nxt.append(other)
        if candidates:
            return _best(s, candidates, hidden, threshold)
        frontier = nxt
    return _best(s, kept_back, hidden, threshold) if kept_back else None


def _explained(s: _System, r: int, reason: dict[Key, int], hidden: set[Key]) -> set[Key]:
    """The published counts that reveal the other members of sum ``r``: its own, and those of the
    sums that revealed its latent members (followed back)."""
    found: set[Key] = set()
    rows, seen = [r], {r}
    while rows:
        row = rows.pop()
        for k, _ in s.terms(row):
            if k in s.published and k not in hidden:
                found.add(k)
            elif k in reason and reason[k] not in seen:
                seen.add(reason[k])
                rows.append(reason[k])
    return found


def _propagate(s: _System, primary: set[Key], secondary: set[Key], threshold: int) -> None:
    """The quick pass: follow sums with one unknown member. A latent count so found becomes known
    (remembering the sum that gave it away); a hidden count so found gets a complement hidden in
    that sum or in the sums that revealed its latent members. Adds to ``secondary`` in place; what
    it leaves is checked exactly afterwards."""
    while True:
        hidden = primary | secondary
        known = {k for k in s.values if k not in hidden}
        reason: dict[Key, int] = {}
        pending = list(range(len(s.relations)))
        restart = False
        while pending and not restart:
            r = pending.pop()
            open_ = [k for k, _ in s.terms(r) if k not in known]
            if len(open_) != 1:
                continue
            (k,) = open_
            if k in hidden and (k in primary or s.values[k] > 0):
                candidates = _explained(s, r, reason, hidden)
                if not candidates:
                    continue  # left for the exact check to report
                extra = _best(s, candidates, hidden, threshold)
                if extra in s.headline or s.values[extra] == 0:  # look further afield first
                    extra = _complement(s, k, hidden, threshold) or extra
                secondary.add(extra)
                hidden.add(extra)
                known.discard(extra)
                # what was worked out from it no longer holds: start again
                restart = any(any(m == extra for m, _ in s.terms(row)) for row in set(reason.values()))
                pending.extend(s.member[extra])
            else:
                known.add(k)  # a latent or hidden zero that this sum gives away
                reason[k] = r
                pending.extend(s.member[k])
        if not restart:
            return


def protect(system: CellSystem, threshold: int = 5) -> Protection:
    """Hide counts from 1 to ``threshold - 1`` and enough others that none can be recovered."""
    if threshold < 2:
        raise ValueError("the suppression threshold must be 2 or more")
    s = _System(system)
    primary = {k for k, v in s.published.items() if 1 <= v < threshold}
    secondary: set[Key] = set()
    cache: _Cache = {}
    while True:  # single sums first (fast), then the equations together, then with the bounds a reader knows
        _propagate(s, primary, secondary, threshold)
        exposed = (_exposed(s, primary, secondary, threshold, cache, with_bounds=False)
                   or _exposed(s, primary, secondary, threshold, cache, with_bounds=True))
        if not exposed:
            break
        for group in exposed:  # one complement per component a round: one often protects several
            # primary counts first, the smallest first: they are the ones that matter
            k = min(group, key=lambda k: (k not in primary, s.values[k], k))
            extra = _complement(s, k, primary | secondary, threshold)
            if extra is None:
                raise AssertionError(f"disclosure: nothing left to hide to protect {k}")
            secondary.add(extra)
    hidden = primary | secondary
    withheld = frozenset((d.table, d.row, d.column) for d in system.derived
                         if any(k in hidden or k not in s.values for k in d.inputs))
    return Protection(threshold, frozenset(primary), frozenset(secondary), withheld)
