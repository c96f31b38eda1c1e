"""Detections kept in the store, so that each MO text is read once per detector version.

Reading MO text is the slowest part of a profile (a few thousand texts a second). A detection
depends only on the text, the lexicon and the detector's code, so it is stored under a hash
of the text and a fingerprint of the other two (:func:`detector_version`); a changed lexicon
or detector gives a new fingerprint and the texts are read again. Only hashes, never the MO
text, are stored. The cache is best effort: a store that refuses the write (a read-only role)
gets the same detections, computed afresh each time.

The first read of many new texts can run in a second process while the caller goes on with other
work (:func:`detections_ahead`): on these 2-core machines a profile's MO texts are read while its
core and geography tables are built, instead of before its cyber table.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
from collections.abc import Iterator, Sequence

import ibis
import pyarrow as pa

from stalking_profile.online import detector
from stalking_profile.online.detector import Detection, detect
from stalking_profile.online.lexicon import Lexicon, load_lexicon
from stalking_profile.parallel import Pending, in_second_process
from stalking_profile.store import tables
from stalking_profile.store.connection import Store

__all__ = ["AHEAD_AT_LEAST", "Ahead", "detections", "detections_ahead", "detector_version", "text_hash"]

#: New texts to read before a second process is worth starting (forking takes milliseconds; reading
#: 2,000 texts takes about half a second).
AHEAD_AT_LEAST = 2000


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


def _hashes(texts: Sequence[str | None]) -> dict[str, str]:
    """Each distinct text's hash."""
    return {t: text_hash(t) for t in dict.fromkeys(t for t in texts if t)}


def _known(store: Store, version: str, hashes: list[str]) -> dict[str, Detection]:
    """The detections the store holds for these text hashes."""
    if not hashes:
        return {}
    try:
        return _stored(store, version, hashes)
    except Exception:  # a store without the table or that refuses the read: compute everything
        return {}


def _detect_texts(texts: list[str], lexicon: Lexicon) -> list[Detection]:
    return [detect(t, lexicon) for t in texts]


class Ahead:
    """Detections being made in a second process (see :func:`detections_ahead`); none when the
    texts were too few, or a second process could not be started."""

    def __init__(self, hashes: list[str] | None = None, pending: Pending[list[Detection]] | None = None,
                 version: str = "", known: dict[str, Detection] | None = None) -> None:
        self.hashes, self.pending, self.version = hashes or [], pending, version
        self.known = known or {}  # what the store held when the read began: not read again

    def result(self, version: str) -> dict[str, Detection]:
        """The detections by text hash (waiting for the second process to finish); none when they
        were made by another detector ``version`` than the caller's."""
        if self.pending is None or version != self.version:
            return {}
        return dict(zip(self.hashes, self.pending.result(), strict=True))


@contextlib.contextmanager
def detections_ahead(store: Store, texts: Sequence[str | None], lexicon: Lexicon | None = None,
                     at_least: int = AHEAD_AT_LEAST) -> Iterator[Ahead]:
    """Start reading the ``texts`` the store holds no detection for in a second process
    (:func:`~stalking_profile.parallel.in_second_process`), and give back an :class:`Ahead` to
    hand to :func:`detections` later; with fewer than ``at_least`` such texts, none is started."""
    lexicon = lexicon or load_lexicon()
    version = detector_version(lexicon)
    keys = _hashes(texts)
    known = _known(store, version, list(keys.values()))
    todo = [t for t, h in keys.items() if h not in known]
    with in_second_process(_detect_texts, todo, lexicon, fork=len(todo) >= at_least) as pending:
        yield Ahead([keys[t] for t in todo], pending if pending.forked else None, version, known)


def detections(store: Store, texts: Sequence[str | None], lexicon: Lexicon | None = None,
               ahead: Ahead | None = None) -> pa.Table:
    """Detections for ``texts`` (as :func:`~stalking_profile.online.detector.detect_many` gives
    them), read from the store where it holds them, taken from ``ahead`` where it read them, and
    computed where not; the new ones are stored."""
    lexicon = lexicon or load_lexicon()
    version = detector_version(lexicon)
    keys = _hashes(texts)
    if ahead is not None and ahead.version == version:  # the store was read when the read-ahead began
        known = dict(ahead.known)
        sent = set(ahead.hashes)
        known.update(_known(store, version, [h for h in keys.values() if h not in known and h not in sent]))
    else:
        known = _known(store, version, list(keys.values()))
    fresh = {h: d for h, d in (ahead.result(version) if ahead is not None else {}).items() if h not in known}
    fresh.update({h: detect(t, lexicon) for t, h in keys.items() if h not in known and h not in fresh})
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
