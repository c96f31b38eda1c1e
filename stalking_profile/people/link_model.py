"""The Splink model that links duplicated nominals: its comparisons, and how it is fitted.

Fellegi-Sunter record linkage (Fellegi and Sunter, 1969, JASA 64:1183) as implemented by
Splink 4 (Linacre et al., 2022, IJPDS 7(3)), in an in-memory DuckDB. Only exact comparisons
are possible on keyed-hash tokens (:func:`model_settings`).

Fitting (:func:`fit_model`): u probabilities by random sampling of record pairs with an
explicit seed; m probabilities from the pairs of crime appearances that the deterministic ids
already link (the same id on two crimes is the same person: known matches), or, where a store
has fewer than :data:`MIN_LABELLED_PAIRS` of them, by expectation maximisation. EM alone was
tried first on the nominals: with duplicates rare (a few per cent of people) and names that
predict sex and district, it settled on "same sex, same forename" instead of "same person"
(m of a shared birth month 0.26-0.59, where the same person's crimes agree 0.98 of the time).
Every m is then at least 0.01 (no level is impossible for the same person: a typo, a wrong
birth date), a level never seen among random pairs is neutral, and the prior comes from the
pairs agreeing on full name and birth month, taken to be 80% of the true matches.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from stalking_profile.schema.columns import TOKEN_TYPES

__all__ = ["COMPARISON_COLUMNS", "MIN_LABELLED_PAIRS", "fit_model", "model_settings", "pair_columns_sql", "quiet",
           "splink_linker"]

#: Below this many same-id pairs of crime appearances, m probabilities come from EM instead.
MIN_LABELLED_PAIRS = 100
#: Columns a record needs besides ``unique_id``.
COMPARISON_COLUMNS = (*TOKEN_TYPES, "approx_birth_year", "sex", "district")
_M_FLOOR = 0.01
_PRIOR_RECALL = 0.8  # share of true duplicate pairs assumed to agree on full name and birth month


def model_settings() -> Any:
    """The Splink settings: comparisons, prediction blocking rules and their labels.

    Comparisons (only exact comparisons are possible on keyed-hash tokens):

    - ``name``: full name; forename and surname (a middle name differs); both Metaphone codes
      (a spelling variant); surname only; forename only; else. Full-name agreement is weighted
      by how common the name is (term-frequency adjustment).
    - ``birth_date``: month of birth; year of birth; else.
    - ``approx_birth_year``: recorded year minus age within 1 year; within 3; else. Used only
      when one of the two lacks a birth-date token, so the two are never counted twice.
    - ``sex`` and ``district``: same or different.

    Each comparison starts from prior m probabilities (about 0.85-0.97 on the exact levels),
    kept only where the data cannot estimate them (:func:`fit_model`).

    Candidate pairs: same full name and birth year; same surname or forename and birth month;
    both Metaphone codes and birth year; same full name and district.

    Returns
    -------
    splink.SettingsCreator
        Settings for a ``dedupe_only`` model keyed on ``unique_id``.

    Examples
    --------
    >>> [c.create_output_column_name() for c in model_settings().comparisons]
    ['name', 'birth_date', 'approx_birth_year', 'sex', 'district']
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def exact(column: str, label: str, tf: bool = False) -> Any:
        return cll.ExactMatchLevel(column, term_frequency_adjustments=tf).configure(label_for_charts=label)

    def both(a: str, b: str, label: str) -> Any:
        return cll.And(cll.ExactMatchLevel(a), cll.ExactMatchLevel(b)).configure(label_for_charts=label)

    def same_or_not(column: str, m_same: float) -> Any:
        return cl.CustomComparison(output_column_name=column, comparison_levels=[
            cll.NullLevel(column).configure(label_for_charts="missing"), exact(column, "same"),
            cll.ElseLevel().configure(label_for_charts="different")]).configure(m_probabilities=[m_same, 1 - m_same])

    ages_only = ("approx_birth_year_l IS NULL OR approx_birth_year_r IS NULL "
                 "OR (birth_year_l IS NOT NULL AND birth_year_r IS NOT NULL)")
    comparisons = [
        cl.CustomComparison(output_column_name="name", comparison_levels=[
            cll.NullLevel("full_name").configure(label_for_charts="missing"),
            exact("full_name", "full name", tf=True),
            both("forename", "surname", "forename and surname"),
            both("forename_phonetic", "surname_phonetic", "names sound alike"),
            exact("surname", "surname only"),
            exact("forename", "forename only"),
            cll.ElseLevel().configure(label_for_charts="different")]).configure(
                m_probabilities=[0.85, 0.03, 0.04, 0.03, 0.03, 0.02]),
        cl.CustomComparison(output_column_name="birth_date", comparison_levels=[
            cll.NullLevel("birth_year").configure(label_for_charts="missing"),
            exact("birth_month", "month of birth"),
            exact("birth_year", "year of birth"),
            cll.ElseLevel().configure(label_for_charts="different")]).configure(m_probabilities=[0.9, 0.05, 0.05]),
        cl.CustomComparison(output_column_name="approx_birth_year", comparison_levels=[
            cll.CustomLevel(ages_only, "missing or birth dates compared").configure(is_null_level=True),
            cll.CustomLevel("abs(approx_birth_year_l - approx_birth_year_r) <= 1", "within 1 year"),
            cll.CustomLevel("abs(approx_birth_year_l - approx_birth_year_r) <= 3", "within 3 years"),
            cll.ElseLevel().configure(label_for_charts="different")]).configure(m_probabilities=[0.85, 0.1, 0.05]),
        same_or_not("sex", 0.97),
        same_or_not("district", 0.8),
    ]  # fmt: skip
    rules: list[Any] = [
        block_on("full_name", "birth_year"), block_on("surname", "birth_month"), block_on("forename", "birth_month"),
        block_on("forename_phonetic", "surname_phonetic", "birth_year"), block_on("full_name", "district")]
    return SettingsCreator(link_type="dedupe_only", comparisons=comparisons,
                           blocking_rules_to_generate_predictions=rules,
                           retain_intermediate_calculation_columns=True)


