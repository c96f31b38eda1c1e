"""Table names and Ibis schemas of the store: the only place they are spelled out."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
from ibis.expr.schema import Schema

from stalking_profile.schema.columns import CRIME_COLUMNS, TOKEN_TYPES

__all__ = [
    "AUDIT_ANSWERS",
    "AUDIT_REVIEWS",
    "AUDIT_SAMPLES",
    "AUDIT_SAMPLE_CRIMES",
    "BATCHES",
    "CRIMES",
    "CURRENT_CRIMES",
    "GEO_IMPORTS",
    "GEO_LAYERS",
    "LINKAGE_TOKENS",
    "LINK_COMPARISONS",
    "LINK_PAIRS",
    "LINK_RUNS",
    "META",
    "MIGRATIONS",
    "MO_DETECTIONS",
    "PERSON_CLUSTERS",
    "POLICEUK",
    "REFERRAL_EVENTS",
    "REJECTED_ROWS",
    "RISK_FORMS",
    "RISK_FORM_ANSWERS",
    "ROW_ISSUES",
    "SCHEMAS",
    "SPO_EVENTS",
    "TRAINING_COMPLETIONS",
    "crime_schema",
]

MIGRATIONS = "schema_migrations"
META = "meta"
BATCHES = "batches"
CRIMES = "crimes"
ROW_ISSUES = "row_issues"
REJECTED_ROWS = "rejected_rows"
LINKAGE_TOKENS = "linkage_tokens"
CURRENT_CRIMES = "current_crimes"
GEO_IMPORTS = "geo_imports"
POLICEUK = "policeuk_crimes"
#: Probabilistic linkage of duplicated nominals (`stalking-profile link`): one row per run, the
#: merged clusters of each run (members of clusters of two or more only) and its scored pairs.
LINK_RUNS = "link_runs"
PERSON_CLUSTERS = "person_clusters"
LINK_PAIRS = "link_pairs"
#: Comparisons of the linkage model, each stored in ``link_pairs`` as ``<name>_level`` and ``<name>_weight``.
LINK_COMPARISONS = ("name", "birth_date", "approx_birth_year", "sex", "district")
#: Completed risk forms (DASH, S-DASH, DARA), one row per form, and their answers, one row per answered question.
RISK_FORMS = "risk_forms"
RISK_FORM_ANSWERS = "risk_form_answers"
#: Technology detections by MO-text hash and detector version: derived data, re-made at will.
MO_DETECTIONS = "mo_detections"
#: Stalking Protection Order case events, append-only, one row per event (`stalking-profile spo`).
SPO_EVENTS = "spo_events"
#: Victim referrals (offered, made, accepted, declined), append-only, one row per event (`stalking-profile referral`).
REFERRAL_EVENTS = "referral_events"
#: Officer training completions, append-only, one row per officer and course; officers only as keyed tokens
#: (`stalking-profile training`).
TRAINING_COMPLETIONS = "training_completions"
#: Dip-sample audits (`stalking-profile audit`): each drawn sample (one batch) and its crimes, then the
#: reviews imported from the completed checklist, append-only, with one answer row per checklist item.
AUDIT_SAMPLES = "audit_samples"
AUDIT_SAMPLE_CRIMES = "audit_sample_crimes"
AUDIT_REVIEWS = "audit_reviews"
AUDIT_ANSWERS = "audit_answers"
#: Geography layers and their tables.
GEO_LAYERS = {"lookup": "geo_lookup", "ward_population": "geo_ward_population", "imd": "geo_lsoa_imd",
              "ward_boundaries": "geo_ward_boundaries", "lsoa_boundaries": "geo_lsoa_boundaries",
              "lsoa_population": "geo_lsoa_population"}

_KIND_TYPES: dict[str, dt.DataType] = {
    "text": dt.string,
    "code": dt.string,
    "enum": dt.string,
    "person": dt.string,
    "date": dt.date,
    "bool": dt.boolean,
    "int": dt.int32,
    "float": dt.float64,
}


def crime_schema() -> Schema:
    """Stored crime record: batch, source row, linkage-token hash, then the canonical columns."""
    fields: dict[str, dt.DataType] = {"batch_id": dt.int64, "row_number": dt.int64, "linkage_hash": dt.string}
    for col in CRIME_COLUMNS:
        if col.stored:
            fields[col.name] = _KIND_TYPES[col.kind]
    fields["outcome_type"] = dt.string
    return ibis.schema(fields)


SCHEMAS: dict[str, Schema] = {
    MO_DETECTIONS: ibis.schema({"detector": "string", "text_hash": "string", "detected": "boolean",
                                "terms": "string", "categories": "string"}),
    MIGRATIONS: ibis.schema({"version": "int64", "description": "string", "applied_at": "timestamp"}),
    META: ibis.schema({"key": "string", "value": "string"}),
    BATCHES: ibis.schema(
        {
            "batch_id": "int64",
            "source_kind": "string",
            "file_name": "string",
            "file_sha256": "string",
            "file_format": "string",
            "encoding": "string",
            "mapping": "string",
            "key_fingerprint": "string",
            "tool_version": "string",
            "started_at": "timestamp",
            "finished_at": "timestamp",
            "rows_read": "int64",
            "rows_accepted": "int64",
            "rows_rejected": "int64",
            "rows_new": "int64",
            "rows_changed": "int64",
            "rows_unchanged": "int64",
            "rows_warned": "int64",
        }
    ),
    CRIMES: crime_schema(),
    ROW_ISSUES: ibis.schema(
        {
            "batch_id": "int64",
            "row_number": "int64",
            "crime_ref": "string",
            "column_name": "string",
            "severity": "string",
            "reason": "string",
        }
    ),
    REJECTED_ROWS: ibis.schema(
        {"batch_id": "int64", "row_number": "int64", "crime_ref": "string", "reasons": "string", "raw_json": "string"}
    ),
    LINKAGE_TOKENS: ibis.schema(
        {"batch_id": "int64", "crime_ref": "string", "role": "string", **{t: "string" for t in TOKEN_TYPES}}
    ),
    LINK_RUNS: ibis.schema(
        {"run_id": "int64", "started_at": "timestamp", "finished_at": "timestamp", "roles": "string",
         "as_of": "int64", "threshold": "float64", "seed": "int64", "records": "int64",
         "records_with_tokens": "int64", "pairs_scored": "int64", "pairs_merged": "int64", "clusters": "int64",
         "ids_merged": "int64", "parameters": "string", "tool_version": "string", "splink_version": "string"}
    ),
    PERSON_CLUSTERS: ibis.schema(
        {"run_id": "int64", "role": "string", "person_id": "string", "crime_ref": "string", "cluster_id": "string",
         "cluster_size": "int64", "best_match_weight": "float64", "best_match_probability": "float64"}
    ),
    LINK_PAIRS: ibis.schema(
        {"run_id": "int64", "role": "string", "person_id_l": "string", "crime_ref_l": "string",
         "person_id_r": "string", "crime_ref_r": "string", "match_weight": "float64",
         "match_probability": "float64", "merged": "boolean",
         **{f"{c}_{part}": kind for c in LINK_COMPARISONS
            for part, kind in (("level", "string"), ("weight", "float64"))}}
    ),
    GEO_IMPORTS: ibis.schema(
        {"import_id": "int64", "layer": "string", "file_name": "string", "file_sha256": "string",
         "vintage": "string", "imported_at": "timestamp", "rows": "int64", "note": "string"}
    ),
    GEO_LAYERS["lookup"]: ibis.schema(
        {"import_id": "int64", "lsoa_code": "string", "lsoa_name": "string", "ward_code": "string",
         "ward_name": "string", "lad_code": "string", "district": "string"}
    ),
    GEO_LAYERS["ward_population"]: ibis.schema(
        {"import_id": "int64", "ward_code": "string", "ward_name": "string", "district": "string",
         "population": "int64", "population_20_29": "int64"}
    ),
    GEO_LAYERS["imd"]: ibis.schema({"import_id": "int64", "lsoa_code": "string", "imd_rank": "int64",
                                    "imd_decile": "int64"}),
    POLICEUK: ibis.schema(
        {"batch_id": "int64", "row_number": "int64", "crime_id": "string", "month": "string",
         "reported_by": "string", "falls_within": "string", "longitude": "float64", "latitude": "float64",
         "location": "string", "lsoa_code": "string", "crime_type": "string", "last_outcome": "string"}
    ),
    **{GEO_LAYERS[layer]: ibis.schema({"import_id": "int64", "area_code": "string", "area_name": "string",
                                      "district": "string", "geometry_wkb": "binary"})
       for layer in ("ward_boundaries", "lsoa_boundaries")},
    GEO_LAYERS["lsoa_population"]: ibis.schema({"import_id": "int64", "lsoa_code": "string", "population": "int64"}),
    RISK_FORMS: ibis.schema(
        {"batch_id": "int64", "form_id": "int64", "row_number": "int64", "crime_ref": "string",
         "form_type": "string", "completed_date": "date", "risk_level": "string", "form_ref": "string",
         "form_hash": "string"}
    ),
    RISK_FORM_ANSWERS: ibis.schema({"batch_id": "int64", "form_id": "int64", "question": "int32", "answer": "string"}),
    REFERRAL_EVENTS: ibis.schema(
        {"batch_id": "int64", "event_id": "int64", "row_number": "int64", "crime_ref": "string",
         "service": "string", "status": "string", "status_date": "date", "referral_ref": "string",
         "event_hash": "string"}
    ),
    SPO_EVENTS: ibis.schema(
        {"batch_id": "int64", "row_number": "int64", "case_ref": "string", "crime_ref": "string", "event": "string",
         "event_date": "date", "district": "string", "outcome": "string", "reason": "string",
         "duration_months": "int64", "terms": "string"}
    ),
    TRAINING_COMPLETIONS: ibis.schema(
        {"batch_id": "int64", "row_number": "int64", "officer_token": "string", "course": "string",
         "district": "string", "team": "string", "completed_date": "date"}
    ),
    AUDIT_SAMPLES: ibis.schema(
        {"batch_id": "int64", "district": "string", "offence_family": "string", "period_start": "date",
         "period_end": "date", "requested_size": "int64", "seed": "int64", "allocation": "string",
         "crimes_batch": "int64"}
    ),
    AUDIT_SAMPLE_CRIMES: ibis.schema(
        {"batch_id": "int64", "crime_ref": "string", "stratum": "string", "stratum_population": "int64",
         "stratum_sample": "int64", "draw_rank": "int64", "recorded_date": "date", "domestic": "boolean"}
    ),
    AUDIT_REVIEWS: ibis.schema(
        {"batch_id": "int64", "row_number": "int64", "audit_id": "int64", "crime_ref": "string",
         "audited_date": "date", "finding": "string"}
    ),
    AUDIT_ANSWERS: ibis.schema(
        {"batch_id": "int64", "audit_id": "int64", "crime_ref": "string", "item": "string", "answer": "string"}
    ),
}
