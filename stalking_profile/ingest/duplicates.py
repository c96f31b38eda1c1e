"""Duplicate crime references within one file.

Rows with the same crime_ref and the same content are copies: the first is kept and
the others are rejected as copies of it. Rows with the same crime_ref and different
content conflict: the file cannot say which is right, so all of them are rejected.
Only rows whose crime_ref repeats are hashed, so a clean file costs one counting pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.ingest.hashing import record_hashes
from stalking_profile.schema.validate import Issues

__all__ = ["check_duplicates"]


def _repeated(refs: pa.Array, live: pa.Array) -> pa.Array:
    """Mask of ``live`` rows whose crime_ref appears on more than one of them."""
    encoded = pc.dictionary_encode(pc.if_else(live, refs, pa.scalar(None, pa.string())))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    counts = np.bincount(codes[codes >= 0], minlength=len(encoded.dictionary))
    repeated = np.zeros(len(codes), dtype=bool)
    valid = codes >= 0
    repeated[valid] = counts[codes[valid]] > 1
    return pa.array(repeated)


def _given(texts: pa.Array) -> Callable[[pa.Array], pa.Array]:
    """A reason callback that returns texts already computed for the selected rows."""
    return lambda _idx: texts


def check_duplicates(crimes: pa.Table, rejected: pa.Array, issues: Issues) -> pa.Array:
    """Add duplicate issues for rows not yet rejected; return the final rejected mask.

    ``crimes`` holds ``row_number``, ``crime_ref`` and the record's columns.
    """
    refs = crimes.column("crime_ref").combine_chunks()
    repeated = _repeated(refs, pc.is_valid(refs))  # a copy that is invalid for another reason still counts
    if not pc.any(repeated).as_py():
        return rejected
    idx = pc.indices_nonzero(repeated)
    sub = crimes.take(idx)
    content = sub.drop_columns(["row_number"])
    sub = pa.table({"row_number": sub["row_number"], "crime_ref": sub["crime_ref"],
                    "h": record_hashes(content)})
    groups = sub.group_by("crime_ref").aggregate(
        [("h", "count_distinct"), ("row_number", "min"), ("row_number", "list")])
    pos = pc.index_in(sub["crime_ref"], value_set=groups["crime_ref"])
    conflict = pc.take(pc.greater(groups["h_count_distinct"], 1), pos)
    first = pc.take(groups["row_number_min"], pos)
    listed = pc.take(pc.binary_join(pc.cast(groups["row_number_list"], pa.list_(pa.string())), ", "), pos)
    copy = pc.and_(pc.invert(conflict), pc.not_equal(sub["row_number"], first))
    conflict_text = pc.binary_join_element_wise(
        "crime_ref '", sub["crime_ref"], "' appears on rows ", listed,
        " with different values; keep one version of each crime in the extract and import it again", "")
    copy_text = pc.binary_join_element_wise("identical copy of row ", pc.cast(first, pa.string()),
                                            " (same crime_ref and values); the first copy was kept", "")
    n = len(refs)
    for mask, text in ((conflict, conflict_text), (copy, copy_text)):
        sel = pc.filter(idx, mask)
        full = np.zeros(n, dtype=bool)
        full[sel.to_numpy()] = True
        texts = pc.filter(text, mask)  # in row order, as Issues.add asks for them
        issues.add(pa.array(full), "crime_ref", "error", _given(texts))
        rejected = pc.or_(rejected, pa.array(full))
    return rejected
