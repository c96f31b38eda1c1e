"""Demographics: victims and suspects by age band, sex and ethnic group, with their data quality.

The categories come from ``data/demographics.toml`` (or a copy named by the caller): age bands,
sex categories, and the mapping from recorded ethnicity codes (16+1, 18+1 and officer-defined
IC codes) to the five high-level Census groups plus ``Not stated/unknown``. Every table is a
full grid: each configured category appears, with zero counts, so tables line up.

Domestic abuse is defined only between people aged 16 or over (Domestic Abuse Act 2021 s.1);
:func:`domestic_under_16` lists the domestic-flagged crimes that break that rule.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from stalking_profile.errors import ConfigError, config_text
from stalking_profile.metrics.periods import Period
from stalking_profile.metrics.selection import DOMESTIC_LABELS, within
from stalking_profile.metrics.stats import pct
from stalking_profile.schema.columns import SEXES

__all__ = [
    "CYBER_LABELS",
    "DA_MIN_AGE",
    "DEMOGRAPHICS_SCHEMA",
    "DIMENSIONS",
    "QUALITY_ISSUES",
    "AgeBand",
    "DemographicsConfig",
    "Role",
    "demographic_quality",
    "demographics",
    "domestic_under_16",
    "largest_age_group",
    "load_demographics_config",
    "normalise_code",
    "parse_demographics_config",
    "unknown_ethnicity_codes",
]

Role = Literal["victim", "suspect"]
ROLES: tuple[Role, ...] = ("victim", "suspect")
#: The ``cyber`` column's values: every crime, cyber-flagged crimes, crimes where technology was detected.
CYBER_LABELS = ("All", "Flagged", "Detected")
#: The ``dimension`` column's values, in output order.
DIMENSIONS = ("age_band", "sex", "ethnicity")
#: The youngest age at which a person can be party to domestic abuse (Domestic Abuse Act 2021 s.1).
DA_MIN_AGE = 16
#: The ``issue`` column of :func:`demographic_quality`, in output order.
QUALITY_ISSUES = ("unknown ethnicity code", "age out of range", "age missing", "domestic flag with a party under 16")
UNKNOWN_SEX = "unknown"

DEMOGRAPHICS_SCHEMA = pa.schema([
    ("basis", pa.string()), ("domestic", pa.string()), ("cyber", pa.string()), ("dimension", pa.string()),
    ("category", pa.string()), ("count", pa.int64()), ("pct", pa.float64()), ("base", pa.int64()),
])
# Per-row flags: "d" (domestic) or "n" (non-domestic), crossed with the cyber groups. A person
# is in a (domestic, cyber) group when any of their crimes has the matching flag.
_FLAGS = tuple(f"{side}_{cyber.lower()}" for side in "dn" for cyber in CYBER_LABELS)


@dataclass(frozen=True)
class AgeBand:
    """Ages ``min`` to ``max`` (both inclusive) under ``label``."""

    label: str
    min: int
    max: int


@dataclass(frozen=True)
class DemographicsConfig:
    """Age bands, sex categories and the ethnicity-code mapping.

    Examples
    --------
    >>> config = load_demographics_config()
    >>> config.categories("age_band")
    ('under 18', '18-19', '20-29', '30-39', '40-49', '50-59', '60+', 'unknown')
    >>> config.ethnicity_codes["O1"], config.ethnicity_codes["IC6"]
    ('Asian', 'Other')
    """

    age_bands: tuple[AgeBand, ...]
    max_age: int
    unknown_age: str
    sexes: tuple[str, ...]
    ethnic_groups: tuple[str, ...]
    unknown_ethnicity: str
    ethnicity_codes: dict[str, str]

    def categories(self, dimension: str) -> tuple[str, ...]:
        """The categories of ``age_band``, ``sex`` or ``ethnicity``, in output order."""
        if dimension == "age_band":
            return (*(b.label for b in self.age_bands), self.unknown_age)
        return self.sexes if dimension == "sex" else self.ethnic_groups

    def codes_of(self, group: str) -> list[str]:
        """The recorded codes that map to an ethnic group."""
        return sorted(code for code, g in self.ethnicity_codes.items() if g == group)


def normalise_code(code: str) -> str:
    """A code as matched: upper-case, no spaces."""
    return code.replace(" ", "").upper()


def _int(value: Any, what: str, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{source}: {what} is {value!r}, not a whole number", f"write {what} as e.g. 17")
    return value


def _bands(raw: list[dict[str, Any]], max_age: int, unknown: str, source: str) -> tuple[AgeBand, ...]:
    hint = "list [[age_bands]] in ascending order, each starting one year after the last ends, from 0 to max_age"
    bands = tuple(AgeBand(str(b["label"]), _int(b["min"], "an age band's min", source),
                          _int(b["max"] if "max" in b or i < len(raw) - 1 else max_age, "an age band's max", source))
                  for i, b in enumerate(raw))
    if not bands:
        raise ConfigError(f"{source} has no age bands", hint)
    labels = [b.label for b in bands]
    for b in bands:
        if not b.label.strip() or b.label == unknown or labels.count(b.label) > 1:
            raise ConfigError(f"{source}: age band label '{b.label}' is blank, repeated or the unknown label",
                              "give each band its own label")
        if b.min > b.max:
            raise ConfigError(f"{source}: age band '{b.label}' runs from {b.min} down to {b.max}", hint)
    if bands[0].min != 0:
        raise ConfigError(f"{source}: the first age band '{bands[0].label}' starts at {bands[0].min}, not 0", hint)
    for before, band in pairwise(bands):
        if band.min <= before.max:
            raise ConfigError(f"{source}: age band '{band.label}' ({band.min}-{band.max}) overlaps or comes before"
                              f" '{before.label}' ({before.min}-{before.max})", hint)
        if band.min > before.max + 1:
            raise ConfigError(f"{source}: no age band covers ages {before.max + 1}-{band.min - 1}", hint)
    if bands[-1].max != max_age:
        raise ConfigError(f"{source}: the last age band '{bands[-1].label}' ends at {bands[-1].max}, but max_age is"
                          f" {max_age}", "end the last band at max_age, or leave its max out")
    return bands


def _ethnicity(eth: dict[str, Any], source: str) -> tuple[tuple[str, ...], str, dict[str, str]]:
    groups, unknown = tuple(str(g) for g in eth["groups"]), str(eth["unknown"])
    if unknown not in groups or len(set(groups)) != len(groups):
        raise ConfigError(f"{source}: ethnicity groups {list(groups)} repeat a group or miss '{unknown}'",
                          "list each group once in [ethnicity] groups, including the unknown group")
    codes: dict[str, str] = {}
    for raw, group in eth["codes"].items():
        code = normalise_code(str(raw))
        if not code or code in codes:
            raise ConfigError(f"{source}: ethnicity code '{raw}' is blank or listed twice",
                              "list each code once (codes match ignoring case and spaces)")
        if group not in groups:
            raise ConfigError(f"{source}: ethnicity code {code} maps to '{group}', which is not a group",
                              f"map it to one of: {', '.join(groups)}")
        codes[code] = str(group)
    return groups, unknown, codes


def parse_demographics_config(text: str, source: str) -> DemographicsConfig:
    """Parse a demographics configuration document."""
    try:
        data = tomllib.loads(text)
        max_age = _int(data.get("max_age", 110), "max_age", source)
        unknown_age = str(data.get("unknown_age", "unknown"))
        bands = _bands(list(data["age_bands"]), max_age, unknown_age, source)
        sexes = tuple(str(s).strip().lower() for s in data["sex"]["categories"])
        groups, unknown_ethnicity, codes = _ethnicity(data["ethnicity"], source)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}", "fix the syntax error it names") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{source} is missing or misshapes {exc}",
            "start from the shipped data/demographics.toml: [[age_bands]], [sex] categories, [ethnicity] groups,"
            " unknown and [ethnicity.codes]",
        ) from exc
    if UNKNOWN_SEX not in sexes or len(set(sexes)) != len(sexes) or not set(sexes) <= set(SEXES):
        raise ConfigError(f"{source}: sex categories {list(sexes)} are not a list of {', '.join(SEXES)}",
                          "list each once, including unknown")
    return DemographicsConfig(bands, max_age, unknown_age, sexes, groups, unknown_ethnicity, codes)


def load_demographics_config(path: str | None = None) -> DemographicsConfig:
    """The demographics configuration from ``path``, or the shipped ``data/demographics.toml``."""
    return _load(path or None)


@lru_cache(maxsize=8)
def _load(path: str | None) -> DemographicsConfig:
    return parse_demographics_config(
        *config_text(path, "demographics configuration", "the demographics configuration path",
                     "data/demographics.toml"))


def _cases(branches: Sequence[tuple[ir.BooleanValue, str]], otherwise: str) -> ir.StringValue:
    return ibis.cases(*branches, else_=otherwise) if branches else ibis.literal(otherwise)


def _code(value: ir.Value) -> ir.StringValue:
    return value.cast("string").strip().upper().replace(" ", "")


def _attributes(t: ibis.Table, role: Role, config: DemographicsConfig) -> dict[str, ir.Value]:
    """The role's age band, sex and ethnic group on each crime, as Ibis expressions."""
    age, sex, code = t[f"{role}_age"], t[f"{role}_sex"].cast("string").strip().lower(), _code(t[f"{role}_ethnicity"])
    return {
        "age_band": _cases([(age.between(b.min, b.max), b.label) for b in config.age_bands], config.unknown_age),
        "sex": _cases([(sex == s, s) for s in config.sexes if s != UNKNOWN_SEX], UNKNOWN_SEX),
        "ethnicity": _cases([(code.isin(config.codes_of(g)), g) for g in config.ethnic_groups
                             if g != config.unknown_ethnicity and config.codes_of(g)], config.unknown_ethnicity),
    }


