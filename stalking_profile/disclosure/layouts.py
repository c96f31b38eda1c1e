"""How each profile table's figures map onto the output's cell system.

Each layout names every count in its table by a :data:`~stalking_profile.disclosure.cells.Key`
built from the same parts, so the same number in two tables is one cell: the volumes table's
Bradford domestic count, the domestic outcomes table's Bradford ``Totals`` and the arrests
table's Bradford domestic ``crimes`` are all ``measure=crimes, window=current, district=BD,
domestic=Domestic``. The profile's own offence family is left out of keys; other families
(in the geography tables) carry ``family=...``.

Partner and public outputs leave out the tables in :data:`INTERNAL_TABLES`: outcome groups by
month and by relationship split the outcomes so finely that most cells are small, and protecting
them would hide much of the headline outcome tables; the data-quality table is for the force;
the cumulative-risk and allocation tables describe the handling of identifiable patterns of
offending and are for the force's own review; SPO and referral counts are small and stay internal.
Columns listed in :data:`DROPPED` are statistics from which small counts could be rebuilt (Gi*
z-scores are linear in the counts) and are removed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from stalking_profile.disclosure.cells import CellSystem, Dimension, Key, key
from stalking_profile.metrics.config import BLANK_GROUP, ProfileConfig
from stalking_profile.metrics.outcomes import BLANK, TOTALS
from stalking_profile.metrics.periods import months_between, shift_months
from stalking_profile.metrics.profile import Profile

__all__ = ["DROPPED", "INTERNAL_TABLES", "LAYOUTS", "profile_system"]

#: Columns removed from partner and public outputs: area statistics from which counts can be rebuilt.
DROPPED: dict[str, tuple[str, ...]] = {
    "hotspots": ("gi_z", "gi_p", "lisa_i", "permutations", "seed"),
    "hotspot_adjusted": ("gi_z", "expected", "observed_expected"),
}
#: Tables left out of partner and public outputs.
INTERNAL_TABLES: tuple[str, ...] = ("outcome_maturity", "outcome_groups_by_relationship", "demographics_quality",
                                   "cumulative_risk", "allocation", "spo", "spo_stages", "spo_trend", "referrals",
                                   "training", "training_by_month", "audits", "audit_samples")

_Y, _N = "Y", "N"
_DOMESTIC = {"All": None, "Domestic": "Domestic", "Non-Domestic": "Non-Domestic"}


@dataclass(frozen=True)
class _Context:
    profile: Profile
    districts: tuple[str, ...]
    config: ProfileConfig

    def family(self, name: str | None) -> str | None:
        return None if name in (None, self.profile.family) else name


def _district(value: str) -> str | None:
    return None if value == "Force" else value


def _crimes(**parts: str | None) -> Key:
    return key(measure="crimes", **{"window": "current", **parts})


def _rate_inputs(s: CellSystem, name: str, i: int, numerator: Key, base: Key, columns: tuple[str, ...]) -> None:
    for column in columns:
        s.figure(name, i, column, numerator, base)


def _volumes(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    by = "district" if "district" in t.column_names else "relationship"
    for i, r in enumerate(t.to_pylist()):
        parts = {"district": _district(r["district"])} if by == "district" else {"relationship": r["relationship"]}
        current = _crimes(domestic=_DOMESTIC[r["domestic"]], **parts)
        previous = _crimes(window="previous", domestic=_DOMESTIC[r["domestic"]], **parts)
        s.add(name, i, "current", current, r["current"])
        s.add(name, i, "previous", previous, r["previous"])
        if by == "district":
            s.headline.update((current, previous))
        for column in ("change_pct", "change_p_value"):
            s.figure(name, i, column, current, previous)


def _rate_table(measure: str, flag: str) -> Callable[[CellSystem, str, pa.Table, _Context], None]:
    def layout(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
        for i, r in enumerate(t.to_pylist()):
            base = _crimes(district=_district(r["district"]), domestic=_DOMESTIC[r["domestic"]])
            numerator = _crimes(district=_district(r["district"]), domestic=_DOMESTIC[r["domestic"]], **{flag: _Y})
            s.add(name, i, "crimes", base, r["crimes"])
            s.add(name, i, measure, numerator, r[measure])
            _rate_inputs(s, name, i, numerator, base, ("rate_pct", "ci_low", "ci_high"))
    return layout


def _handling_by_relationship(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    for i, r in enumerate(t.to_pylist()):
        parts = {"relationship": r["relationship"], "domestic": _DOMESTIC[r["domestic"]]}
        base = _crimes(**parts)
        s.add(name, i, "crimes", base, r["crimes"])
        for measure in ("arrested", "assessed"):
            numerator = _crimes(**parts, **{measure: _Y})
            s.add(name, i, measure, numerator, r[measure])
            _rate_inputs(s, name, i, numerator, base, (f"{measure}_pct", f"{measure}_ci_low", f"{measure}_ci_high"))


def _outcomes(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    domestic = "Domestic" if name.endswith("_domestic") and "non_domestic" not in name else "Non-Domestic"
    types = json.loads((t.schema.metadata or {}).get(b"outcome_types", b"[]"))
    labels = [r["outcome"] for r in t.to_pylist() if r["outcome"] != TOTALS]
    s.dimension(Dimension("outcome", tuple(labels), known_zero=True, measures=("crimes",)))
    for i, r in enumerate(t.to_pylist()):
        outcome = None if r["outcome"] == TOTALS else r["outcome"]
        for column in (*ctx.districts, "Force"):
            s.add(name, i, column, _crimes(district=_district(column), domestic=domestic, outcome=outcome), r[column])
    # each outcome group is the sum of the rows of its Home Office types (Force column)
    listed = ctx.config.listed_codes
    for group in ctx.config.outcome_groups:
        members = [_crimes(domestic=domestic, outcome=label) for label, code in zip(labels, types, strict=False)
                   if label != BLANK and code and group.contains(code, listed)]
        s.relate(_crimes(domestic=domestic, outcome_group=group.label), members)
    s.relate(_crimes(domestic=domestic, outcome_group=BLANK_GROUP), [_crimes(domestic=domestic, outcome=BLANK)])


def _group_rows(extra: Callable[[dict[str, Any]], dict[str, str | None]]) -> Callable[
        [CellSystem, str, pa.Table, _Context], None]:
    """Outcome-group tables: ``count`` of a group and ``crimes`` of its row's base; the partition
    groups and the not-yet-assigned group add up to the base."""
    def layout(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
        partition = {g.label for g in ctx.config.outcome_groups if g.partition} | {BLANK_GROUP}
        bases: dict[Key, list[Key]] = {}
        for i, r in enumerate(t.to_pylist()):
            parts = {"domestic": _DOMESTIC[r["domestic"]], **extra(r)}
            base, count = _crimes(**parts), _crimes(**parts, outcome_group=r["group"])
            s.add(name, i, "crimes", base, r["crimes"])
            s.add(name, i, "count", count, r["count"])
            _rate_inputs(s, name, i, count, base, ("pct", "ci_low", "ci_high"))
            if r["group"] in partition:
                bases.setdefault(base, []).append(count)
        for base, parts_of in bases.items():
            s.relate(base, parts_of)
    return layout


def _months(start: dt.date, end: dt.date) -> list[str] | None:
    """The months of a window made of whole months, else None."""
    if start.day != 1 or shift_months(end, 0) != end or (end + dt.timedelta(days=1)).day != 1:
        return None
    return months_between(start, end)


def _maturity(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    _group_rows(lambda r: {"window": f"month:{r['month']}"})(s, name, t, ctx)
    months = _months(ctx.profile.period.start, ctx.profile.period.end)
    if months is None:
        return
    rows = t.to_pylist()
    for domestic in {r["domestic"] for r in rows}:
        for group in [None, *sorted({r["group"] for r in rows})]:
            s.relate(_crimes(domestic=_DOMESTIC[domestic], outcome_group=group),
                     [_crimes(window=f"month:{m}", domestic=_DOMESTIC[domestic], outcome_group=group) for m in months])


def _rolling(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    columns = {"all": None, "domestic": "Domestic", "non_domestic": "Non-Domestic"}
    rows = t.to_pylist()
    for i, r in enumerate(rows):
        month = dt.date.fromisoformat(r["month"] + "-01")
        year_before = f"{shift_months(month, -12):%Y-%m}"
        first = shift_months(month, -11)
        months = months_between(first, month)
        for column, domestic in columns.items():
            total = _crimes(window=f"rolling:{r['month']}", domestic=domestic)
            s.add(name, i, column, total, r[column])
            s.relate(total, [_crimes(window=f"month:{m}", domestic=domestic) for m in months])
            if column == "all":
                for derived in ("change_vs_year_before_pct", "ratio_vs_year_before"):
                    s.figure(name, i, derived, total, _crimes(window=f"rolling:{year_before}", domestic=None))
    for window, period in (("current", ctx.profile.period), ("previous", ctx.profile.previous)):
        whole = _months(period.start, period.end)
        if whole is not None:
            for domestic in columns.values():
                s.relate(_crimes(window=window, domestic=domestic),
                         [_crimes(window=f"month:{m}", domestic=domestic) for m in whole])


def _cyber(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    cells = {"crimes": {}, "with_mo": {"mo": _Y}, "flagged": {"flagged": _Y}, "detected": {"detected": _Y},
             "flagged_and_detected": {"flagged": _Y, "detected": _Y}, "flagged_only": {"flagged": _Y, "detected": _N},
             "detected_only": {"flagged": _N, "detected": _Y}, "neither": {"flagged": _N, "detected": _N}}
    for i, r in enumerate(t.to_pylist()):
        where = {"district": _district(r["district"]), "domestic": _DOMESTIC[r["domestic"]]}
        for column, parts in cells.items():
            s.add(name, i, column, _crimes(**where, **parts), r[column])
        base = _crimes(**where)
        s.figure(name, i, "flag_rate_pct", _crimes(**where, flagged=_Y), base)
        for column in ("corrected_pct", "corrected_ci_low", "corrected_ci_high"):
            s.figure(name, i, column, _crimes(**where, flagged=_N, detected=_N), base)


def _demographics(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    role = "victim" if name.endswith("victims") else "suspect"
    rows = t.to_pylist()
    for dimension in {r["dimension"] for r in rows}:
        values = tuple(dict.fromkeys(r["category"] for r in rows if r["dimension"] == dimension))
        s.dimension(Dimension(f"{role}_{dimension}", values))
    cyber = {"All": {}, "Flagged": {"flagged": _Y}, "Detected": {"detected": _Y}}
    for i, r in enumerate(rows):
        measure = "crimes" if r["basis"] == "crimes" else f"{role}_persons"
        parts: dict[str, str | None] = {"measure": measure, "window": "current",
                                        "domestic": _DOMESTIC[r["domestic"]], **cyber[r["cyber"]]}
        base, count = key(**parts), key(**parts, **{f"{role}_{r['dimension']}": r["category"]})
        s.add(name, i, "count", count, r["count"])
        s.add(name, i, "base", base, r["base"])
        s.figure(name, i, "pct", count, base)


def _quality(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    for i, r in enumerate(t.to_pylist()):
        s.add(name, i, "crimes", _crimes(quality=r["issue"], role=r["role"]), r["crimes"])


def _placement(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    rows = t.to_pylist()
    s.dimension(Dimension("placed_by", tuple(dict.fromkeys(r["placed_by"] for r in rows)), known_zero=True,
                          measures=("crimes",)))
    for i, r in enumerate(rows):
        s.add(name, i, "crimes", _crimes(family=ctx.family(r["offence_family"]), placed_by=r["placed_by"]), r["crimes"])


def _area(family: str | None, level: str, area: str, domestic: str | None = None) -> Key:
    return _crimes(family=family, level=level, area=area, domestic=domestic)


#: Area counts found in a table, by (family, level): area code -> (crimes, domestic, non-domestic).
_Found = dict[tuple[str | None, str], dict[str, tuple[int, int | None, int | None]]]


def _areas(s: CellSystem, ctx: _Context, found: _Found) -> None:
    """Tie area counts to the force's totals: the family's crimes (and its domestic and
    non-domestic crimes, where the table splits them) are the sum of the areas and of those not
    placed at that level. Areas are tied to the Force, not to districts: a crime's recorded
    district need not be the district its location lies in. How many crimes are not placed is
    taken as known to a reader (the placement table comes close to saying it), which can only
    make the checks stricter."""
    for (family, level), areas in found.items():
        for position, domestic in ((0, None), (1, "Domestic"), (2, "Non-Domestic")):
            if any(counts[position] is None for counts in areas.values()):
                continue
            members = [_crimes(family=family, level=level, area=a, domestic=domestic) for a in areas]
            s.relate(_crimes(family=family, domestic=domestic),
                     [*members, _crimes(family=family, level=level, located=_N, domestic=domestic)])
        total = _family_total(ctx, family)
        if total is not None:
            s.know(_crimes(family=family, level=level, located=_N), total - sum(c[0] for c in areas.values()))


def _family_total(ctx: _Context, family: str | None) -> int | None:
    placement = ctx.profile.tables.get("placement")
    if placement is None:
        return None
    name = family or ctx.profile.family
    return sum(int(r["crimes"]) for r in placement.to_pylist() if r["offence_family"] == name)


def _wards(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    found: _Found = {}
    for i, r in enumerate(t.to_pylist()):
        family = ctx.family(r["offence_family"])
        total = _area(family, r["level"], r["area_code"])
        s.add(name, i, "crimes", total, r["crimes"])
        s.add(name, i, "domestic", _crimes(family=family, level=r["level"], area=r["area_code"], domestic="Domestic"),
              r["domestic"])
        s.add(name, i, "non_domestic", _crimes(family=family, level=r["level"], area=r["area_code"],
                                               domestic="Non-Domestic"), r["non_domestic"])
        for column in ("rate_per_1000", "rate_20_29_per_1000"):
            s.figure(name, i, column, total)
        found.setdefault((family, r["level"]), {})[r["area_code"]] = (r["crimes"], r["domestic"], r["non_domestic"])
    _areas(s, ctx, found)


def _hotspots(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    """Counts (or rates from them) by area; an area's classes and p-values are figures of its
    count too: a hot-spot class beside a hidden count would narrow it."""
    found: _Found = {}
    for i, r in enumerate(t.to_pylist()):
        family = ctx.family(r["offence_family"])
        count = _area(family, r["level"], r["area_code"])
        if r["measure"] == "count":
            s.add(name, i, "value", count, round(r["value"]))
            found.setdefault((family, r["level"]), {})[r["area_code"]] = (round(r["value"]), None, None)
        else:
            s.figure(name, i, "value", count)
        for column in ("gi_p_fdr", "gi_class", "lisa_p_fdr", "lisa_class"):
            s.figure(name, i, column, count)
    _areas(s, ctx, found)


def _adjusted(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    for i, r in enumerate(t.to_pylist()):
        count = _area(ctx.family(r["offence_family"]), r["level"], r["area_code"])
        s.add(name, i, "observed", count, None if r["observed"] is None else round(r["observed"]))
        for column in ("gi_p_fdr", "gi_class", "raw_gi_class"):
            s.figure(name, i, column, count)


def _not_counts(s: CellSystem, name: str, t: pa.Table, ctx: _Context) -> None:
    """Statistics over many areas (correlations, counts of areas): no count of crimes or people."""


Layout = Callable[[CellSystem, str, pa.Table, _Context], None]
#: The layout of every table a profile can hold.
LAYOUTS: dict[str, Layout] = {
    "volumes": _volumes,
    "volumes_by_relationship": _volumes,
    "rolling_12m": _rolling,
    "outcomes_domestic": _outcomes,
    "outcomes_non_domestic": _outcomes,
    "outcome_groups": _group_rows(lambda r: {}),
    "outcome_maturity": _maturity,
    "outcome_groups_by_relationship": _group_rows(lambda r: {"relationship": r["relationship"]}),
    "arrests": _rate_table("arrested", "arrested"),
    "risk_assessment": _rate_table("assessed", "assessed"),
    "handling_by_relationship": _handling_by_relationship,
    "cyber": _cyber,
    "demographics_victims": _demographics,
    "demographics_suspects": _demographics,
    "demographics_quality": _quality,
    "placement": _placement,
    "wards": _wards,
    "hotspots": _hotspots,
    "hotspot_adjusted": _adjusted,
    "hotspot_overlap": _not_counts,
    "policeuk_comparison": _not_counts,
}


def profile_system(profile: Profile, districts: tuple[str, ...], config: ProfileConfig) -> CellSystem:
    """Every count and derived figure of ``profile``'s tables, with the sums that tie them."""
    s = CellSystem()
    s.dimension(Dimension("district", districts))
    s.dimension(Dimension("domestic", ("Domestic", "Non-Domestic"), measures=("crimes",)))
    for flag in ("arrested", "assessed", "flagged", "detected", "mo"):
        s.dimension(Dimension(flag, (_Y, _N), measures=("crimes",)))
    relationships = {r["relationship"] for name in ("volumes_by_relationship", "handling_by_relationship",
                                                    "outcome_groups_by_relationship")
                     if name in profile.tables for r in profile.tables[name].to_pylist()}
    s.dimension(Dimension("relationship", tuple(sorted(relationships)), known_zero=True, measures=("crimes",)))
    ctx = _Context(profile, districts, config)
    for name, table in profile.tables.items():
        layout = LAYOUTS.get(name)
        if layout is not None:
            layout(s, name, table, ctx)
    return s
