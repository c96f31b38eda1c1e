"""Duplicated nominals linked with Splink: person clusters proposed from linkage tokens, stored per run.

The same person often has two RMS nominal records (two ids), and some crimes carry a name but
no id. :func:`link_people` compares one record per nominal (:mod:`.nominals`) on the keyed-hash
tokens made at ingest (full name, forename, surname, their Metaphone codes, year and month of
birth; only exact comparisons are possible on tokens), an approximate birth year from the
recorded age, sex and district, with a Fellegi-Sunter model (Splink 4). Victims are compared
with victims and suspects with suspects. Pairs at or above the threshold are joined into
clusters (connected components).

**Deterministic ids always win.** A record *is* a nominal id (or an id-less crime), so a
cluster can join ids but never split one; every crime of an id is in its cluster. A cluster's
id is the smallest person id in it (``crime:<ref>`` if it holds only id-less crimes), so it is
stable and reads like any other person id: the linkage uses ``coalesce(cluster_id, person_id)``
(:func:`latest_clusters`).

Each run is stored whole or not at all (``link_runs``, ``person_clusters`` for the members of
clusters of two or more, ``link_pairs`` for the scored pairs worth reviewing, with the level and
weight of each comparison: the match weights shown). Nothing is overwritten: readers take the
latest run.

Engines: Splink runs in an in-process, in-memory DuckDB fed with Arrow read from the store
through Ibis, whatever the store's engine; for a PostgreSQL store the results are written back
to PostgreSQL. (On a DuckDB store, running Splink on the store's own connection would leave
Splink's many scratch tables in the store file, which holds only the tool's append-only tables.)

The model, its comparisons and how it is fitted are in :mod:`.link_model`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile import __version__
from stalking_profile.errors import ConfigError
from stalking_profile.people.link_model import (
    COMPARISON_COLUMNS,
    fit_model,
    pair_columns_sql,
    quiet,
    splink_linker,
)
from stalking_profile.people.nominals import (
    ROLES,
    UNIDENTIFIED_PREFIX,
    PersonRecords,
    has_linkage_tokens,
    person_records,
)
from stalking_profile.store import tables
from stalking_profile.store.connection import Store
from stalking_profile.store.loader import transaction

__all__ = [
    "DEFAULT_THRESHOLD", "NO_TOKENS", "LinkOptions", "LinkResult", "RoleLink", "cluster_pairs",
    "latest_clusters", "latest_run", "latest_unidentified", "link_people",
]  # fmt: skip

#: Default match probability at or above which two records are the same person.
DEFAULT_THRESHOLD = 0.95
NO_TOKENS = "no linkage tokens in the store; nothing to cluster"
_REVIEW_FLOOR = 0.5  # pairs stored for review: at least as likely a match as not (or above a lower threshold)


@dataclass(frozen=True)
class LinkOptions:
    """What to link and how.

    ``threshold``: match probability at or above which two records are merged. ``roles``:
    ``victim``, ``suspect`` or both. ``as_of``: the store as it stood after that batch.
    ``seed``: seed of the random pair sample for u (a positive whole number: same seed, same
    model). ``max_pairs``: pairs sampled for u. ``training_rows``: most crime appearances used
    to estimate m.
    """

    threshold: float = DEFAULT_THRESHOLD
    roles: tuple[str, ...] = ROLES
    as_of: int | None = None
    seed: int = 1
    max_pairs: int = 2_000_000
    training_rows: int = 50_000

    def check(self) -> None:
        """Refuse options that cannot work, naming the fix."""
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"the threshold must be a match probability between 0 and 1, not {self.threshold}",
                              "give e.g. --threshold 0.95")
        bad = [r for r in self.roles if r not in ROLES]
        if bad or not self.roles:
            raise ConfigError(f"unknown role {', '.join(bad) or '(none)'}", "use --role victim, suspect or both")
        if isinstance(self.seed, bool) or self.seed < 1:
            raise ConfigError(f"the seed must be a whole number of 1 or more, not {self.seed}", "give e.g. --seed 1")


@dataclass(frozen=True)
class RoleLink:
    """What the run found for one role."""

    role: str
    records: int = 0
    records_with_tokens: int = 0
    records_without_id: int = 0
    pairs_scored: int = 0
    pairs_merged: int = 0
    clusters: int = 0  # clusters of two or more records
    ids_merged: int = 0  # person ids that share their cluster with another id
    unidentified_attached: int = 0  # id-less crimes joined to a person id
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkResult:
    """A run: its id (None when nothing was run), a one-line message, per-role figures and tables.

    ``clusters`` has the ``person_clusters`` columns and ``pairs`` the ``link_pairs`` columns
    (both without ``run_id``): pseudonymous ids and crime references only, never names.
    """

    run_id: int | None
    message: str
    threshold: float
    roles: tuple[RoleLink, ...] = ()
    clusters: pa.Table = field(default_factory=lambda: _empty(tables.PERSON_CLUSTERS))
    pairs: pa.Table = field(default_factory=lambda: _empty(tables.LINK_PAIRS))
    seconds: float = 0.0


def _empty(name: str) -> pa.Table:
    return tables.SCHEMAS[name].to_pyarrow().empty_table().drop_columns(["run_id"])


def _key_sql(side: str) -> str:
    uid = f"unique_id_{side}"
    return (f"CASE WHEN starts_with({uid}, '{UNIDENTIFIED_PREFIX}') THEN NULL ELSE {uid} END AS person_id_{side}, "
            f"CASE WHEN starts_with({uid}, '{UNIDENTIFIED_PREFIX}') THEN substr({uid}, {len(UNIDENTIFIED_PREFIX) + 1}) "
            f"END AS crime_ref_{side}")


_CLUSTERS_SQL = f"""
    WITH members AS (
        SELECT c.cluster_id AS splink_cluster, c.unique_id,
               CASE WHEN starts_with(c.unique_id, '{UNIDENTIFIED_PREFIX}') THEN NULL ELSE c.unique_id END AS person_id,
               count(*) OVER (PARTITION BY c.cluster_id) AS cluster_size
        FROM {{clusters}} c),
    edges AS (
        SELECT unique_id_l AS unique_id, match_weight, match_probability FROM {{pairs}} WHERE match_probability >= $1
        UNION ALL
        SELECT unique_id_r, match_weight, match_probability FROM {{pairs}} WHERE match_probability >= $1),
    best AS (SELECT unique_id, max(match_weight) AS w, max(match_probability) AS p FROM edges GROUP BY unique_id)
    SELECT $2 AS role, m.person_id,
           CASE WHEN m.person_id IS NULL THEN substr(m.unique_id, {len(UNIDENTIFIED_PREFIX) + 1}) END AS crime_ref,
           coalesce(min(m.person_id) OVER (PARTITION BY m.splink_cluster),
                    min(m.unique_id) OVER (PARTITION BY m.splink_cluster)) AS cluster_id,
           m.cluster_size, b.w AS best_match_weight, b.p AS best_match_probability
    FROM members m LEFT JOIN best b USING (unique_id)
    WHERE m.cluster_size > 1
    ORDER BY cluster_id, m.unique_id"""


def _link_role(people: PersonRecords, options: LinkOptions) -> tuple[RoleLink, pa.Table, pa.Table]:
    """Model, score and cluster one role's records; its figures, cluster members and review pairs."""
    data = people.records.filter(people.records["has_tokens"]).select(["unique_id", *COMPARISON_COLUMNS])
    base = RoleLink(people.role, people.records.num_rows, people.with_tokens, people.without_id)
    if data.num_rows < 2:
        return base, _empty(tables.PERSON_CLUSTERS), _empty(tables.LINK_PAIRS)
    model, summary = fit_model(data, people.appearances, options.seed, options.max_pairs, options.training_rows)
    con = duckdb.connect()
    try:
        with quiet():
            linker = splink_linker(data, model, con)
            scored = linker.inference.predict()
            clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
                scored, threshold_match_probability=options.threshold)
        pairs_name, clusters_name = scored.physical_name, clustered.physical_name
        scored_count = con.execute(f"SELECT count(*) FROM {pairs_name}").fetchone()
        members = con.execute(_CLUSTERS_SQL.format(clusters=clusters_name, pairs=pairs_name),
                              [options.threshold, people.role]).fetch_arrow_table()
        review = con.execute(
            f"SELECT $1 AS role, {_key_sql('l')}, {_key_sql('r')}, match_weight, match_probability, "
            f"match_probability >= $2 AS merged, {pair_columns_sql(model)} FROM {pairs_name} "
            f"WHERE match_probability >= $3 ORDER BY match_probability DESC, unique_id_l, unique_id_r",
            [people.role, options.threshold, min(_REVIEW_FLOOR, options.threshold)]).fetch_arrow_table()
    finally:
        con.close()
    members = members.cast(_empty(tables.PERSON_CLUSTERS).schema)
    review = review.cast(_empty(tables.LINK_PAIRS).schema)
    clusters, ids_merged, attached = _figures(members)
    role = replace(base, pairs_scored=int(scored_count[0] if scored_count else 0),
                   pairs_merged=int(pc.sum(review["merged"]).as_py() or 0), clusters=clusters, ids_merged=ids_merged,
                   unidentified_attached=attached, parameters=summary)
    return role, members, review


