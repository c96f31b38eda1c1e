"""Duplicate crime references within one file.

Rows with the same crime_ref and the same content are copies: the first is kept and
the others are rejected as copies of it. Rows with the same crime_ref and different
content conflict: the file cannot say which is right, so all of them are rejected.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.schema.validate import Issues

__all__ = ["check_duplicates"]


def check_duplicates(crimes: pa.Table, rejected: pa.Array, issues: Issues) -> pa.Array:
    """Add duplicate issues for rows not yet rejected; return the final rejected mask.

    ``crimes`` needs ``row_number``, ``crime_ref`` and ``record_hash``.
    """
    live = crimes.select(["row_number", "crime_ref", "record_hash"]).filter(pc.invert(rejected))
    groups = live.group_by("crime_ref").aggregate(
        [("row_number", "count"), ("record_hash", "count_distinct"), ("row_number", "min"),
         ("row_number", "list")]
    )
    dup = groups.filter(pc.greater(groups["row_number_count"], 1))
    if dup.num_rows == 0:
        return rejected
    refs = crimes.column("crime_ref").combine_chunks()
    idx = pc.index_in(refs, value_set=dup["crime_ref"])
    in_dup = pc.and_(pc.is_valid(idx), pc.invert(rejected))
    conflict = pc.take(pc.greater(dup["record_hash_count_distinct"], 1), idx)
    first = pc.take(dup["row_number_min"], idx)
    rows = crimes.column("row_number").combine_chunks()
    listed = pc.take(pc.binary_join(pc.cast(dup["row_number_list"], pa.list_(pa.string())), ", "), idx)
    conflict_mask = pc.and_(in_dup, conflict).fill_null(False)
    copy_mask = pc.and_(pc.and_(in_dup, pc.invert(conflict)), pc.not_equal(rows, first)).fill_null(False)
    conflict_text = pc.binary_join_element_wise(
        "crime_ref '", refs, "' appears on rows ", listed,
        " with different values; keep one version of each crime in the extract and import it again", "")
    copy_text = pc.binary_join_element_wise("identical copy of row ", pc.cast(first, pa.string()),
                                            " (same crime_ref and values); the first copy was kept", "")
    issues.add(conflict_mask, "crime_ref", "error", conflict_text)
    issues.add(copy_mask, "crime_ref", "error", copy_text)
    return pc.or_(pc.or_(rejected, conflict_mask), copy_mask)
