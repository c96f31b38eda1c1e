"""Detections kept in the store, so that each MO text is read once per detector version.

Reading MO text is the slowest part of a profile (a few thousand texts a second). A detection
depends only on the text, the lexicon and the detector's code, so it is stored under a hash
of the text and a fingerprint of the other two (:func:`detector_version`); a changed lexicon
or detector gives a new fingerprint and the texts are read again. Only hashes, never the MO
text, are stored. The cache is best effort: a store that refuses the write (a read-only role)
gets the same detections, computed afresh each time.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
from collections.abc import Sequence

import ibis
import pyarrow as pa

from stalking_profile.online import detector
from stalking_profile.online.detector import Detection, detect
from stalking_profile.online.lexicon import Lexicon, load_lexicon
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["detections", "detector_version", "text_hash"]


def text_hash(text: str) -> str:
    """The key of an MO text (SHA-256, 128 bits).

    Examples
    --------
    >>> text_hash("He rang her 40 times.") == text_hash("He rang her 40 times.") != text_hash("He rang her.")
    True
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def detector_version(lexicon: Lexicon) -> str:
    """A fingerprint of the detector's code and the lexicon's patterns and windows."""
    parts = [inspect.getsource(detector)]
    for name, value in sorted(vars(lexicon).items()):
        if name == "source":
            continue
        if isinstance(value, tuple):  # the categories
            parts += [f"{c.name}={c.pattern.pattern}" for c in value]
        else:
            parts.append(f"{name}={getattr(value, 'pattern', value)}")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def _stored(store: Store, version: str, hashes: list[str]) -> dict[str, Detection]:
    cache = store.table(tables.MO_DETECTIONS)
    wanted = ibis.memtable(pa.table({"_h": pa.array(hashes, pa.string())}))
    hits = cache.filter(cache.detector == version).join(wanted, cache.text_hash == wanted._h)
    found: dict[str, Detection] = {}
    for r in hits.select("text_hash", "detected", "terms", "categories").to_pyarrow().to_pylist():
        found[r["text_hash"]] = Detection(bool(r["detected"]), tuple(t for t in (r["terms"] or "").split("; ") if t),
                                          tuple(c for c in (r["categories"] or "").split("; ") if c))
    return found


def detections(store: Store, texts: Sequence[str | None], lexicon: Lexicon | None = None) -> pa.Table:
    """Detections for ``texts`` (as :func:`~stalking_profile.online.detector.detect_many` gives
    them), read from the store where it holds them and computed, then stored, where not."""
    lexicon = lexicon or load_lexicon()
    version = detector_version(lexicon)
    keys = {t: text_hash(t) for t in dict.fromkeys(t for t in texts if t)}
    try:
        known = _stored(store, version, list(keys.values()))
    except Exception:  # a store without the table or that refuses the read: compute everything
        known = {}
    fresh = {h: detect(t, lexicon) for t, h in keys.items() if h not in known}
    if fresh:
        rows = pa.table({"detector": pa.array([version] * len(fresh), pa.string()),
                         "text_hash": pa.array(list(fresh), pa.string()),
                         "detected": pa.array([d.detected for d in fresh.values()], pa.bool_()),
                         "terms": pa.array(["; ".join(d.terms) for d in fresh.values()], pa.string()),
                         "categories": pa.array(["; ".join(d.categories) for d in fresh.values()], pa.string())})
        with contextlib.suppress(Exception):  # best effort: a read-only store simply does not keep them
            store.con.insert(tables.MO_DETECTIONS, rows)
    known.update(fresh)
    none = Detection(False, (), ())
    found = [known[keys[t]] if t else none for t in texts]
    return pa.table({
        "detected": pa.array([d.detected for d in found], pa.bool_()),
        "terms": pa.array(["; ".join(d.terms) for d in found], pa.string()),
        "categories": pa.array(["; ".join(d.categories) for d in found], pa.string()),
    })