def _figures(members: pa.Table) -> tuple[int, int, int]:
    """Clusters, ids merged (ids sharing a cluster with another id) and id-less crimes attached."""
    rows = members.select(["cluster_id", "person_id"]).to_pylist()
    ids: dict[str, int] = {}
    for row in rows:
        ids[row["cluster_id"]] = ids.get(row["cluster_id"], 0) + (row["person_id"] is not None)
    merged = sum(n for n in ids.values() if n > 1)
    attached = sum(1 for row in rows if row["person_id"] is None and ids[row["cluster_id"]] > 0)
    return len(ids), merged, attached


def link_people(store: Store, options: LinkOptions | None = None) -> LinkResult:
    """Propose person clusters of duplicated nominals with Splink and store them as a new run.

    Parameters
    ----------
    store : Store
        An open store, DuckDB or PostgreSQL.
    options : LinkOptions, optional
        Threshold, roles, ``as_of`` batch and seed; the defaults link victims and suspects at a
        match probability of 0.95.

    Returns
    -------
    LinkResult
        The run id and figures per role, the cluster members and the pairs for review. With no
        linkage tokens in the store (an extract without names or dates of birth) nothing is run
        or written, and the message says so.

    Raises
    ------
    ConfigError
        The threshold, a role or the seed is not valid.

    Notes
    -----
    Fellegi-Sunter record linkage (Fellegi and Sunter, 1969, JASA 64:1183) as implemented by
    Splink 4 (Linacre et al., 2022, IJPDS 7(3)); :mod:`.link_model` gives the comparisons and
    how the model is fitted. Deterministic ids are never split.

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> with open_store(":memory:") as store:
    ...     link_people(store).message
    'no linkage tokens in the store; nothing to cluster'
    """
    options = options or LinkOptions()
    options.check()
    last = store.last_batch_id()
    if options.as_of is not None and (last is None or not 1 <= options.as_of <= last):
        raise ConfigError(f"--as-of {options.as_of} is not a batch of this store (batches 1 to {last or 0})",
                          "see `stalking-profile info` for the batches")
    if options.as_of is None and last is not None:
        options = replace(options, as_of=last)  # the run records the store state it linked
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    t0 = time.perf_counter()
    if not has_linkage_tokens(store):
        return LinkResult(None, NO_TOKENS, options.threshold)
    results = [_link_role(person_records(store, role, options.as_of), options) for role in options.roles]
    if not any(r.records_with_tokens for r, _, _ in results):
        return LinkResult(None, NO_TOKENS, options.threshold, tuple(r for r, _, _ in results))
    roles = tuple(r for r, _, _ in results)
    clusters = pa.concat_tables([c for _, c, _ in results])
    pairs = pa.concat_tables([p for _, _, p in results])
    run_id = _write_run(store, options, started, roles, clusters, pairs)
    merged = sum(r.ids_merged for r in roles)
    message = (f"run {run_id}: {sum(r.clusters for r in roles):,} clusters merge {merged:,} ids "
               f"(match probability >= {options.threshold:g})")
    return LinkResult(run_id, message, options.threshold, roles, clusters, pairs, time.perf_counter() - t0)