@contextmanager
def quiet() -> Iterator[None]:
    """Splink logs every training step at INFO and untrained levels at WARNING: keep it for errors."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def splink_linker(data: pa.Table, settings: Any, con: duckdb.DuckDBPyConnection) -> Any:
    """A Splink linker over ``data`` in the in-memory DuckDB ``con`` (one linker per connection)."""
    from splink import DuckDBAPI, Linker

    return Linker(data, settings, DuckDBAPI(con), set_up_basic_logging=False)


def _labelled_pairs(appearances: pa.Table) -> int:
    """Pairs of crime appearances under the same person id: known matches."""
    counts = appearances["person_id"].drop_null().value_counts().field("counts").to_pylist()
    return sum(k * (k - 1) // 2 for k in counts)


def _training_sample(appearances: pa.Table, rows: int, seed: int) -> pa.Table:
    """At most ``rows`` appearances, whole nominals at a time, chosen by a seeded hash."""
    if appearances.num_rows <= rows:
        return appearances
    con = duckdb.connect()
    try:
        con.register("a", appearances)
        return con.execute(f"SELECT * FROM a ORDER BY md5(node || ':{int(seed)}'), unique_id "
                           f"LIMIT {int(rows)}").fetch_arrow_table()
    finally:
        con.close()


def _settle(model: dict[str, Any]) -> None:
    """m of every observed level at least ``_M_FLOOR`` (renormalised); a level never seen among
    random pairs (no u) is made neutral, since its weight cannot be estimated."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        known = [lv for lv in levels if isinstance(lv.get("u_probability"), float) and lv["u_probability"] > 0]
        for lv in levels:
            if lv not in known:
                lv["m_probability"] = lv["u_probability"] = 1e-6
        m = [max(float(lv["m_probability"]) if isinstance(lv.get("m_probability"), float) else 0.0, _M_FLOOR)
             for lv in known]
        for lv, value in zip(known, m, strict=True):
            lv["m_probability"] = value / sum(m)


def _prior(records: pa.Table) -> float:
    """Probability that two random records match: pairs agreeing on full name and birth month,
    over the assumed recall of that rule, over all pairs (at least one such pair is assumed)."""
    con = duckdb.connect()
    try:
        con.register("r", records)
        agreeing = con.execute("SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM r "
                               "WHERE full_name IS NOT NULL AND birth_month IS NOT NULL "
                               "GROUP BY full_name, birth_month)").fetchone()
    finally:
        con.close()
    n = records.num_rows
    return float(min(max(float(agreeing[0] if agreeing else 0), 1.0) / _PRIOR_RECALL / (n * (n - 1) / 2), 0.5))


@contextmanager
def _connection() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    try:
        yield con
    finally:
        con.close()


def _m_from_ids(sample: pa.Table, model: dict[str, Any]) -> dict[str, Any]:
    """m from the pairs of appearances under one person id (known matches); the priors are
    dropped first, so a level those pairs never show gets the floor, not its prior."""
    model = json.loads(json.dumps(model))
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("m_probability", None)
    with _connection() as con:
        trainer = splink_linker(sample.drop_columns(["node"]), model, con)
        trainer.training.estimate_m_from_label_column("person_id")
        return dict(trainer.misc.save_model_to_json())


