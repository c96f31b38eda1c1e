"""Stratified sampling for dip-sample audits: the strata, the sample size per stratum and the draw.

A sample is stratified by the crime's domestic-abuse flag: ``Domestic``, ``Non-Domestic`` and, when
some crimes carry no flag, ``Unknown``. The sample size is shared out by one of two rules:

- ``equal`` (the default): the same number from every non-empty stratum, so DA and non-DA
  compliance are estimated with about the same precision however unequal the strata are. The
  remainder goes to the larger strata; a stratum smaller than its share is taken whole and its
  surplus shared among the others.
- ``proportional``: in proportion to the strata's sizes, by largest remainder, with at least one
  crime from every non-empty stratum when the size allows.

Within a stratum the crimes are ranked by the SHA-256 of ``"{seed}:{crime_ref}"`` and the first
are taken: the same seed and the same crimes give the same sample, whatever the engine or the
order the store returns rows in.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from fractions import Fraction

from stalking_profile.errors import ConfigError

__all__ = ["ALLOCATIONS", "STRATA", "allocate", "draw_key", "draw_order", "stratum_of"]

#: The strata, in output order.
STRATA = ("Domestic", "Non-Domestic", "Unknown")
#: The allocation rules.
ALLOCATIONS = ("equal", "proportional")


def stratum_of(domestic: bool | None) -> str:
    """The stratum of a crime with this domestic flag.

    Examples
    --------
    >>> stratum_of(True), stratum_of(False), stratum_of(None)
    ('Domestic', 'Non-Domestic', 'Unknown')
    """
    return "Unknown" if domestic is None else "Domestic" if domestic else "Non-Domestic"


def _larger_first(populations: Mapping[str, int], strata: Iterable[str]) -> list[str]:
    """Strata by population, largest first; ties in the order ``populations`` lists them."""
    order = list(populations)
    return sorted(strata, key=lambda s: (-populations[s], order.index(s)))


def _equal(populations: dict[str, int], size: int) -> dict[str, int]:
    shares: dict[str, int] = {}
    open_strata, left = list(populations), size
    while open_strata:
        base, extra = divmod(left, len(open_strata))
        bigger = set(_larger_first(populations, open_strata)[:extra])
        share = {s: base + (s in bigger) for s in open_strata}
        small = [s for s in open_strata if populations[s] <= share[s]]
        if not small:
            shares.update(share)
            break
        for s in small:  # taken whole: what is left is shared again among the others
            shares[s] = populations[s]
            left -= populations[s]
            open_strata.remove(s)
    return shares


def _proportional(populations: dict[str, int], size: int) -> dict[str, int]:
    total = sum(populations.values())
    quotas = {s: Fraction(size * n, total) for s, n in populations.items()}
    shares = {s: math.floor(q) for s, q in quotas.items()}
    order = list(populations)
    by_remainder = sorted(populations, key=lambda s: (-(quotas[s] - shares[s]), -populations[s], order.index(s)))
    for s in by_remainder[:size - sum(shares.values())]:
        shares[s] += 1
    if size >= len(populations):
        for s in [s for s in order if shares[s] == 0]:
            donor = max(order, key=lambda d: (shares[d], populations[d], -order.index(d)))
            shares[donor] -= 1
            shares[s] = 1
    return shares


def allocate(populations: Mapping[str, int], size: int, method: str = "equal") -> dict[str, int]:
    """The sample size of each non-empty stratum (in the order given) for a sample of ``size``.

    Parameters
    ----------
    populations : mapping of str to int
        Crimes in each stratum; empty strata are left out of the result.
    size : int
        The sample size asked for (1 or more); a size at or above the population takes every crime.
    method : {"equal", "proportional"}
        How the size is shared out (see the module's description).

    Returns
    -------
    dict of str to int
        The sample size per non-empty stratum, summing to ``min(size, population)``.

    Examples
    --------
    >>> allocate({"Domestic": 40, "Non-Domestic": 12}, 15)
    {'Domestic': 8, 'Non-Domestic': 7}
    >>> allocate({"Domestic": 40, "Non-Domestic": 3, "Unknown": 1}, 15)
    {'Domestic': 11, 'Non-Domestic': 3, 'Unknown': 1}
    >>> allocate({"Domestic": 40, "Non-Domestic": 12}, 15, "proportional")
    {'Domestic': 12, 'Non-Domestic': 3}
    >>> allocate({"Domestic": 98, "Non-Domestic": 2}, 15, "proportional")
    {'Domestic': 14, 'Non-Domestic': 1}
    """
    if method not in ALLOCATIONS:
        raise ConfigError(f"unknown allocation '{method}'", f"use one of: {', '.join(ALLOCATIONS)}")
    if size < 1:
        raise ConfigError(f"the sample size must be 1 or more, not {size}", "give --size a positive whole number")
    present = {s: int(n) for s, n in populations.items() if n > 0}
    if not present:
        return {}
    if size >= sum(present.values()):
        return present
    shares = _equal(present, size) if method == "equal" else _proportional(present, size)
    return {s: shares[s] for s in present}


def draw_key(seed: int, crime_ref: str) -> str:
    """The key a crime is ranked by within its stratum: SHA-256 of ``"{seed}:{crime_ref}"``, as hex.

    Examples
    --------
    >>> draw_key(7, "C1")[:12]
    '299d304e03dc'
    """
    return hashlib.sha256(f"{seed}:{crime_ref}".encode()).hexdigest()


def draw_order(crime_refs: Iterable[str], seed: int) -> list[str]:
    """The crimes of one stratum in draw order: the sample of size n is the first n.

    Examples
    --------
    >>> draw_order(["C3", "C1", "C2"], 7) == draw_order(["C1", "C2", "C3"], 7)
    True
    """
    return sorted(crime_refs, key=lambda ref: (draw_key(seed, ref), ref))