def _write_run(store: Store, options: LinkOptions, started: dt.datetime, roles: tuple[RoleLink, ...],
               clusters: pa.Table, pairs: pa.Table) -> int:
    """Write the run row, its clusters and pairs in one transaction (all or nothing); the run id."""
    import splink

    finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run = {
        "started_at": started, "finished_at": finished, "roles": ",".join(r.role for r in roles),
        "as_of": options.as_of, "threshold": options.threshold, "seed": options.seed,
        "records": sum(r.records for r in roles), "records_with_tokens": sum(r.records_with_tokens for r in roles),
        "pairs_scored": sum(r.pairs_scored for r in roles), "pairs_merged": sum(r.pairs_merged for r in roles),
        "clusters": sum(r.clusters for r in roles), "ids_merged": sum(r.ids_merged for r in roles),
        "parameters": json.dumps({r.role: _role_json(r) for r in roles}, sort_keys=True),
        "tool_version": __version__, "splink_version": splink.__version__,
    }  # fmt: skip
    schema = tables.SCHEMAS[tables.LINK_RUNS].to_pyarrow()
    row = pa.table({k: [v] for k, v in run.items()}, schema=pa.schema([schema.field(k) for k in run]))
    with transaction(store) as tx:
        if store.engine == "postgres":
            tx.execute(f"LOCK TABLE {tables.LINK_RUNS} IN EXCLUSIVE MODE")
        run_id = int(tx.execute(f"SELECT COALESCE(MAX(run_id), 0) + 1 FROM {tables.LINK_RUNS}")[0][0])
        for stage, target, data in (("_sp_stage_link_run", tables.LINK_RUNS, row),
                                    ("_sp_stage_clusters", tables.PERSON_CLUSTERS, clusters),
                                    ("_sp_stage_pairs", tables.LINK_PAIRS, pairs)):
            tx.stage(stage, target, data)
            cols = ", ".join(data.column_names)
            tx.execute(f"INSERT INTO {target} (run_id, {cols}) SELECT {run_id}, {cols} FROM {stage}")
    return run_id


