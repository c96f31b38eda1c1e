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
import secrets
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from stalking_profile.errors import ConfigError
from stalking_profile.schema.columns import TOKEN_TYPES

__all__ = ["TOKEN_SCHEMA", "TOKEN_TYPES", "PseudonymKey", "default_key_path", "linkage_tokens", "load_key"]

KEY_ENV = "STALKING_PROFILE_KEY"
KEY_FILE_ENV = "STALKING_PROFILE_KEY_FILE"
_MIN_KEY_BYTES = 32  # a short passphrase would let low-entropy ids be guessed back from their tokens
_TOKEN_CHARS = 32  # 128 bits of the HMAC: collisions are negligible at force scale

TOKEN_SCHEMA = pa.schema([("crime_ref", pa.string()), ("role", pa.string())] + [(t, pa.string()) for t in TOKEN_TYPES])


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
        self.created: Path | None = None  # where load_key made a new key file, if it did

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
        """Tokens of an Arrow string array; each distinct value is hashed once; nulls stay null.

        The result is dictionary-encoded (each token stored once), which keeps a million rows small.
        """
        encoded = pc.dictionary_encode(values.cast(pa.string()))
        prefix = f"{domain}\x1f".encode()
        mac = self._mac
        hashed = pa.array([mac(prefix + v.encode()) for v in encoded.dictionary.to_pylist()], pa.string())
        return pa.DictionaryArray.from_arrays(encoded.indices, hashed)


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
    try:
        return path.read_text(encoding="ascii").strip().encode()
    except (UnicodeDecodeError, OSError):
        raise ConfigError(f"key file {path} cannot be read as a key", "it should hold one line of hex; restore it "
                          "from your backup (a new key would split every person in the store in two)") from None


def load_key(create: bool = True) -> PseudonymKey:
    """The deployment's key: ``$STALKING_PROFILE_KEY``, else the key file (made if absent)."""
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if not env.strip():
            raise ConfigError(f"${KEY_ENV} is set but empty",
                              "set it to the deployment's key, or unset it to use the key file")
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
    key = PseudonymKey(_read_key_file(path))
    key.created = path
    return key


def _name_parts(names: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Full name (lower case, letters and single spaces), forename and surname."""
    clean = pc.utf8_normalize(names.cast(pa.string()), form="NFKD")
    clean = pc.utf8_lower(pc.replace_substring_regex(clean, r"\p{M}+", ""))  # José -> jose, Łukasz kept
    clean = pc.replace_substring_regex(clean, r"^\s*([^,]+?)\s*,\s*(.+)$", r"\2 \1")  # "SMITH, John" -> "john smith"
    clean = pc.utf8_trim_whitespace(pc.replace_substring_regex(clean, r"[^\p{L} ]+", " "))
    clean = pc.replace_substring_regex(clean, r"\s+", " ")
    clean = pc.if_else(pc.equal(clean, ""), pa.scalar(None, pa.string()), clean)
    forename = pc.replace_substring_regex(clean, r" .*$", "")
    surname = pc.replace_substring_regex(clean, r"^.* ", "")
    single = pc.invert(pc.match_substring(clean, " "))
    surname = pc.if_else(single, pa.scalar(None, pa.string()), surname)
    return clean, forename, surname


def _phonetic(values: pa.Array) -> pa.Array:
    import jellyfish

    encoded = pc.dictionary_encode(values)
    codes = [jellyfish.metaphone(v) if v else None for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(codes, pa.string()), encoded.indices)


def linkage_tokens(names: pa.Array | None, dobs: pa.Array | None, n: int, key: PseudonymKey) -> dict[str, pa.Array]:
    """Keyed-hash linkage tokens of one role, one array per token type, aligned with the rows.

    ``names`` are raw names, ``dobs`` parsed dates (either may be absent). Token types are
    :data:`TOKEN_TYPES`: full name, forename, surname, Metaphone codes of both, year and
    month (``YYYY-MM``) of birth. Each distinct value is hashed once; blanks stay null.

    Examples
    --------
    >>> key = PseudonymKey(b"an example key of 32 bytes......")
    >>> t = linkage_tokens(pa.array(["Ann O'Neil", "ann  o neil", None]), None, 3, key)
    >>> t["full_name"][0].as_py() == t["full_name"][1].as_py(), t["surname_phonetic"][2].as_py()
    (True, None)
    """
    values: dict[str, pa.Array] = {}
    if names is not None:
        encoded = pc.dictionary_encode(names)  # names repeat: work on each distinct one once
        full, forename, surname = _name_parts(encoded.dictionary)
        parts = {"full_name": full, "forename": forename, "surname": surname,
                 "forename_phonetic": _phonetic(forename), "surname_phonetic": _phonetic(surname)}
        values.update({kind: _expand(key.tokens(v, kind), encoded.indices) for kind, v in parts.items()})
    if dobs is not None:
        encoded = pc.dictionary_encode(dobs)
        month = pc.strftime(encoded.dictionary.cast(pa.timestamp("s")), format="%Y-%m")
        years = pc.utf8_slice_codeunits(month, 0, 4)
        values["birth_year"] = _expand(key.tokens(years, "birth_year"), encoded.indices)
        values["birth_month"] = _expand(key.tokens(month, "birth_month"), encoded.indices)
    empty = pa.nulls(n, pa.dictionary(pa.int32(), pa.string()))
    return {kind: values.get(kind, empty) for kind in TOKEN_TYPES}


def _expand(tokens: pa.Array, indices: pa.Array) -> pa.Array:
    """Tokens of distinct values spread back over the rows, without copying them per row."""
    if isinstance(tokens, pa.DictionaryArray):
        tokens = tokens.dictionary.take(tokens.indices)  # per distinct value: small
    return pa.DictionaryArray.from_arrays(indices, tokens)