def _flags(t: ibis.Table) -> dict[str, ir.BooleanValue]:
    dom = t.domestic_flag.fill_null(False)
    cyber = {"all": ibis.literal(True), "flagged": t.cyber_flag.fill_null(False),
             "detected": t.tech_detected.fill_null(False)}
    return {f: (dom if f[0] == "d" else ~dom) & cyber[f[2:]] for f in _FLAGS}


def _persons(t: ibis.Table, role: Role) -> ibis.Table:
    """One row per person: attributes from their latest crime, flags true if any crime has them."""
    pid = t[f"{role}_id"]
    p = t.filter(pid.notnull() & (pid.cast("string") != "")).mutate(person=pid)
    latest = ibis.window(group_by=p.person, order_by=[ibis.desc(p.recorded_date), ibis.desc(p.crime_ref)])
    everything = ibis.window(group_by=p.person)
    p = p.mutate(rank=ibis.row_number().over(latest), **{f: p[f].any().over(everything) for f in _FLAGS})
    return p.filter(p["rank"] == 0)


def _groups(row: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The (domestic, cyber) groups a grouped row belongs to."""
    for domestic in DOMESTIC_LABELS:
        sides = {"All": "dn", "Domestic": "d", "Non-Domestic": "n"}[domestic]
        for cyber in CYBER_LABELS:
            if any(row[f"{side}_{cyber.lower()}"] for side in sides):
                yield domestic, cyber


def demographics(crimes: ibis.Table, period: Period, role: Role, config: DemographicsConfig) -> pa.Table:
    """Victims or suspects by age band, sex and ethnic group, counted by crime and by person.

    Parameters
    ----------
    crimes : ibis.Table
        Crimes with the ``victim_*``/``suspect_*`` id, age, sex and ethnicity columns,
        ``domestic_flag``, ``cyber_flag`` and ``tech_detected`` (blank flags count as false).
    period : Period
        The window (by recorded date).
    role : ``"victim"`` or ``"suspect"``
    config : DemographicsConfig
        Bands, categories and the ethnicity mapping.

    Returns
    -------
    pyarrow.Table
        ``basis, domestic, cyber, dimension, category, count, pct, base``, one row for every
        category of every group (zeros included). ``base`` is the number of crimes or persons in
        the (basis, domestic, cyber) group and ``pct`` is ``count`` as a percentage of it.
        The schema metadata holds ``role`` and ``unknown_age`` for :func:`largest_age_group`.

    Notes
    -----
    ``crimes`` counts every crime once, with the role's details on that crime. ``persons``
    counts each distinct pseudonymous id once, with the details on their latest crime in the
    window (by recorded date, then the highest crime reference), even where those are blank;
    crimes with no id are not in the persons basis. A person is in ``Domestic`` if any of their
    crimes is domestic, in ``Non-Domestic`` if any is not, and in a cyber group if any crime
    in that domestic group is flagged or detected: persons are not additive across groups.

    Examples
    --------
    >>> import datetime as dt
    >>> crimes = ibis.memtable(pa.Table.from_pylist([
    ...     {"crime_ref": "C1", "recorded_date": dt.date(2021, 1, 5), "domestic_flag": True,
    ...      "cyber_flag": None, "tech_detected": False, "victim_id": "V1", "victim_age": 17,
    ...      "victim_sex": "female", "victim_ethnicity": "w1"},
    ...     {"crime_ref": "C2", "recorded_date": dt.date(2021, 2, 5), "domestic_flag": False,
    ...      "cyber_flag": True, "tech_detected": False, "victim_id": "V1", "victim_age": 18,
    ...      "victim_sex": "female", "victim_ethnicity": "W1"}]))
    >>> period = Period(dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    >>> table = demographics(crimes, period, "victim", load_demographics_config())
    >>> [(r["category"], r["count"], r["pct"]) for r in table.to_pylist() if r["basis"] == "persons"
    ...  and r["domestic"] == "All" and r["cyber"] == "All" and r["dimension"] == "age_band" and r["count"]]
    [('18-19', 1, 100.0)]
    """
    t = within(crimes, period)
    t = t.mutate(**_attributes(t, role, config))
    keys = [*DIMENSIONS, *_FLAGS]
    counts: dict[tuple[str, ...], int] = {}
    bases: dict[tuple[str, ...], int] = {}
    for basis, rows in (("crimes", t.mutate(**_flags(t))), ("persons", _persons(t.mutate(**_flags(t)), role))):
        for r in rows.group_by(keys).aggregate(n=rows.count()).to_pyarrow().to_pylist():
            for group in _groups(r):
                bases[(basis, *group)] = bases.get((basis, *group), 0) + int(r["n"])
                for dim in DIMENSIONS:
                    key = (basis, *group, dim, r[dim])
                    counts[key] = counts.get(key, 0) + int(r["n"])
    out = []
    for basis in ("crimes", "persons"):
        for domestic in DOMESTIC_LABELS:
            for cyber in CYBER_LABELS:
                base = bases.get((basis, domestic, cyber), 0)
                for dim in DIMENSIONS:
                    for category in config.categories(dim):
                        n = counts.get((basis, domestic, cyber, dim, category), 0)
                        out.append({"basis": basis, "domestic": domestic, "cyber": cyber, "dimension": dim,
                                    "category": category, "count": n, "pct": pct(n, base), "base": base})
    schema = DEMOGRAPHICS_SCHEMA.with_metadata({"role": role, "unknown_age": config.unknown_age})
    return pa.Table.from_pylist(out, schema=schema)


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def largest_age_group(table: pa.Table, role: str | None = None) -> str:
    """A sentence naming the largest age group by crimes (all crimes, unknown ages left out).

    ``role`` defaults to the one :func:`demographics` stored in the table's metadata.

    Examples
    --------
    >>> rows = [{"basis": "crimes", "domestic": "All", "cyber": "All", "dimension": "age_band",
    ...          "category": c, "count": n, "pct": None, "base": 10} for c, n in
    ...         [("20-29", 4), ("30-39", 4), ("40-49", 1), ("unknown", 1)]]
    >>> largest_age_group(pa.Table.from_pylist(rows), "victim")
    'The largest victim age groups are 20-29 and 30-39 (4 of 10 crimes each, 40.0%).'
    """
    meta = table.schema.metadata or {}
    who = role or meta.get(b"role", b"").decode()
    unknown = meta.get(b"unknown_age", b"unknown").decode()
    rows = [r for r in table.to_pylist() if (r["basis"], r["domestic"], r["cyber"], r["dimension"])
            == ("crimes", "All", "All", "age_band")]
    known = [r for r in rows if r["category"] != unknown]
    top = max((int(r["count"]) for r in known), default=0)
    if top == 0:
        return f"No {who + ' ' if who else ''}ages are recorded in this window."
    base = int(rows[0]["base"])
    leaders = [str(r["category"]) for r in known if r["count"] == top]
    subject = f"The largest {who + ' ' if who else ''}age group"
    if len(leaders) == 1:
        return f"{subject} is {leaders[0]} ({top:,} of {base:,} crimes, {pct(top, base)}%)."
    return f"{subject}s are {_and(leaders)} ({top:,} of {base:,} crimes each, {pct(top, base)}%)."


def _count(condition: ir.BooleanValue) -> ir.IntegerScalar:
    return condition.fill_null(False).ifelse(1, 0).sum()


def _child(age: ir.IntegerValue) -> ir.BooleanValue:
    return age.between(0, DA_MIN_AGE - 1).fill_null(False)


def demographic_quality(crimes: ibis.Table, period: Period, config: DemographicsConfig) -> pa.Table:
    """Crimes in the window with a demographic data-quality problem, by role and issue.

    Issues (all rows are present, zeros included): ``unknown ethnicity code`` (a non-blank code
    the mapping does not list; counted as not stated in the tables), ``age out of range``
    (negative or over ``max_age``), ``age missing``, and ``domestic flag with a party under 16``
    (domestic abuse is defined between people aged 16 or over).

    Examples
    --------
    >>> import datetime as dt
    >>> crimes = ibis.memtable(pa.Table.from_pylist([
    ...     {"crime_ref": "C1", "recorded_date": dt.date(2021, 1, 5), "domestic_flag": True,
    ...      "victim_age": 15, "victim_ethnicity": "ZZ", "suspect_age": None, "suspect_ethnicity": "NS"}]))
    >>> period = Period(dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    >>> for r in demographic_quality(crimes, period, load_demographics_config()).to_pylist():
    ...     if r["crimes"]:
    ...         print(r["role"], "|", r["issue"], "|", r["crimes"])
    victim | unknown ethnicity code | 1
    victim | domestic flag with a party under 16 | 1
    suspect | age missing | 1
    """
    t = within(crimes, period)
    known = list(config.ethnicity_codes)
    measures = {}
    for role in ROLES:
        age, code = t[f"{role}_age"], _code(t[f"{role}_ethnicity"])
        measures[f"{role}:{QUALITY_ISSUES[0]}"] = _count(code.notnull() & (code != "") & ~code.isin(known))
        measures[f"{role}:{QUALITY_ISSUES[1]}"] = _count((age < 0) | (age > config.max_age))
        measures[f"{role}:{QUALITY_ISSUES[2]}"] = _count(age.isnull())
        measures[f"{role}:{QUALITY_ISSUES[3]}"] = _count(t.domestic_flag.fill_null(False) & _child(age))
    got = t.aggregate(**measures).to_pyarrow().to_pylist()[0]
    rows = [{"role": role, "issue": issue, "crimes": int(got[f"{role}:{issue}"] or 0)}
            for role in ROLES for issue in QUALITY_ISSUES]
    return pa.Table.from_pylist(rows, schema=pa.schema([("role", pa.string()), ("issue", pa.string()),
                                                        ("crimes", pa.int64())]))


def unknown_ethnicity_codes(crimes: ibis.Table, period: Period, config: DemographicsConfig) -> pa.Table:
    """The ethnicity codes the mapping does not know, with the crimes recording each, by role
    (most frequent first): the codes to add to the configuration."""
    t = within(crimes, period)
    rows: list[dict[str, Any]] = []
    for role in ROLES:
        coded = t.mutate(code=_code(t[f"{role}_ethnicity"]))
        coded = coded.filter(coded.code.notnull() & (coded.code != "") & ~coded.code.isin(list(config.ethnicity_codes)))
        found = coded.group_by("code").aggregate(crimes=coded.count()).to_pyarrow().to_pylist()
        rows += [{"role": role, "code": r["code"], "crimes": int(r["crimes"])}
                 for r in sorted(found, key=lambda r: (-r["crimes"], r["code"]))]
    return pa.Table.from_pylist(rows, schema=pa.schema([("role", pa.string()), ("code", pa.string()),
                                                        ("crimes", pa.int64())]))


_REASON = "; domestic abuse is defined between people aged 16 or over"


def domestic_under_16(crimes: ibis.Table, period: Period) -> ibis.Table:
    """Domestic-flagged crimes in the window where the victim or suspect is under 16: a worklist
    of ``crime_ref, district, recorded_date, reason``, oldest first (no names or ids).

    Examples
    --------
    >>> import datetime as dt
    >>> crimes = ibis.memtable(pa.Table.from_pylist([
    ...     {"crime_ref": "C1", "district": "BD", "recorded_date": dt.date(2021, 1, 5), "domestic_flag": True,
    ...      "victim_age": 15, "suspect_age": 17}]))
    >>> period = Period(dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    >>> domestic_under_16(crimes, period).to_pyarrow().column("reason").to_pylist()
    ['domestic flag but the victim is 15; domestic abuse is defined between people aged 16 or over']
    """
    t = within(crimes, period)
    victim, suspect = _child(t.victim_age), _child(t.suspect_age)
    v_text = ibis.literal("the victim is ") + t.victim_age.cast("string")
    s_text = ibis.literal("the suspect is ") + t.suspect_age.cast("string")
    reason = ibis.literal("domestic flag but ") + ibis.cases(
        (victim & suspect, v_text + ibis.literal(" and ") + s_text), (victim, v_text), else_=s_text
    ) + ibis.literal(_REASON)
    flagged = t.filter(t.domestic_flag.fill_null(False) & (victim | suspect))
    return flagged.select("crime_ref", "district", "recorded_date", reason=reason).order_by(
        ["recorded_date", "crime_ref"])