def _m_by_em(sample: pa.Table, model: dict[str, Any]) -> dict[str, Any]:
    """m by EM, blocked on birth month (trains the names) then on full name (the birth date).

    A rule that gives no pairs is skipped and its comparisons keep their priors (each session
    starts from the last good model: a failed one leaves its linker's settings half-changed).
    """
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException

    for rule in (block_on("birth_month"), block_on("full_name")):
        with _connection() as con:
            trainer = splink_linker(sample.drop_columns(["node"]), model, con)
            try:
                trainer.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True)
            except EMTrainingException:
                continue
            model = trainer.misc.save_model_to_json()
    return model


def fit_model(records: pa.Table, appearances: pa.Table, seed: int, max_pairs: int = 2_000_000,
              training_rows: int = 50_000) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fit the linkage model: u on ``records``, m on ``appearances``, then the prior.

    Parameters
    ----------
    records : pyarrow.Table
        One row per record to link: ``unique_id`` and :data:`COMPARISON_COLUMNS`.
    appearances : pyarrow.Table
        One row per crime with tokens: ``unique_id`` (the crime), ``person_id``, ``node`` and
        :data:`COMPARISON_COLUMNS`; pairs under one ``person_id`` are known matches.
    seed : int
        Seed (1 or more) of the random pair sample for u and of the training sample.
    max_pairs : int
        Pairs sampled for u.
    training_rows : int
        Most appearances used for m (whole nominals, chosen by a seeded hash).

    Returns
    -------
    tuple of dict
        The model as a Splink settings dict, and a summary: where m came from, the numbers
        of pairs and rows used, the prior, and m, u and weight of every level.

    Examples
    --------
    >>> import pyarrow as pa
    >>> rows = [{"unique_id": f"p{i}", "person_id": f"p{i // 2}", "node": f"p{i // 2}",
    ...          **dict.fromkeys(COMPARISON_COLUMNS)} for i in range(6)]
    >>> for i, row in enumerate(rows):
    ...     row.update(full_name=f"n{i // 2}", birth_month=f"m{i // 2}", birth_year="y", sex="f")
    >>> table = pa.Table.from_pylist(rows)
    >>> model, summary = fit_model(table.drop_columns(["person_id", "node"]), table, seed=1)
    >>> summary["m_from"], 0 < summary["prior"] <= 0.5
    ('em', True)
    """
    with quiet():
        sample = _training_sample(appearances, training_rows, seed)
        labelled = _labelled_pairs(sample)
        with _connection() as con:
            sampler = splink_linker(records, model_settings(), con)
            sampler.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
            model = sampler.misc.save_model_to_json()
        model = _m_from_ids(sample, model) if labelled >= MIN_LABELLED_PAIRS else _m_by_em(sample, model)
    _settle(model)
    model["probability_two_random_records_match"] = _prior(records)
    summary = {"m_from": "ids" if labelled >= MIN_LABELLED_PAIRS else "em", "labelled_pairs": labelled,
               "training_appearances": sample.num_rows, "u_max_pairs": max_pairs, "seed": seed,
               "prior": model["probability_two_random_records_match"], "comparisons": _levels_summary(model)}
    return model, summary


def _levels_summary(model: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """Per comparison and level: m, u and the match weight log2(m/u)."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for comparison in model["comparisons"]:
        levels = out.setdefault(comparison["output_column_name"], {})
        for lv in comparison["comparison_levels"]:
            if not lv.get("is_null_level"):
                m, u = float(lv["m_probability"]), float(lv["u_probability"])
                levels[lv["label_for_charts"]] = {"m": round(m, 6), "u": round(u, 8),
                                                  "weight": round(math.log2(m / u), 3)}
    return out


def pair_columns_sql(model: dict[str, Any]) -> str:
    """Per comparison: its level's label and its partial match weight (with the name frequency)."""
    parts = []
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = comparison["comparison_levels"]
        observed = [lv for lv in levels if not lv.get("is_null_level")]
        whens = [f"WHEN gamma_{name} = {len(observed) - 1 - i} THEN '{lv['label_for_charts']}'"
                 for i, lv in enumerate(observed)]
        null = next((lv["label_for_charts"] for lv in levels if lv.get("is_null_level")), "missing")
        tf = f" * coalesce(bf_tf_adj_{name}, 1)" if any(lv.get("tf_adjustment_column") for lv in levels) else ""
        parts.append(f"CASE {' '.join(whens)} ELSE '{null}' END AS {name}_level, "
                     f"log2(bf_{name}{tf}) AS {name}_weight")
    return ", ".join(parts)
