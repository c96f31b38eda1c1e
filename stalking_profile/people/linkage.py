"""Linkage: every crime in the store tied to its victim, suspect and victim-suspect pair.

All offence codes take part (harassment, malicious communications, criminal damage,
assaults, breaches ...), not just the family being profiled: a stalking crime's history
is everything its people were involved in. People are keyed by their pseudonymous RMS
ids; where a clustering run has merged duplicated nominals (``stalking-profile link``),
the cluster id stands in for each id in it, and a crime with no id whose name and birth
tokens the run attached to a person takes that person's cluster. Ids always win: a
clustering can join two ids into one person, never split one id into two.
"""

from __future__ import annotations

import ibis

from stalking_profile.people.settings import RiskSettings
from stalking_profile.store.connection import Store

__all__ = ["PersonClusters", "link_crimes", "linked_crimes"]

#: Victim and suspect clusters, either may be None: tables of ``person_id, crime_ref, cluster_id``
#: where a row maps a person id (``crime_ref`` null) or an id-less crime's person (``person_id``
#: null) onto a cluster.
PersonClusters = tuple[ibis.Table | None, ibis.Table | None]


def _keyed(crimes: ibis.Table, column: str, clusters: ibis.Table | None, key: str) -> ibis.Table:
    if clusters is None:
        return crimes.mutate(**{key: crimes[column]})
    by_id = clusters.filter(clusters.person_id.notnull()).select(_pid=clusters.person_id, _cid=clusters.cluster_id)
    t = crimes.left_join(by_id, crimes[column] == by_id._pid)
    if "crime_ref" in clusters.columns:
        by_crime = clusters.filter(clusters.person_id.isnull()).select(_ref=clusters.crime_ref,
                                                                       _ccid=clusters.cluster_id)
        t = t.left_join(by_crime, (t.crime_ref == by_crime._ref) & t[column].isnull())
        t = t.mutate(**{key: ibis.coalesce(t._cid, t[column], t._ccid)}).drop("_ref", "_ccid")
    else:
        t = t.mutate(**{key: t._cid.fill_null(t[column])})
    return t.drop("_pid", "_cid")


def _tier(code: ibis.Value, settings: RiskSettings) -> ibis.Value:
    """1-based tier of an offence code; codes in no tier are tier 1."""
    expr: ibis.Value = ibis.literal(1)
    for rank, tier in enumerate(settings.tiers, start=1):
        if rank > 1 and tier.codes:
            expr = code.isin(list(tier.codes)).ifelse(rank, expr)
    return expr


def _stored_high(t: ibis.Table) -> ibis.BooleanValue:
    """A stored risk form graded high, where the crimes carry ``form_high`` (see
    :func:`stalking_profile.people.review.with_stored_forms`)."""
    return (t.form_high > 0).fill_null(False) if "form_high" in t.columns else ibis.literal(False)


def link_crimes(crimes: ibis.Table, settings: RiskSettings, clusters: PersonClusters = (None, None)) -> ibis.Table:
    """Crimes with ``victim_key``, ``suspect_key``, ``pair_key`` and the flags the measures count.

    Added columns: ``tier`` (1 = lowest), ``is_violence``, ``is_breach``, ``is_high_risk`` (the
    crime's risk level, or a stored form, says high),
    ``is_arrest``, ``is_charged``, ``is_open`` (no outcome yet), ``day`` (days since 1970).
    """
    t = _keyed(crimes, "victim_id", clusters[0], "victim_key")
    t = _keyed(t, "suspect_id", clusters[1], "suspect_key")
    code = t.offence_code
    breach = code.isin(list(settings.breach_codes)) if settings.breach_codes else ibis.literal(False)
    description = t.offence_description.lower()
    for word in settings.breach_words:
        breach = breach | description.contains(word).fill_null(False)
    both = t.victim_key.notnull() & t.suspect_key.notnull()
    return t.mutate(
        pair_key=both.ifelse(t.victim_key.concat("|", t.suspect_key), ibis.null(str)),
        tier=_tier(code, settings),
        is_violence=code.isin(list(settings.violence_codes)).ifelse(1, 0),
        is_breach=breach.ifelse(1, 0),
        is_high_risk=((t.risk_level == "high").fill_null(False) | _stored_high(t)).ifelse(1, 0),
        is_arrest=t.arrest_made.fill_null(False).ifelse(1, 0),
        is_charged=t.outcome_type.isin(["1", "1A"]).fill_null(False).ifelse(1, 0),
        is_open=t.outcome_type.isnull().ifelse(1, 0),
        day=t.recorded_date.epoch_days(),
    )


def linked_crimes(store: Store, settings: RiskSettings, as_of: int | None = None,
                  clusters: PersonClusters | None = None, crimes: ibis.Table | None = None) -> ibis.Table:
    """Every current crime in the store (or ``crimes``, a selection of them), linked (see
    :func:`link_crimes`).

    ``clusters`` defaults to the latest clustering run in the store, if there is one;
    pass ``(None, None)`` to link on ids alone.
    """
    if clusters is None:
        clusters = stored_clusters(store, as_of)
    return link_crimes(store.current_crimes(as_of) if crimes is None else crimes, settings, clusters)


def stored_clusters(store: Store, as_of: int | None = None) -> PersonClusters:
    """The latest clustering run's victim and suspect clusters (ids, and id-less crimes the run
    attached to a person), or None for a role never clustered; with ``as_of``, the run the store
    held after that batch (:func:`stalking_profile.people.clusters.latest_run`)."""
    from stalking_profile.people.clusters import latest_clusters, latest_unidentified

    found: list[ibis.Table | None] = []
    for role in ("victim", "suspect"):
        ids, crimes = latest_clusters(store, role, as_of), latest_unidentified(store, role, as_of)
        if ids is None or crimes is None:
            found.append(None)
            continue
        found.append(ids.mutate(crime_ref=ibis.null("string")).select("person_id", "crime_ref", "cluster_id").union(
            crimes.mutate(person_id=ibis.null("string")).select("person_id", "crime_ref", "cluster_id")))
    return (found[0], found[1])
