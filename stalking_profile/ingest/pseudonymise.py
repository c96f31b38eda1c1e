"""Pseudonymisation: keyed HMAC-SHA256 tokens for person ids and linkage tokens.

The key is the deployment's secret and is never stored with the data. It comes from
``$STALKING_PROFILE_KEY`` or from a key file (``$STALKING_PROFILE_KEY_FILE``, default
in the user's config folder) that is created on first use, readable by its owner only.
The store keeps the key's *fingerprint* and refuses imports under another key.

Names and dates of birth become linkage tokens (full name, forename, surname, their
phonetic codes, year and month of birth), each keyed-hashed under its own domain so
that tokens of different kinds never compare equal; the raw values are then dropped.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.errors import ConfigError

__all__ = ["TOKEN_SCHEMA", "PseudonymKey", "default_key_path", "linkage_tokens", "load_key"]

KEY_ENV = "STALKING_PROFILE_KEY"
KEY_FILE_ENV = "STALKING_PROFILE_KEY_FILE"
_MIN_KEY_BYTES = 16
_TOKEN_CHARS = 32  # 128 bits of the HMAC: collisions are negligible at force scale

TOKEN_SCHEMA = pa.schema(
    [("crime_ref", pa.string()), ("role", pa.string()), ("token_type", pa.string()), ("token", pa.string())]
)


class PseudonymKey:
    """A pseudonymisation key: HMAC-SHA256 with the pad states precomputed.

    Examples
    --------
    >>> key = PseudonymKey(b"an example key of 32 bytes......")
    >>> key.token("N123", "person") == key.token("N123", "person") != key.token("N124", "person")
    True
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < _MIN_KEY_BYTES:
            raise ConfigError(
                f"the pseudonymisation key is {len(secret)} bytes long; at least {_MIN_KEY_BYTES} are needed",
                f"set ${KEY_ENV} to a long random string, or unset it to use a generated key file",
            )
        block = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
        block = block.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self.fingerprint = self.token("stalking-profile key fingerprint", "fingerprint")[:16]

    def _mac(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:_TOKEN_CHARS]

    def token(self, value: str, domain: str) -> str:
        """The token of one value in a domain (``person``, ``full_name`` ...)."""
        return self._mac(f"{domain}\x1f{value}".encode())

    def tokens(self, values: pa.Array, domain: str) -> pa.Array:
        """Tokens of an Arrow string array; each distinct value is hashed once; nulls stay null."""
        encoded = pc.dictionary_encode(values.cast(pa.string()))
        prefix = f"{domain}\x1f".encode()
        mac = self._mac
        hashed = pa.array([mac(prefix + v.encode()) for v in encoded.dictionary.to_pylist()], pa.string())
        return pc.take(hashed, encoded.indices)


def default_key_path() -> Path:
    """Where the generated key file lives unless ``$STALKING_PROFILE_KEY_FILE`` says otherwise."""
    env = os.environ.get(KEY_FILE_ENV)
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("stalking-profile")) / "key"


def _read_key_file(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"key file {path} can be read by other users (mode {stat.filemode(mode)})",
            f"run `chmod 600 {path}`",
        )
    return path.read_text(encoding="ascii").strip().encode()


def load_key(create: bool = True) -> PseudonymKey:
    """The deployment's key: ``$STALKING_PROFILE_KEY``, else the key file (made if absent)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return PseudonymKey(env.encode())
    path = default_key_path()
    if path.exists():
        return PseudonymKey(_read_key_file(path))
    if not create:
        raise ConfigError(f"no pseudonymisation key at {path}", f"set ${KEY_ENV} or ${KEY_FILE_ENV}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32) + "\n")
    return PseudonymKey(_read_key_file(path))


@dataclass(frozen=True)
class _NameParts:
    full: pa.Array
    forename: pa.Array
    surname: pa.Array


def _name_parts(names: pa.Array) -> _NameParts:
    clean = pc.utf8_lower(names.cast(pa.string()))
    clean = pc.utf8_trim_whitespace(pc.replace_substring_regex(clean, r"[^a-z' -]+|['-]", " "))
    clean = pc.replace_substring_regex(clean, r"\s+", " ")
    clean = pc.if_else(pc.equal(clean, ""), pa.scalar(None, pa.string()), clean)
    forename = pc.replace_substring_regex(clean, r" .*$", "")
    surname = pc.replace_substring_regex(clean, r"^.* ", "")
    single = pc.invert(pc.match_substring(clean, " "))
    surname = pc.if_else(single, pa.scalar(None, pa.string()), surname)
    return _NameParts(clean, forename, surname)


def _phonetic(values: pa.Array) -> pa.Array:
    import jellyfish

    encoded = pc.dictionary_encode(values)
    codes = [jellyfish.metaphone(v) if v else None for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(codes, pa.string()), encoded.indices)


def linkage_tokens(
    crime_ref: pa.Array, role: str, names: pa.Array | None, dobs: pa.Array | None, key: PseudonymKey
) -> pa.Table:
    """Keyed-hash linkage tokens for one role (``victim`` or ``suspect``) in long form.

    ``dobs`` must already be parsed dates. Token types: ``full_name``, ``forename``,
    ``surname``, ``forename_phonetic``, ``surname_phonetic`` (Metaphone),
    ``birth_year`` and ``birth_month`` (``YYYY-MM``).
    """
    kinds: dict[str, pa.Array] = {}
    if names is not None:
        parts = _name_parts(names)
        kinds.update(full_name=parts.full, forename=parts.forename, surname=parts.surname,
                     forename_phonetic=_phonetic(parts.forename), surname_phonetic=_phonetic(parts.surname))
    if dobs is not None:
        as_text = pc.strftime(dobs.cast(pa.timestamp("s")), format="%Y-%m")
        kinds.update(birth_year=pc.utf8_slice_codeunits(as_text, 0, 4), birth_month=as_text)
    parts_out = []
    for kind, values in kinds.items():
        idx = pc.indices_nonzero(pc.is_valid(values))
        if len(idx) == 0:
            continue
        n = len(idx)
        parts_out.append(pa.table(
            [pc.take(crime_ref, idx), pa.array([role] * n), pa.array([kind] * n),
             key.tokens(pc.take(values, idx), kind)],
            schema=TOKEN_SCHEMA,
        ))
    return pa.concat_tables(parts_out) if parts_out else TOKEN_SCHEMA.empty_table()


def is_hex_token(value: str) -> bool:
    """True for a string that looks like one of our tokens."""
    return re.fullmatch(rf"[0-9a-f]{{{_TOKEN_CHARS}}}", value) is not None