def _role_json(r: RoleLink) -> dict[str, Any]:
    figures = {k: getattr(r, k) for k in ("records", "records_with_tokens", "records_without_id", "pairs_scored",
                                          "pairs_merged", "clusters", "ids_merged", "unidentified_attached")}
    return {**figures, **r.parameters}


def latest_run(store: Store, role: str, as_of: int | None = None) -> int | None:
    """The run whose clusters stand for ``role``: the latest, or with ``as_of`` the latest run that
    the store held after batch ``as_of`` (made on that batch or an earlier one, and finished before
    the next batch began), so that a figure published then can be reproduced."""
    runs = store.table(tables.LINK_RUNS)
    runs = runs.filter(runs.roles.contains(role))
    if as_of is not None:
        runs = runs.filter(runs.as_of <= as_of)
        batches = store.table(tables.BATCHES)
        later = batches.filter(batches.batch_id > as_of).started_at.min().to_pyarrow().as_py()
        if later is not None:
            runs = runs.filter(runs.finished_at < ibis.literal(later))
    value = runs.run_id.max().to_pyarrow().as_py()
    return None if value is None else int(value)


def latest_clusters(store: Store, role: str, as_of: int | None = None) -> ibis.Table | None:
    """``person_id, cluster_id`` of the latest run that linked ``role``; None if there has been none.

    Only ids in clusters of two or more records are listed, so a person's key is
    ``coalesce(cluster_id, person_id)``. Each person id appears at most once.

    Examples
    --------
    >>> from stalking_profile.store.connection import open_store
    >>> with open_store(":memory:") as store:
    ...     latest_clusters(store, "victim") is None
    True
    """
    run = latest_run(store, role, as_of)
    if run is None:
        return None
    t = store.table(tables.PERSON_CLUSTERS)
    return t.filter((t.run_id == run) & (t.role == role) & t.person_id.notnull()).select("person_id", "cluster_id")


def latest_unidentified(store: Store, role: str, as_of: int | None = None) -> ibis.Table | None:
    """``crime_ref, cluster_id`` of the latest run's id-less crimes that were joined to a cluster.

    A crime whose ``role`` has no id but a name or birth date can be attached to a person this
    way; None if there has been no run for ``role``.
    """
    run = latest_run(store, role, as_of)
    if run is None:
        return None
    t = store.table(tables.PERSON_CLUSTERS)
    return t.filter((t.run_id == run) & (t.role == role) & t.person_id.isnull()).select("crime_ref", "cluster_id")


def cluster_pairs(store: Store, role: str | None = None, run_id: int | None = None) -> ibis.Table | None:
    """The scored pairs of a run (the latest by default) for review, with their match weights.

    Pairs at or above a match probability of 0.5 (or the run's threshold, if lower) are kept;
    ``merged`` marks those at or above the threshold. Each comparison's level and partial
    weight (``name_level``, ``name_weight`` ...) show why. Ids are pseudonymous tokens.
    None when there is no such run.
    """
    if run_id is None:
        runs = store.table(tables.LINK_RUNS)
        if role is not None:
            runs = runs.filter(runs.roles.contains(role))
        value = runs.run_id.max().to_pyarrow().as_py()
        if value is None:
            return None
        run_id = int(value)
    t = store.table(tables.LINK_PAIRS)
    t = t.filter(t.run_id == run_id)
    if role is not None:
        t = t.filter(t.role == role)
    return t.order_by([ibis.desc("match_probability"), "role", "person_id_l", "crime_ref_l", "person_id_r",
                       "crime_ref_r"])
