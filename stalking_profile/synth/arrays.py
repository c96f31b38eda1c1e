"""Typed helpers for building Arrow string columns from numpy arrays without per-row Python."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["dates", "join", "lookup", "numbers"]

BoolArray = npt.NDArray[np.bool_]


def _mask(valid: npt.ArrayLike | None) -> BoolArray | None:
    return None if valid is None else ~np.asarray(valid, dtype=bool)


def lookup(
    values: Sequence[str] | pa.Array[Any], index: npt.ArrayLike, valid: npt.ArrayLike | None = None
) -> pa.Array[Any]:
    """``values[index]`` as an Arrow string array, null where not ``valid`` (one vectorised take).

    Examples
    --------
    >>> lookup(("N", "Y"), [1, 0, 1], [True, True, False]).to_pylist()
    ['Y', 'N', None]
    """
    vocabulary: Any = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    indices = pa.array(np.asarray(index, dtype=np.int64), type=pa.int64(), mask=_mask(valid))
    result: pa.Array[Any] = vocabulary.take(indices)
    return result


def numbers(values: npt.ArrayLike, valid: npt.ArrayLike | None = None) -> pa.Array[Any]:
    """Numbers as strings (shortest round-tripping form), null where not ``valid``.

    Examples
    --------
    >>> numbers([53.8, 7], [True, False]).to_pylist()
    ['53.8', None]
    """
    arr: Any = pa.array(np.asarray(values), mask=_mask(valid))
    result: pa.Array[Any] = arr.cast(pa.string())
    return result


def dates(values: npt.NDArray[np.datetime64]) -> pa.Array[Any]:
    """ISO ``YYYY-MM-DD`` strings; NaT becomes null.

    Examples
    --------
    >>> dates(np.array(["2021-09-30", "NaT"], dtype="datetime64[D]")).to_pylist()
    ['2021-09-30', None]
    """
    days = values.astype("datetime64[D]")
    valid = ~np.isnat(days)
    if not valid.any():
        return lookup(("",), np.zeros(days.size, dtype=np.int64), valid)
    # Format each distinct day once, then look the strings up: much faster than a cast per row.
    number = days.astype(np.int64)
    first, last = int(number[valid].min()), int(number[valid].max())
    calendar: Any = pa.array(np.arange(first, last + 1).astype("datetime64[D]"))
    return lookup(calendar.cast(pa.string()), np.where(valid, number - first, 0), valid)


def join(*parts: pa.Array[Any] | str, separator: str = " ", skip_nulls: bool = False) -> pa.Array[Any]:
    """Element-wise concatenation of string arrays (and scalars) with ``separator``.

    Examples
    --------
    >>> join(pa.array(["a", None]), pa.array(["b", "c"]), skip_nulls=True).to_pylist()
    ['a b', 'c']
    """
    fn: Any = pc.binary_join_element_wise
    result: pa.Array[Any] = fn(*parts, separator, null_handling="skip" if skip_nulls else "emit_null")
    return result
