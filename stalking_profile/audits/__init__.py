"""Dip-sample audits: the checklist, drawing a sample, the checklist workbook, importing findings, measures.

- :mod:`~stalking_profile.audits.checklist`: the items an auditor answers (yes, no or n/a) for each
  sampled crime, from a small TOML;
- :mod:`~stalking_profile.audits.allocation` and :mod:`~stalking_profile.audits.sample`: a
  reproducible sample of a district's crimes in a period, stratified by domestic flag, kept as one
  append-only batch;
- :mod:`~stalking_profile.audits.workbook`: the checklist workbook to complete (and its export with
  the answers so far);
- :mod:`~stalking_profile.audits.validate`, :mod:`~stalking_profile.audits.imports` and
  :mod:`~stalking_profile.audits.reviews`: the completed checklist, validated row by row and kept
  as append-only reviews, the latest of each crime counting;
- :mod:`~stalking_profile.audits.measures`: compliance per item by district and domestic flag, with
  intervals (design-weighted where strata or samples are combined).
"""

from __future__ import annotations

from stalking_profile.audits.allocation import allocate
from stalking_profile.audits.checklist import Checklist, load_checklist
from stalking_profile.audits.imports import AuditImportResult, add_review, import_findings
from stalking_profile.audits.measures import audit_compliance, audit_samples_table, design_weighted
from stalking_profile.audits.reviews import Review, current_reviews
from stalking_profile.audits.sample import AuditSample, draw_sample, load_sample
from stalking_profile.audits.workbook import export_checklist, write_checklist

__all__ = ["AuditImportResult", "AuditSample", "Checklist", "Review", "add_review", "allocate", "audit_compliance",
           "audit_samples_table", "current_reviews", "design_weighted", "draw_sample", "export_checklist",
           "import_findings", "load_checklist", "load_sample", "write_checklist"]
